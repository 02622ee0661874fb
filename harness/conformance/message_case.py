"""Message cases: a message's journey through a server, declared in a TOML file.

Some behaviours are not a dialogue but a journey: a message submitted by SMTP
must come back out of IMAP and POP3 with every octet intact (suites/fidelity),
or cross to a second server and arrive there intact (suites/e2e). A script
cannot say "these bytes, as I sent them"; a case file can. The format is
specified in suites/README.md ("Message cases"); in short::

    check = "fidelity"                # what the journey is (``Journey``)
    id = "XP-SMTP-IMAP-BYTES"         # each case is <id>/<name>
    title = "..."; rfc = "RFC 5321"; section = "4.5.2"; level = "MUST"

    [[cases]]
    name = "leading-dots"
    corpus = "leading-dots"           # a corpus kind (harness.mail), or:
    # message = '''...'''             # an inline message (CRLF; integrity line added)

A file yields one ``MessageCase`` per ``[[cases]]`` entry; each carries a
``Header`` like a script's, so selection, gating, reports and baselines
treat both alike. Parsing builds each message once, to learn what the
journey requires of the server (8BITMIME, SMTPUTF8, CHUNKING+BINARYMIME).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from harness.conformance.header import ID_PATTERN, parse_duration
from harness.conformance.model import (
    Header,
    Level,
    Location,
    Protocol,
    Script,
    ScriptError,
    Service,
    SessionState,
)
from harness.mail.corpus import build_message
from harness.mail.integrity import ID_HEADER, stamp
from harness.mail.kinds import kind_named

SUFFIX = ".toml"
NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
TRACE_FIELDS = ("Return-Path", "Received")  # RFC 5321 §4.4: what a receiver prepends
READERS = ("imap", "pop3")
DELIVER_WITHIN_S = 10.0  # default wait for a submitted message to reach the mailbox
SUBMIT_SERVICES = (Service.SUBMISSION, Service.SMTP, Service.SMTPS)
FILE_KEYS = {
    "check", "id", "title", "rfc", "section", "level", "service", "read", "transfer",
    "trace_fields", "deliver_within", "timeout", "area", "description", "also", "cases",
}  # fmt: skip
CASE_KEYS = {
    "name", "corpus", "message", "title", "requires", "transfer", "read", "direction",
    "description",
}  # fmt: skip


class Journey(StrEnum):
    FIDELITY = "fidelity"  # submit on the target, read back from the same account there
    RELAY = "relay"  # submit on one server of a relay pair, read back on the other
    BOUNCE = "bounce"  # submit to an unknown user at the relay peer, read the DSN back

    @property
    def needs_peer(self) -> bool:
        return self is not Journey.FIDELITY


class Direction(StrEnum):
    OUT = "out"  # from the target's account 1 to the relay peer's account
    IN = "in"  # from the relay peer's account to the target's account 1


class Transfer(StrEnum):
    AUTO = "auto"  # BDAT when the message needs BINARYMIME, else DATA
    DATA = "data"
    BDAT = "bdat"


@dataclass(frozen=True)
class Message:
    """The octets a case submits, and what carrying them needs (RFC 6152, 6531, 3030)."""

    raw: bytes
    kind: str | None  # the corpus kind, None for an inline message
    needs_8bitmime: bool
    needs_smtputf8: bool
    needs_binarymime: bool
    verify: Callable[[bytes], str | None] | None = None  # the kind's own after-transit check


@dataclass(frozen=True)
class MessageCase:
    path: str
    header: Header
    journey: Journey
    message: Message
    read: tuple[str, ...]  # protocols the message is read back with, in order
    transfer: Transfer
    trace_fields: tuple[str, ...]
    deliver_within: float  # how long the message may take to arrive, seconds
    direction: Direction = Direction.OUT

    @property
    def id(self) -> str:
        return self.header.id

    @property
    def catalogue_id(self) -> str:
        return self.header.id.split("/", 1)[0]


def corpus_message(name: str) -> Message:
    """Corpus message 1 of kind ``name`` for seed 0 (as seeds use it)."""
    kind = kind_named(name)
    built = build_message(0, 0, kind)
    return Message(
        raw=built.raw,
        kind=name,
        needs_8bitmime=built.needs_8bitmime,
        needs_smtputf8=built.needs_smtputf8,
        needs_binarymime=built.needs_binarymime,
        verify=kind.verify,
    )


def inline_message(text: str, case_id: str) -> Message:
    """An inline message: CRLF line ends (the last line too: SMTP DATA cannot carry a
    message without one), and the integrity line on top (harness.mail.integrity)."""
    body = re.sub(r"\r?\n", "\r\n", text.rstrip("\r\n") + "\n").encode("utf-8")
    raw = stamp(f"{ID_HEADER}: {case_id}\r\n".encode() + body)
    head = raw.split(b"\r\n\r\n", 1)[0]
    bare = re.search(rb"\r(?!\n)|(?<!\r)\n|\x00", raw) is not None
    return Message(
        raw=raw,
        kind=None,
        needs_8bitmime=not raw.isascii(),
        needs_smtputf8=not head.isascii(),
        needs_binarymime=bare,
    )


def requirements(message: Message, transfer: Transfer) -> tuple[str, ...]:
    """What the submission service must advertise to carry ``message`` unchanged."""
    needs = []
    if message.needs_binarymime:
        needs += ["CHUNKING", "BINARYMIME"]
    elif message.needs_8bitmime:
        needs.append("8BITMIME")
    if message.needs_smtputf8:
        needs.append("SMTPUTF8")
    if transfer is Transfer.BDAT and "CHUNKING" not in needs:
        needs.append("CHUNKING")
    return tuple(needs)


# --- the file ------------------------------------------------------------------------


def parse_case_file(path: Path | str, *, root: Path | str | None = None) -> list[MessageCase]:
    """Every case of one file; ScriptError (file:line) for anything wrong."""
    file = Path(path)
    shown = file.relative_to(root).as_posix() if root is not None else file.as_posix()
    if file.suffix != SUFFIX or not NAME.fullmatch(file.stem):
        raise ScriptError(Location(shown, 1), "case file names are kebab-case .toml")
    text = file.read_text(encoding="utf-8")
    try:
        table = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ScriptError(Location(shown, 1), f"bad TOML: {error}") from None
    return _CaseFile(table, text, shown, file.parent.name or None).cases()


class _CaseFile:
    def __init__(self, table: dict[str, Any], text: str, path: str, folder: str | None) -> None:
        self.table = table
        self.lines = text.split("\n")
        self.path = path
        self.folder = folder

    def fail(self, key: str, message: str, occurrence: int = 0) -> ScriptError:
        """An error at the line setting ``key`` (its ``occurrence``-th mention)."""
        pattern = re.compile(rf"\s*(\[\[)?{re.escape(key)}\s*(=|\]\])")
        hits = [number for number, line in enumerate(self.lines, 1) if pattern.match(line)]
        line = hits[min(occurrence, len(hits) - 1)] if hits else 1
        return ScriptError(Location(self.path, line), message)

    def text(self, table: Mapping[str, Any], key: str, default: str | None = None) -> str:
        value = table.get(key, default)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, f"'{key}' must be a non-empty string")
        return value.strip()

    def strings(
        self, table: Mapping[str, Any], key: str, default: tuple[str, ...]
    ) -> tuple[str, ...]:
        value = table.get(key, list(default))
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.fail(key, f"'{key}' must be a list of strings")
        return tuple(value)

    def choice(
        self, table: Mapping[str, Any], key: str, allowed: type[StrEnum], default: str
    ) -> Any:
        value = self.text(table, key, default)
        try:
            return allowed(value)
        except ValueError:
            names = ", ".join(member.value for member in allowed)
            raise self.fail(key, f"'{key}' must be one of {names}; got {value!r}") from None

    def duration(self, key: str, default: float) -> float:
        if key not in self.table:
            return default
        try:
            return parse_duration(self.table[key])
        except ValueError as error:
            raise self.fail(key, f"'{key}': {error}") from None

    def cases(self) -> list[MessageCase]:
        unknown = sorted(set(self.table) - FILE_KEYS)
        if unknown:
            raise self.fail(unknown[0], f"unknown key '{unknown[0]}' (known: {sorted(FILE_KEYS)})")
        entries = self.table.get("cases")
        if not isinstance(entries, list) or not entries:
            raise self.fail("cases", "a case file lists at least one [[cases]] table")
        names = [entry.get("name") if isinstance(entry, dict) else None for entry in entries]
        for index, name in enumerate(names):
            if names.index(name) != index:
                raise self.fail("name", f"case name {name!r} is used twice", index)
        return [self.case(entry, index) for index, entry in enumerate(entries)]

    def case(self, entry: Any, index: int) -> MessageCase:
        if not isinstance(entry, dict):
            raise self.fail("cases", "each [[cases]] entry is a table", index)
        unknown = sorted(set(entry) - CASE_KEYS)
        if unknown:
            raise self.fail(
                unknown[0], f"unknown case key '{unknown[0]}' (known: {sorted(CASE_KEYS)})"
            )
        name = self.text(entry, "name")
        if not NAME.fullmatch(name):
            raise self.fail("name", f"case names are kebab-case; got {name!r}", index)
        case_id = f"{self.case_id()}/{name}"
        message = self.message(entry, case_id, index)
        transfer = self.choice(entry, "transfer", Transfer, self.table.get("transfer", "auto"))
        journey = self.choice(self.table, "check", Journey, "")
        direction = self.choice(entry, "direction", Direction, "out")
        needs = requirements(message, transfer)
        if direction is Direction.IN and (journey is not Journey.RELAY or needs):
            raise self.fail(
                "direction",
                "direction 'in' is for relay cases with a 7-bit message sent by DATA "
                "(the peer's extensions are not probed)",
                index,
            )
        return MessageCase(
            path=self.path,
            header=self.header(entry, case_id, needs),
            journey=journey,
            direction=direction,
            message=message,
            read=self.readers(entry),
            transfer=transfer,
            trace_fields=self.strings(self.table, "trace_fields", TRACE_FIELDS),
            deliver_within=self.duration("deliver_within", DELIVER_WITHIN_S),
        )

    def case_id(self) -> str:
        value = self.text(self.table, "id")
        if not ID_PATTERN.fullmatch(value) or "/" in value:
            raise self.fail(
                "id", f"'id' must be a catalogue ID like XP-SMTP-IMAP-BYTES; got {value!r}"
            )
        return value

    def message(self, entry: Mapping[str, Any], case_id: str, index: int) -> Message:
        if ("corpus" in entry) == ("message" in entry):
            raise self.fail("name", "a case needs exactly one of 'corpus' and 'message'", index)
        if "message" in entry:
            self.text(entry, "message")  # a non-empty string
            return inline_message(entry["message"], case_id)
        try:
            return corpus_message(self.text(entry, "corpus"))
        except ValueError as error:
            raise self.fail("corpus", str(error), index) from None

    def readers(self, entry: Mapping[str, Any]) -> tuple[str, ...]:
        read = self.strings(entry, "read", self.strings(self.table, "read", READERS))
        if not read or any(protocol not in READERS for protocol in read):
            raise self.fail("read", f"'read' lists protocols among {', '.join(READERS)}")
        return read

    def header(self, entry: Mapping[str, Any], case_id: str, needs: tuple[str, ...]) -> Header:
        service = self.choice(self.table, "service", Service, "submission")
        if service not in SUBMIT_SERVICES:
            raise self.fail(
                "service", "'service' is where the message is submitted: an SMTP service"
            )
        title = self.text(self.table, "title")
        if "title" in entry:
            title = f"{title}: {self.text(entry, 'title')}"
        rfc = self.table.get("rfc")
        description = "\n\n".join(
            text
            for text in (self.table.get("description", ""), entry.get("description", ""))
            if text
        )
        also = self.strings(self.table, "also", ())
        if also:
            description = f"Also checks {', '.join(also)}.\n\n{description}".strip()
        return Header(
            id=case_id,
            title=title,
            rfc=f"RFC {rfc}" if isinstance(rfc, int) else self.text(self.table, "rfc"),
            section=self.text(self.table, "section"),
            level=self.choice(self.table, "level", Level, ""),
            protocol=Protocol.E2E,
            service=service,
            requires=tuple(dict.fromkeys([*needs, *self.strings(entry, "requires", ())])),
            state=SessionState.AUTHENTICATED,
            accounts=1,
            timeout=self.duration("timeout", 10.0),
            area=self.table.get("area", self.folder),
            description=description,
        )


Case = Script | MessageCase
"""What a suite holds: dialogue scripts (.mhs) and message cases (.toml)."""
