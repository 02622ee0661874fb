"""Stage 2 entry points: a framed unit to a command or a response, and back.

    response-data  = "*" SP (resp-cond-state / resp-cond-bye / mailbox-data /
                     message-data / capability-data / enable-data) CRLF
    message-data   = nz-number SP ("EXPUNGE" / ("FETCH" SP msg-att))
    mailbox-data   =/ number SP "EXISTS" / number SP "RECENT"

The command tables come from the ``cmd_*``, ``fetch`` and ``search`` modules;
the response tables from ``resp_status``, ``resp_data`` and ``fetch_response``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from harness.protocols.imap import cmd_any, cmd_auth, cmd_list, cmd_nonauth, cmd_selected
from harness.protocols.imap import fetch as fetch_cmd
from harness.protocols.imap import resp_data as rd
from harness.protocols.imap import search as search_cmd
from harness.protocols.imap.command import Command, CommandParser, parse_command, write_command
from harness.protocols.imap.events import Event
from harness.protocols.imap.fetch_response import FetchResponse, read_fetch
from harness.protocols.imap.framing import TAG_RE, FramedUnit, IMAPLimits
from harness.protocols.imap.lexer import ParseError, Reader, decode
from harness.protocols.imap.resp_status import (
    AuthenticateChallenge,
    Continuation,
    TaggedResponse,
    UntaggedStatus,
    read_cond,
)
from harness.protocols.imap.writer import Writer

COMMAND_PARSERS: dict[str, CommandParser] = {
    **cmd_any.PARSERS,
    **cmd_nonauth.PARSERS,
    **cmd_auth.PARSERS,
    **cmd_list.PARSERS,
    **cmd_selected.PARSERS,
    **fetch_cmd.PARSERS,
    **search_cmd.PARSERS,
}
UID_PARSERS: dict[str, CommandParser] = {
    **cmd_selected.UID_PARSERS,
    **fetch_cmd.UID_PARSERS,
    **search_cmd.UID_PARSERS,
}

_UNTAGGED_RE = re.compile(rb"\* (?:([0-9]+) )?([A-Za-z]+)")
_STATUS_WORDS = {b"OK": "OK", b"NO": "NO", b"BAD": "BAD", b"PREAUTH": "PREAUTH", b"BYE": "BYE"}
_DATA_READERS: dict[bytes, Callable[[Reader], Event]] = {
    b"CAPABILITY": rd.read_capability,
    b"LIST": rd.read_list,
    b"LSUB": lambda r: rd.read_list(r, lsub=True),
    b"STATUS": rd.read_status,
    b"SEARCH": rd.read_search,
    b"ESEARCH": rd.read_esearch,
    b"FLAGS": rd.read_flags,
    b"ENABLED": rd.read_enabled,
    b"NAMESPACE": rd.read_namespace,
    b"ID": rd.read_id,
    b"VANISHED": rd.read_vanished,
}

RESPONSE_TYPES: tuple[type[Event], ...] = (
    Continuation,
    AuthenticateChallenge,
    TaggedResponse,
    UntaggedStatus,
    FetchResponse,
    rd.CapabilityResponse,
    rd.ListResponse,
    rd.MailboxStatus,
    rd.SearchResponse,
    rd.ESearchResponse,
    rd.FlagsResponse,
    rd.ExistsResponse,
    rd.RecentResponse,
    rd.ExpungeResponse,
    rd.EnabledResponse,
    rd.NamespaceResponse,
    rd.IdResponse,
    rd.VanishedResponse,
)


def decode_command(unit: FramedUnit, limits: IMAPLimits, *, utf8: bool) -> Command:
    """Server role: the unit must be exactly one command (errors carry its tag)."""
    reader = Reader(unit, limits, utf8=utf8, strict=True)
    return parse_command(reader, COMMAND_PARSERS, UID_PARSERS)


def encode_command(command: Command, *, nonsync_max: int, utf8: bool) -> list[bytes]:
    """Client role: the command's segments (split at synchronising literals)."""
    return write_command(command, Writer(sync_literals=True, nonsync_max=nonsync_max, utf8=utf8))


def decode_response(unit: FramedUnit, limits: IMAPLimits) -> Event:
    """Client role: one response; raises ParseError if it breaks the grammar."""
    line = unit.lines[0]
    if line[:1] == b"+":  # continue-req = "+" SP (resp-text / base64)
        return Continuation(decode(line[2:] if line[1:2] == b" " else line[1:]))
    reader = Reader(unit, limits, utf8=True)
    event = _read_untagged(reader) if line[:2] == b"* " else _read_tagged(reader)
    reader.end()
    return event


def _read_untagged(r: Reader) -> Event:
    match = _UNTAGGED_RE.match(r.line)
    if match is None:
        r.pos = 2
        r.fail("untagged response")
    r.pos = match.end()
    number, word = match[1], match[2].upper()
    if number is not None:
        return _read_message_data(r, int(number), word)
    status = _STATUS_WORDS.get(word)
    if status is not None:
        code, text = read_cond(r)
        return UntaggedStatus(status, text, code)
    reader = _DATA_READERS.get(word)
    if reader is None:
        raise ParseError(f"unknown untagged response {word.decode('ascii')!r}")
    return reader(r)


def _read_message_data(r: Reader, number: int, word: bytes) -> Event:
    if word == b"FETCH":
        if number == 0:
            raise ParseError("FETCH needs a non-zero message number")
        return read_fetch(r, number)
    if word == b"EXISTS":
        return rd.ExistsResponse(number)
    if word == b"RECENT":
        return rd.RecentResponse(number)
    if word == b"EXPUNGE" and number:
        return rd.ExpungeResponse(number)
    raise ParseError(f"unknown message data {word.decode('ascii')!r}")


def _read_tagged(r: Reader) -> TaggedResponse:
    match = TAG_RE.match(r.line)
    if match is None:
        r.fail("tag")
    r.pos = match.end()
    r.sp()
    status = r.keyword()
    if status not in ("OK", "NO", "BAD"):
        raise ParseError(f"tagged status must be OK, NO or BAD, not {status!r}")
    code, text = read_cond(r)
    return TaggedResponse(match[0].decode("ascii"), status, text, code)


def encode_response(event: Any, *, utf8: bool) -> bytes:
    """Server role: one response, literals inline."""
    writer = Writer(utf8=utf8)
    event.encode(writer)
    return b"".join(writer.finish())
