"""Authenticated state commands: RFC 9051 §6.3 (ENABLE, SELECT, EXAMINE,
CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE, NAMESPACE, STATUS, APPEND,
IDLE), with CONDSTORE/QRESYNC select parameters (RFC 7162 §3.1.8, §3.2.5),
CREATE-SPECIAL-USE (RFC 6154 §3), BINARY and UTF8 APPEND (RFC 3516 §4.4,
RFC 6855 §4). LIST and LSUB are in ``cmd_list``.

    command-auth = append / create / delete / enable / examine / list /
                   namespace-command / rename / select / status / subscribe /
                   unsubscribe / idle
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from harness.protocols.imap.command import Command, CommandParser, no_arguments
from harness.protocols.imap.events import Event
from harness.protocols.imap.lexer import ParseError, Reader
from harness.protocols.imap.values import SequenceSet
from harness.protocols.imap.writer import Writer

STATUS_ITEMS = frozenset(
    {"MESSAGES", "UIDNEXT", "UIDVALIDITY", "UNSEEN", "DELETED", "SIZE", "RECENT"}
    | {"HIGHESTMODSEQ", "APPENDLIMIT", "MAILBOXID"}
)


@dataclass(frozen=True, slots=True)
class Enable(Command):
    """RFC 5161 §3.1 / RFC 9051 §6.3.1: enable = "ENABLE" 1*(SP capability)."""

    capabilities: tuple[str, ...]
    name: ClassVar[str] = "ENABLE"

    def encode(self, w: Writer) -> None:
        w.raw(b"ENABLE")
        for capability in self.capabilities:
            w.sp()
            w.atom(capability)


@dataclass(frozen=True, slots=True)
class QResync:
    """select-param "QRESYNC" (RFC 7162 §3.2.5): what the client remembers."""

    uidvalidity: int
    modseq: int
    known_uids: SequenceSet | None = None
    seq_match: tuple[SequenceSet, SequenceSet] | None = None


@dataclass(frozen=True, slots=True)
class _Selection(Command):
    mailbox: str
    condstore: bool = False
    qresync: QResync | None = None

    def encode(self, w: Writer) -> None:
        w.atom(self.name)
        w.sp()
        w.astring(self.mailbox)
        params: list[str] = ["CONDSTORE"] if self.condstore else []
        if params or self.qresync:
            w.raw(b" (")
            w.raw(" ".join(params).encode())
            if self.qresync:
                w.raw(b" QRESYNC (" if params else b"QRESYNC (")
                _write_qresync(w, self.qresync)
                w.raw(b")")
            w.raw(b")")


@dataclass(frozen=True, slots=True)
class Select(_Selection):
    """RFC 9051 §6.3.2: select = "SELECT" SP mailbox [select-params]."""

    name: ClassVar[str] = "SELECT"


@dataclass(frozen=True, slots=True)
class Examine(_Selection):
    """RFC 9051 §6.3.3: as SELECT, but read-only."""

    name: ClassVar[str] = "EXAMINE"


@dataclass(frozen=True, slots=True)
class Create(Command):
    """RFC 9051 §6.3.4; ``special_use`` is RFC 6154 §3 "USE (\\Sent ...)"."""

    mailbox: str
    special_use: tuple[str, ...] = ()
    name: ClassVar[str] = "CREATE"

    def encode(self, w: Writer) -> None:
        w.raw(b"CREATE ")
        w.astring(self.mailbox)
        if self.special_use:
            w.raw(b" (USE ")
            w.flag_list(self.special_use)
            w.raw(b")")


@dataclass(frozen=True, slots=True)
class _OneMailbox(Command):
    mailbox: str

    def encode(self, w: Writer) -> None:
        w.atom(self.name)
        w.sp()
        w.astring(self.mailbox)


@dataclass(frozen=True, slots=True)
class Delete(_OneMailbox):
    """RFC 9051 §6.3.5: delete = "DELETE" SP mailbox."""

    name: ClassVar[str] = "DELETE"


@dataclass(frozen=True, slots=True)
class Subscribe(_OneMailbox):
    """RFC 9051 §6.3.7: subscribe = "SUBSCRIBE" SP mailbox."""

    name: ClassVar[str] = "SUBSCRIBE"


@dataclass(frozen=True, slots=True)
class Unsubscribe(_OneMailbox):
    """RFC 9051 §6.3.8: unsubscribe = "UNSUBSCRIBE" SP mailbox."""

    name: ClassVar[str] = "UNSUBSCRIBE"


@dataclass(frozen=True, slots=True)
class Rename(Command):
    """RFC 9051 §6.3.6: rename = "RENAME" SP mailbox SP mailbox."""

    mailbox: str
    new_name: str
    name: ClassVar[str] = "RENAME"

    def encode(self, w: Writer) -> None:
        w.raw(b"RENAME ")
        w.astring(self.mailbox)
        w.sp()
        w.astring(self.new_name)


@dataclass(frozen=True, slots=True)
class Namespace(Command):
    """RFC 2342 §5 / RFC 9051 §6.3.10."""

    name: ClassVar[str] = "NAMESPACE"


@dataclass(frozen=True, slots=True)
class Status(Command):
    """RFC 9051 §6.3.11: status = "STATUS" SP mailbox SP "(" status-att *(SP status-att) ")"."""

    mailbox: str
    items: tuple[str, ...]
    name: ClassVar[str] = "STATUS"

    def encode(self, w: Writer) -> None:
        w.raw(b"STATUS ")
        w.astring(self.mailbox)
        w.sp()
        w.paren(self.items, w.atom)


@dataclass(frozen=True, slots=True)
class Append(Command):
    """RFC 9051 §6.3.12: append = "APPEND" SP mailbox [SP flag-list] [SP date-time] SP literal.

    ``binary`` sends the message as literal8 (RFC 3516 §4.4); ``utf8`` wraps it
    in the UTF8 data extension, "UTF8" SP "(" literal8 ")" (RFC 6855 §4).
    """

    mailbox: str
    message: bytes
    flags: tuple[str, ...] | None = None
    internal_date: datetime | None = None
    binary: bool = False
    utf8: bool = False
    name: ClassVar[str] = "APPEND"

    def encode(self, w: Writer) -> None:
        w.raw(b"APPEND ")
        w.astring(self.mailbox)
        if self.flags is not None:
            w.sp()
            w.flag_list(self.flags)
        if self.internal_date is not None:
            w.sp()
            w.date_time(self.internal_date)
        w.sp()
        if self.utf8:
            w.raw(b"UTF8 (")
            w.literal(self.message, binary=True)
            w.raw(b")")
        else:
            w.literal(self.message, binary=self.binary)


@dataclass(frozen=True, slots=True)
class Idle(Command):
    """RFC 2177 / RFC 9051 §6.3.13: after the server's "+", only DONE may follow."""

    name: ClassVar[str] = "IDLE"


@dataclass(frozen=True, slots=True)
class IdleDone(Event):
    """The client's "DONE" line that ends IDLE (idle = "IDLE" CRLF "DONE")."""


# -- parsers -------------------------------------------------------------------


def parse_enable(r: Reader, tag: str) -> Enable:
    capabilities = []
    while r.take(b" "):
        capabilities.append(r.atom())
        r.check_items(len(capabilities))
    if not capabilities:
        r.fail("capability")
    return Enable(tag, tuple(capabilities))


# select-params = SP "(" select-param *(SP select-param) ")"
# select-param  = "CONDSTORE" / "QRESYNC" SP "(" uidvalidity SP mod-sequence-value
#                 [SP known-uids] [SP seq-match-data] ")"
def _parse_selection(cls: type[_Selection]) -> CommandParser:
    def parse(r: Reader, tag: str) -> _Selection:
        r.sp()
        mailbox = r.mailbox()
        condstore, qresync = False, None
        if r.take(b" "):
            for param in r.paren_list(lambda: _read_select_param(r), allow_empty=False):
                if isinstance(param, QResync):
                    qresync = param
                else:
                    condstore = True
        return cls(tag, mailbox, condstore, qresync)

    return parse


def _read_select_param(r: Reader) -> QResync | str:
    if r.take_word(b"CONDSTORE"):
        return "CONDSTORE"
    if not r.take_word(b"QRESYNC"):
        r.fail("select parameter (CONDSTORE or QRESYNC)")
    r.sp()
    r.expect(b"(")
    uidvalidity = r.nz_number()
    r.sp()
    modseq = r.number64()
    known, match = None, None
    if r.take(b" ") and r.peek() != 0x28:
        known = r.sequence_set()
        r.take(b" ")
    if r.take(b"("):
        first = r.sequence_set()
        r.sp()
        match = (first, r.sequence_set())
        r.expect(b")")
    r.expect(b")")
    return QResync(uidvalidity, modseq, known, match)


def _write_qresync(w: Writer, q: QResync) -> None:
    w.number(q.uidvalidity)
    w.sp()
    w.number(q.modseq)
    if q.known_uids is not None:
        w.sp()
        w.sequence_set(q.known_uids)
    if q.seq_match is not None:
        w.raw(b" (")
        w.sequence_set(q.seq_match[0])
        w.sp()
        w.sequence_set(q.seq_match[1])
        w.raw(b")")


# create = "CREATE" SP mailbox [create-params] ; create-param = "USE" SP "(" use-attr... ")"
def parse_create(r: Reader, tag: str) -> Create:
    r.sp()
    mailbox = r.mailbox()
    uses: tuple[str, ...] = ()
    if r.take(b" "):
        r.expect(b"(")
        if not r.take_word(b"USE"):
            r.fail("create parameter USE")
        r.sp()
        uses = r.flag_list()
        r.expect(b")")
    return Create(tag, mailbox, uses)


def _one_mailbox(cls: type[_OneMailbox]) -> CommandParser:
    def parse(r: Reader, tag: str) -> _OneMailbox:
        r.sp()
        return cls(tag, r.mailbox())

    return parse


def parse_rename(r: Reader, tag: str) -> Rename:
    r.sp()
    old = r.mailbox()
    r.sp()
    return Rename(tag, old, r.mailbox())


def read_status_att(r: Reader) -> str:
    item = r.keyword()
    if item not in STATUS_ITEMS:
        raise ParseError(f"unknown status item {item!r}")
    return item


def parse_status(r: Reader, tag: str) -> Status:
    r.sp()
    mailbox = r.mailbox()
    r.sp()
    items = r.paren_list(lambda: read_status_att(r), allow_empty=False)
    return Status(tag, mailbox, tuple(items))


def parse_append(r: Reader, tag: str) -> Append:
    r.sp()
    mailbox = r.mailbox()
    r.sp()
    flags = None
    if r.peek() == 0x28:
        flags = r.flag_list()
        r.sp()
    when = None
    if r.peek() == 0x22:
        when = r.date_time()
        r.sp()
    if r.take_word(b"UTF8"):
        r.sp()
        r.expect(b"(")
        message = r.literal(binary=True)
        r.expect(b")")
        return Append(tag, mailbox, message, flags, when, binary=False, utf8=True)
    binary = r.peek() == 0x7E
    return Append(tag, mailbox, r.literal(binary=True), flags, when, binary=binary)


PARSERS: dict[str, CommandParser] = {
    "ENABLE": parse_enable,
    "SELECT": _parse_selection(Select),
    "EXAMINE": _parse_selection(Examine),
    "CREATE": parse_create,
    "DELETE": _one_mailbox(Delete),
    "RENAME": parse_rename,
    "SUBSCRIBE": _one_mailbox(Subscribe),
    "UNSUBSCRIBE": _one_mailbox(Unsubscribe),
    "NAMESPACE": no_arguments(Namespace),
    "STATUS": parse_status,
    "APPEND": parse_append,
    "IDLE": no_arguments(Idle),
}
