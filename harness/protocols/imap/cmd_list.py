"""Authenticated state, continued: LIST (RFC 9051 §6.3.9) with LIST-EXTENDED
(RFC 5258), SPECIAL-USE (RFC 6154 §5) and LIST-STATUS (RFC 5819), and the
rev1 LSUB (RFC 3501 §6.3.9).

    list             = "LIST" [SP list-select-opts] SP mailbox SP mbox-or-pat
                       [SP list-return-opts]
    list-select-opts = "(" [list-select-option *(SP list-select-option)] ")"
    mbox-or-pat      = list-mailbox / patterns
    patterns         = "(" list-mailbox *(SP list-mailbox) ")"
    list-return-opts = "RETURN" SP "(" [return-option *(SP return-option)] ")"
    return-option    = "SUBSCRIBED" / "CHILDREN" / status-option / option-extension
    status-option    = "STATUS" SP "(" status-att *(SP status-att) ")"
    lsub             = "LSUB" SP mailbox SP list-mailbox

RFC 5258 §3: "Servers MUST respond to options they do not recognize with a BAD
tagged response", and RECURSIVEMATCH "MUST NOT occur as the only selection
option", so both are grammar errors here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from harness.protocols.imap.cmd_auth import read_status_att
from harness.protocols.imap.command import Command, CommandParser
from harness.protocols.imap.lexer import ParseError, Reader
from harness.protocols.imap.writer import Writer

SELECT_OPTIONS = frozenset({"SUBSCRIBED", "REMOTE", "RECURSIVEMATCH", "SPECIAL-USE"})
RETURN_OPTIONS = frozenset({"SUBSCRIBED", "CHILDREN", "SPECIAL-USE"})


@dataclass(frozen=True, slots=True)
class List(Command):
    """LIST; ``extended`` is the RFC 5258 syntax (set whenever an option or
    several patterns need it). ``return_status`` holds RETURN (STATUS (...))."""

    reference: str
    patterns: tuple[str, ...]
    selection: tuple[str, ...] = ()
    return_options: tuple[str, ...] = ()
    return_status: tuple[str, ...] | None = None
    extended: bool = False
    name: ClassVar[str] = "LIST"

    def __post_init__(self) -> None:
        needs = self.selection or self.return_options or self.return_status
        if needs or len(self.patterns) != 1:
            object.__setattr__(self, "extended", True)

    def encode(self, w: Writer) -> None:
        w.raw(b"LIST ")
        has_return = bool(self.return_options) or self.return_status is not None
        if self.selection or (self.extended and not has_return and len(self.patterns) == 1):
            w.paren(self.selection, w.atom)
            w.sp()
        w.astring(self.reference)
        w.sp()
        if len(self.patterns) == 1:
            w.list_mailbox(self.patterns[0])
        else:
            w.paren(self.patterns, w.list_mailbox)
        if has_return:
            w.raw(b" RETURN (")
            w.raw(" ".join(self.return_options).encode("ascii"))
            if self.return_status is not None:
                w.raw(b" STATUS " if self.return_options else b"STATUS ")
                w.paren(self.return_status, w.atom)
            w.raw(b")")


@dataclass(frozen=True, slots=True)
class Lsub(Command):
    """RFC 3501 §6.3.9 (removed in rev2): subscribed names matching a pattern."""

    reference: str
    pattern: str
    name: ClassVar[str] = "LSUB"

    def encode(self, w: Writer) -> None:
        w.raw(b"LSUB ")
        w.astring(self.reference)
        w.sp()
        w.list_mailbox(self.pattern)


def parse_list(r: Reader, tag: str) -> List:
    r.sp()
    selection: tuple[str, ...] = ()
    extended = False
    if r.peek() == 0x28:
        selection = tuple(r.paren_list(lambda: _option(r, SELECT_OPTIONS)))
        if selection == ("RECURSIVEMATCH",):
            raise ParseError("RECURSIVEMATCH needs another selection option")
        extended = True
        r.sp()
    reference = r.mailbox()
    r.sp()
    if r.peek() == 0x28:
        patterns = tuple(r.paren_list(r.list_mailbox, allow_empty=False))
        extended = True
    else:
        patterns = (r.list_mailbox(),)
    options: list[str] = []
    status: tuple[str, ...] | None = None
    if r.take(b" "):
        if not r.take_word(b"RETURN"):
            r.fail("RETURN")
        r.sp()
        extended = True
        for option in r.paren_list(lambda: _return_option(r)):
            if isinstance(option, tuple):
                status = option
            else:
                options.append(option)
    return List(tag, reference, patterns, selection, tuple(options), status, extended)


def _option(r: Reader, known: frozenset[str]) -> str:
    option = r.keyword()
    if option not in known:
        raise ParseError(f"unknown LIST option {option!r}")
    return option


def _return_option(r: Reader) -> str | tuple[str, ...]:
    if r.take_word(b"STATUS"):
        r.sp()
        return tuple(r.paren_list(lambda: read_status_att(r), allow_empty=False))
    return _option(r, RETURN_OPTIONS)


def parse_lsub(r: Reader, tag: str) -> Lsub:
    r.sp()
    reference = r.mailbox()
    r.sp()
    return Lsub(tag, reference, r.list_mailbox())


PARSERS: dict[str, CommandParser] = {"LIST": parse_list, "LSUB": parse_lsub}
