"""Commands valid in any state: RFC 9051 §6.1 (CAPABILITY, NOOP, LOGOUT) and
ID (RFC 2971 §3.1, allowed in every state).

    command-any     = "CAPABILITY" / "LOGOUT" / "NOOP" / id
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from harness.protocols.imap.command import Command, CommandParser, no_arguments
from harness.protocols.imap.lexer import Reader
from harness.protocols.imap.writer import Writer

IdParams = tuple[tuple[str, str | None], ...] | None


@dataclass(frozen=True, slots=True)
class Capability(Command):
    """RFC 9051 §6.1.1: the server answers with one untagged CAPABILITY."""

    name: ClassVar[str] = "CAPABILITY"


@dataclass(frozen=True, slots=True)
class Noop(Command):
    """RFC 9051 §6.1.2: does nothing; a chance for untagged updates."""

    name: ClassVar[str] = "NOOP"


@dataclass(frozen=True, slots=True)
class Logout(Command):
    """RFC 9051 §6.1.3: "The server MUST send a BYE untagged response before the
    (tagged) OK response, and then close the network connection." """

    name: ClassVar[str] = "LOGOUT"


@dataclass(frozen=True, slots=True)
class Id(Command):
    """RFC 2971 §3.1: client identification; ``params`` None is NIL."""

    params: IdParams = None
    name: ClassVar[str] = "ID"

    def encode(self, w: Writer) -> None:
        w.raw(b"ID ")
        write_id_params(w, self.params)


# id-params-list = "(" *(string SP nstring) ")" / nil      (RFC 2971 §4)
def read_id_params(r: Reader) -> IdParams:
    if r.take_word(b"NIL"):
        return None
    r.expect(b"(")
    pairs: list[tuple[str, str | None]] = []
    while not r.take(b")"):
        if pairs:
            r.sp()
        field = r.string()
        r.sp()
        pairs.append((field, r.nstring()))
        r.check_items(len(pairs))
    return tuple(pairs)


def write_id_params(w: Writer, params: IdParams) -> None:
    if params is None:
        w.raw(b"NIL")
        return
    w.raw(b"(")
    for index, (field, value) in enumerate(params):
        if index:
            w.sp()
        w.string(field)
        w.sp()
        w.nstring(value)
    w.raw(b")")


# id = "ID" SP id-params-list
def parse_id(r: Reader, tag: str) -> Id:
    r.sp()
    return Id(tag, read_id_params(r))


PARSERS: dict[str, CommandParser] = {
    "CAPABILITY": no_arguments(Capability),
    "NOOP": no_arguments(Noop),
    "LOGOUT": no_arguments(Logout),
    "ID": parse_id,
}
