"""TRANSACTION state commands (RFC 1939 §5, §7) and the listings they answer with.

RFC 1939 §5: "Once the client has successfully identified itself to the POP3
server and the POP3 server has locked and opened the appropriate maildrop, the
POP3 session is now in the TRANSACTION state."

    stat = "STAT"                   list = "LIST" [SP msg]
    retr = "RETR" SP msg            dele = "DELE" SP msg
    noop = "NOOP"                   rset = "RSET"
    top  = "TOP" SP msg SP n        uidl = "UIDL" [SP msg]
    msg  = 1*DIGIT  ; >= 1          n    = 1*DIGIT  ; >= 0

Listings (RFC 1939 §5, §7):

    drop-listing      = count SP size              ; +OK to STAT
    scan-listing      = msg SP size [SP info]      ; LIST lines, and +OK to LIST msg
    unique-id-listing = msg SP unique-id           ; UIDL lines, and +OK to UIDL msg
    unique-id         = 1*70uchar                  ; uchar = %x21-7E

RFC 1939 §5 (LIST): "This memo makes no requirement on what follows the
message size in the scan listing", so ``ScanListing.info`` keeps it. A message
number never refers to a deleted message, and numbers never shift inside a
session; both are the maildrop's business, not the grammar's.
"""

from __future__ import annotations

import re

from harness.protocols.pop3.events import (
    Command,
    Dele,
    List,
    Noop,
    Retr,
    Rset,
    ScanListing,
    Stat,
    Top,
    Uidl,
    UniqueIdListing,
)
from harness.protocols.pop3.grammar import (
    CommandSyntaxError,
    arity,
    command_line,
    format_number,
    no_arguments,
    number,
    params,
)
from harness.protocols.pop3.text import NO_CONTROLS, decode, encode_checked

_UNIQUE_ID = re.compile(rb"[\x21-\x7e]{1,70}")


def _msg(octets: bytes) -> int:
    return number(octets, minimum=1, what="message number")


def parse_stat(args: bytes | None, utf8: bool) -> Command:
    no_arguments("STAT")(args, utf8)
    return Stat()


def parse_noop(args: bytes | None, utf8: bool) -> Command:
    no_arguments("NOOP")(args, utf8)
    return Noop()


def parse_rset(args: bytes | None, utf8: bool) -> Command:
    no_arguments("RSET")(args, utf8)
    return Rset()


def parse_list(args: bytes | None, utf8: bool) -> Command:
    parts = arity("LIST", params(args, utf8=utf8), 0, 1)
    return List(_msg(parts[0]) if parts else None)


def parse_uidl(args: bytes | None, utf8: bool) -> Command:
    parts = arity("UIDL", params(args, utf8=utf8), 0, 1)
    return Uidl(_msg(parts[0]) if parts else None)


def parse_retr(args: bytes | None, utf8: bool) -> Command:
    (msg,) = arity("RETR", params(args, utf8=utf8), 1, 1)
    return Retr(_msg(msg))


def parse_dele(args: bytes | None, utf8: bool) -> Command:
    (msg,) = arity("DELE", params(args, utf8=utf8), 1, 1)
    return Dele(_msg(msg))


def parse_top(args: bytes | None, utf8: bool) -> Command:
    msg, lines = arity("TOP", params(args, utf8=utf8), 2, 2)
    return Top(_msg(msg), number(lines, minimum=0, what="line count"))


def format_optional_msg(command: List | Uidl, utf8: bool) -> bytes:
    if command.msg is None:
        return command_line(command.keyword)
    return command_line(command.keyword, format_number(command.msg, minimum=1, what="msg"))


def format_msg(command: Retr | Dele, utf8: bool) -> bytes:
    return command_line(command.keyword, format_number(command.msg, minimum=1, what="msg"))


def format_top(command: Top, utf8: bool) -> bytes:
    msg = format_number(command.msg, minimum=1, what="msg")
    return command_line("TOP", msg, format_number(command.lines, minimum=0, what="lines"))


def parse_drop_listing(text: str) -> tuple[int, int]:
    """(message count, maildrop octets) from the text of +OK to STAT."""
    count, _, rest = text.partition(" ")
    size = rest.partition(" ")[0]
    return (
        number(count.encode(), minimum=0, what="message count"),
        number(size.encode(), minimum=0, what="maildrop size"),
    )


def parse_scan_listing(line: bytes) -> ScanListing:
    """A LIST line, or the text of +OK to LIST msg (CommandSyntaxError if malformed)."""
    msg, _, rest = line.partition(b" ")
    size, sep, info = rest.partition(b" ")
    if sep and not NO_CONTROLS.fullmatch(info):
        raise CommandSyntaxError("control characters in a scan listing")
    return ScanListing(_msg(msg), number(size, minimum=0, what="size"), decode(info))


def format_scan_listing(listing: ScanListing) -> bytes:
    msg = format_number(listing.msg, minimum=1, what="msg")
    size = format_number(listing.size, minimum=0, what="size")
    info = encode_checked(listing.info, NO_CONTROLS, "info")
    return msg + b" " + size + (b" " + info if info else b"")


def parse_unique_id_listing(line: bytes) -> UniqueIdListing:
    """A UIDL line, or the text of +OK to UIDL msg."""
    msg, _, uid = line.partition(b" ")
    if not _UNIQUE_ID.fullmatch(uid):
        raise CommandSyntaxError("unique-id must be 1 to 70 characters in 0x21-0x7E")
    return UniqueIdListing(_msg(msg), uid.decode("ascii"))


def format_unique_id_listing(listing: UniqueIdListing) -> bytes:
    uid = encode_checked(listing.uid, _UNIQUE_ID, "unique-id")
    return format_number(listing.msg, minimum=1, what="msg") + b" " + uid
