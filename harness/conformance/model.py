"""What a parsed conformance script is: header, steps and expectation nodes.

The shapes follow suites/README.md. Every step and node carries the file and
line it came from, so the runner and the matcher can point at the exact line
that failed. All classes are frozen: a parsed script is shared by every run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from harness.conformance.template import Template


@dataclass(frozen=True, order=True)
class Location:
    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


class ScriptError(ValueError):
    """A script that does not follow suites/README.md; says where and what was expected."""

    def __init__(self, location: Location, message: str) -> None:
        super().__init__(f"{location}: {message}")
        self.location = location
        self.message = message


class Level(StrEnum):
    MUST = "MUST"
    MUST_NOT = "MUST NOT"
    SHOULD = "SHOULD"
    SHOULD_NOT = "SHOULD NOT"
    MAY = "MAY"


class Protocol(StrEnum):
    SMTP = "smtp"
    POP3 = "pop3"
    IMAP = "imap"
    E2E = "e2e"


class Service(StrEnum):
    SMTP = "smtp"
    SUBMISSION = "submission"
    SMTPS = "smtps"
    POP3 = "pop3"
    POP3S = "pop3s"
    IMAP = "imap"
    IMAPS = "imaps"


class SessionState(StrEnum):
    CONNECTED = "connected"
    GREETED = "greeted"
    AUTHENTICATED = "authenticated"
    SELECTED = "selected"


@dataclass(frozen=True)
class SeedMessage:
    """A message stored before the case: from the corpus, or given inline."""

    corpus: str | None = None
    message: bytes | None = None
    account: int = 1
    mailbox: str = "INBOX"
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Header:
    id: str
    title: str
    rfc: str
    section: str
    level: Level
    protocol: Protocol
    service: Service
    requires: tuple[str, ...] = ()
    state: SessionState = SessionState.GREETED
    accounts: int = 1
    seed: tuple[SeedMessage, ...] = ()
    timeout: float = 10.0
    area: str | None = None
    description: str = ""

    @property
    def reference(self) -> str:
        """The requirement's source as reports print it: ``RFC 5321 §4.1.1.1``."""
        return f"{self.rfc} §{self.section}" if self.section else self.rfc


# --- expectation nodes: what S:, ..., unordered: and either: become ---------


class LineKind(StrEnum):
    LINE = "S:"  # the template, then CRLF
    RAW = "S-:"  # exactly the template's bytes
    REGEX = "S~:"  # a regex over the line without its CRLF, then CRLF


@dataclass(frozen=True)
class LineNode:
    """Matches one line of a response."""

    location: Location
    kind: LineKind
    source: str  # the text as written, for messages
    template: Template  # for REGEX: literal parts are regex source


@dataclass(frozen=True)
class RestNode:
    """``...``: the rest of the current response, zero or more lines."""

    location: Location


@dataclass(frozen=True)
class UnorderedNode:
    """Whole responses in any order; ``allow_others`` when it holds a ``...`` item."""

    location: Location
    items: tuple[tuple[Node, ...], ...]
    allow_others: bool


@dataclass(frozen=True)
class EitherNode:
    """Alternatives: the first branch that matches wins."""

    location: Location
    branches: tuple[tuple[Node, ...], ...]


Node = LineNode | RestNode | UnorderedNode | EitherNode


# --- steps -------------------------------------------------------------------


@dataclass(frozen=True)
class Chunk:
    """One C: or C-: line: its text, and whether CRLF follows it."""

    location: Location
    template: Template
    line_end: bool


@dataclass(frozen=True)
class Send:
    """One write: a C: line, or every line of a write: block."""

    location: Location
    session: str
    chunks: tuple[Chunk, ...]


@dataclass(frozen=True)
class Expect:
    """A group of expectations for one session (suites/README.md, rule 3)."""

    location: Location
    session: str
    nodes: tuple[Node, ...]


@dataclass(frozen=True)
class Open:
    location: Location
    session: str
    service: Service
    state: SessionState
    account: int = 1
    implicit: bool = False  # inserted by the parser before a session's first use


@dataclass(frozen=True)
class Close:
    location: Location
    session: str


@dataclass(frozen=True)
class StartTLS:
    location: Location
    session: str
    close_ok: bool = False  # "starttls or close": closing instead ends the case, passed


@dataclass(frozen=True)
class ExpectClose:
    location: Location
    session: str


@dataclass(frozen=True)
class ExpectSilence:
    location: Location
    session: str
    seconds: float


@dataclass(frozen=True)
class Sleep:
    location: Location
    session: str
    seconds: float


@dataclass(frozen=True)
class Sync:
    """A barrier inside ``parallel:``: every lane reaches it before any goes on."""

    location: Location


@dataclass(frozen=True)
class Parallel:
    location: Location
    steps: tuple[Step, ...]

    def lanes(self) -> dict[str, list[Step]]:
        """The steps of each session in order; every lane gets every Sync."""
        sessions = [s.session for s in self.steps if not isinstance(s, Sync | Parallel)]
        lanes: dict[str, list[Step]] = {name: [] for name in dict.fromkeys(sessions)}
        for step in self.steps:
            if isinstance(step, Sync):
                for lane in lanes.values():
                    lane.append(step)
            elif not isinstance(step, Parallel):
                lanes[step.session].append(step)
        return lanes


Step = (
    Send | Expect | Open | Close | StartTLS | ExpectClose | ExpectSilence | Sleep | Sync | Parallel
)


@dataclass(frozen=True)
class Script:
    path: str
    header: Header
    steps: tuple[Step, ...]
    sessions: tuple[str, ...] = field(default=("main",))

    @property
    def id(self) -> str:
        return self.header.id

    @property
    def catalogue_id(self) -> str:
        """The catalogue requirement: the id without its ``/variant``."""
        return self.header.id.split("/", 1)[0]
