"""The command base class and the command line around every command.

RFC 9051 §9::

    command         = tag SP (command-any / command-auth / command-nonauth /
                      command-select) CRLF
    tag             = 1*<any ASTRING-CHAR except "+">
    uid             = "UID" SP (copy / move / fetch / search / store / uid-expunge)

Each ``cmd_*`` module defines its commands (a frozen dataclass with an
``encode`` method writing the command after its tag) and a ``PARSERS`` table
from command name to a function reading the arguments after the name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from harness.protocols.imap.events import Event
from harness.protocols.imap.framing import TAG_RE
from harness.protocols.imap.lexer import ParseError, Reader
from harness.protocols.imap.writer import Writer


@dataclass(frozen=True, slots=True)
class Command(Event):
    """A tagged client command; ``name`` is its keyword (``UID`` prefix aside)."""

    tag: str
    name: ClassVar[str] = ""

    @property
    def uses_uid(self) -> bool:
        """True for the UID form (``UID FETCH`` ...)."""
        return bool(getattr(self, "uid", False))

    def encode(self, w: Writer) -> None:
        """Write the command after ``tag SP``; argument-less commands keep this."""
        w.atom(self.name)


CommandParser = Callable[[Reader, str], Command]


class CommandSyntaxError(ParseError):
    """A command line that does not parse; ``tag`` is set when it was readable."""

    def __init__(self, message: str, tag: str | None) -> None:
        super().__init__(message)
        self.message = message
        self.tag = tag


def read_tag(r: Reader) -> str:
    match = TAG_RE.match(r.line, r.pos)
    if match is None:
        r.fail("tag")
    r.pos = match.end()
    return match[0].decode("ascii")


def parse_command(
    r: Reader, parsers: dict[str, CommandParser], uid_parsers: dict[str, CommandParser]
) -> Command:
    """Read a whole command unit; errors carry the tag once it is known."""
    tag: str | None = None
    try:
        tag = read_tag(r)
        r.sp()
        name = r.keyword()
        table = parsers
        if name == "UID":
            r.sp()
            name = r.keyword()
            table = uid_parsers
        parser = table.get(name)
        if parser is None:
            raise ParseError(f"unknown command {name!r}")
        command = parser(r, tag)
        r.end()
        return command
    except ParseError as exc:
        raise CommandSyntaxError(str(exc), tag) from None


def write_command(command: Command, w: Writer) -> list[bytes]:
    """Serialise ``command``; returns its segments (see ``Writer.finish``)."""
    if TAG_RE.fullmatch(command.tag.encode("ascii", "replace")) is None:
        raise ValueError(f"not a valid tag: {command.tag!r}")
    w.raw(command.tag.encode("ascii"))
    w.sp()
    if command.uses_uid:
        w.raw(b"UID ")
    command.encode(w)
    return w.finish()


def no_arguments(cls: Callable[[str], Command]) -> CommandParser:
    """The parser of a command that takes no arguments."""

    def parse(r: Reader, tag: str) -> Command:
        return cls(tag)

    return parse
