"""Selected state commands: RFC 9051 §6.4 (CHECK, CLOSE, UNSELECT, EXPUNGE,
STORE, COPY, MOVE and their UID forms), with UIDPLUS's UID EXPUNGE (RFC 4315
§2.1), MOVE (RFC 6851) and CONDSTORE's UNCHANGEDSINCE (RFC 7162 §3.1.3).
SEARCH and FETCH have their own modules (``search``, ``fetch``).

    command-select  = "CHECK" / "CLOSE" / "UNSELECT" / "EXPUNGE" / copy / move /
                      fetch / store / search / uid
    store           = "STORE" SP sequence-set [SP store-modifiers] SP store-att-flags
    store-modifiers = "(" "UNCHANGEDSINCE" SP mod-sequence-valzer ")"
    store-att-flags = (["+" / "-"] "FLAGS" [".SILENT"]) SP (flag-list / (flag *(SP flag)))
    copy            = "COPY" SP sequence-set SP mailbox
    move            = "MOVE" SP sequence-set SP mailbox
    uid-expunge     = "EXPUNGE" SP sequence-set
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from harness.protocols.imap.command import Command, CommandParser, no_arguments
from harness.protocols.imap.lexer import Reader
from harness.protocols.imap.values import SequenceSet
from harness.protocols.imap.writer import Writer

_STORE_ITEM_RE = re.compile(rb"([+-]?)FLAGS(\.SILENT)?", re.I)


@dataclass(frozen=True, slots=True)
class Check(Command):
    """RFC 3501 §6.4.1 (removed in rev2): a checkpoint; acts like NOOP."""

    name: ClassVar[str] = "CHECK"


@dataclass(frozen=True, slots=True)
class Close(Command):
    """RFC 9051 §6.4.1: expunge silently (unless read-only) and deselect."""

    name: ClassVar[str] = "CLOSE"


@dataclass(frozen=True, slots=True)
class Unselect(Command):
    """RFC 3691 / RFC 9051 §6.4.2: deselect without expunging."""

    name: ClassVar[str] = "UNSELECT"


@dataclass(frozen=True, slots=True)
class Expunge(Command):
    """EXPUNGE, or with ``uids`` UID EXPUNGE (RFC 4315 §2.1)."""

    uids: SequenceSet | None = None
    name: ClassVar[str] = "EXPUNGE"

    @property
    def uid(self) -> bool:
        return self.uids is not None

    def encode(self, w: Writer) -> None:
        w.raw(b"EXPUNGE")
        if self.uids is not None:
            w.sp()
            w.sequence_set(self.uids)


@dataclass(frozen=True, slots=True)
class Store(Command):
    """STORE / UID STORE; ``action`` is "" (replace), "+" (add) or "-" (remove)."""

    sequence_set: SequenceSet
    action: str
    flags: tuple[str, ...]
    silent: bool = False
    uid: bool = False
    unchangedsince: int | None = None
    name: ClassVar[str] = "STORE"

    def encode(self, w: Writer) -> None:
        w.raw(b"STORE ")
        w.sequence_set(self.sequence_set)
        if self.unchangedsince is not None:
            w.raw(b" (UNCHANGEDSINCE %d)" % self.unchangedsince)
        if self.action not in ("", "+", "-"):
            raise ValueError(f"STORE action must be '', '+' or '-', not {self.action!r}")
        w.raw(f" {self.action}FLAGS{'.SILENT' if self.silent else ''} ".encode("ascii"))
        w.flag_list(self.flags)


@dataclass(frozen=True, slots=True)
class _Transfer(Command):
    sequence_set: SequenceSet
    mailbox: str
    uid: bool = False

    def encode(self, w: Writer) -> None:
        w.atom(self.name)
        w.sp()
        w.sequence_set(self.sequence_set)
        w.sp()
        w.astring(self.mailbox)


@dataclass(frozen=True, slots=True)
class Copy(_Transfer):
    """RFC 9051 §6.4.7: copy = "COPY" SP sequence-set SP mailbox."""

    name: ClassVar[str] = "COPY"


@dataclass(frozen=True, slots=True)
class Move(_Transfer):
    """RFC 6851 §3.1 / RFC 9051 §6.4.8: move = "MOVE" SP sequence-set SP mailbox."""

    name: ClassVar[str] = "MOVE"


def parse_store(r: Reader, tag: str, *, uid: bool = False) -> Store:
    r.sp()
    sequence_set = r.sequence_set()
    r.sp()
    unchangedsince = None
    if r.take(b"("):
        if not r.take_word(b"UNCHANGEDSINCE"):
            r.fail("UNCHANGEDSINCE")
        r.sp()
        unchangedsince = r.number64()
        r.expect(b")")
        r.sp()
    match = _STORE_ITEM_RE.match(r.line, r.pos)
    if match is None:
        r.fail("FLAGS, +FLAGS or -FLAGS")
    r.pos = match.end()
    r.sp()
    if r.peek() == 0x28:
        flags = r.flag_list()
    else:
        items = [r.flag()]
        while r.take(b" "):
            items.append(r.flag())
            r.check_items(len(items))
        flags = tuple(items)
    action = match[1].decode("ascii")
    return Store(tag, sequence_set, action, flags, bool(match[2]), uid, unchangedsince)


def _transfer(cls: type[_Transfer], *, uid: bool = False) -> CommandParser:
    def parse(r: Reader, tag: str) -> _Transfer:
        r.sp()
        sequence_set = r.sequence_set()
        r.sp()
        return cls(tag, sequence_set, r.mailbox(), uid)

    return parse


def _uid_store(r: Reader, tag: str) -> Store:
    return parse_store(r, tag, uid=True)


def _uid_expunge(r: Reader, tag: str) -> Expunge:
    r.sp()
    return Expunge(tag, r.sequence_set())


PARSERS: dict[str, CommandParser] = {
    "CHECK": no_arguments(Check),
    "CLOSE": no_arguments(Close),
    "UNSELECT": no_arguments(Unselect),
    "EXPUNGE": no_arguments(Expunge),
    "STORE": parse_store,
    "COPY": _transfer(Copy),
    "MOVE": _transfer(Move),
}
UID_PARSERS: dict[str, CommandParser] = {
    "STORE": _uid_store,
    "COPY": _transfer(Copy, uid=True),
    "MOVE": _transfer(Move, uid=True),
    "EXPUNGE": _uid_expunge,
}
