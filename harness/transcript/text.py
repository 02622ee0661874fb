"""The C:/S: text form of transcripts: the conformance script syntax.

A recorded session renders as script body lines, so it can be pasted under a
header and edited into a regression script (suites/README.md):

    C: EHLO client.example          one client write that is one CRLF line
    C-: half a line                 bytes with no CRLF appended
    write: ... end                  one client write holding several lines
    S: 250 OK                       one server line ending in CRLF
    S-: bare${LF}                   server bytes whose line end is not CRLF
    starttls / close / expect close TLS started, client closed, server closed

Client writes stay separate (one write, one entry), so pipelining and
injection probes keep their shape. Server bytes are written line by line; how
they were split into reads is not part of the text form.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from harness.transcript.escapes import EscapeError, escape_text, unescape_text
from harness.transcript.model import Direction, Event, EventKind, Transcript

_SESSION_PREFIX = re.compile(r"\[([A-Za-z0-9_-]+)\]\s+")
_LINE_PREFIX = {(Direction.CLIENT, True): "C:", (Direction.CLIENT, False): "C-:"}
_LINE_PREFIX |= {(Direction.SERVER, True): "S:", (Direction.SERVER, False): "S-:"}


class TranscriptTextError(ValueError):
    def __init__(self, source: str, line: int, message: str) -> None:
        super().__init__(f"{source}:{line}: {message}")
        self.line = line


@dataclass(frozen=True)
class TextEvent:
    """One entry of the text form: what it says, without timestamps."""

    session: str | None
    kind: EventKind
    direction: Direction
    data: bytes = b""


def split_lines(data: bytes) -> list[bytes]:
    """Split after every LF, keeping terminators (the last piece may lack one).

    Not ``bytes.splitlines``: that also splits at a bare CR, which mail
    protocols do not treat as a line end.
    """
    pieces = data.split(b"\n")
    lines = [piece + b"\n" for piece in pieces[:-1]]
    return [*lines, pieces[-1]] if pieces[-1] else lines


def render_line(direction: Direction, line: bytes) -> str:
    """One line of the text form for ``line`` (which contains at most one LF, at its end)."""
    crlf = line.endswith(b"\r\n")
    body = escape_text(line[:-2] if crlf else line)
    prefix = _LINE_PREFIX[(direction, crlf)]
    return f"{prefix} {body}" if body else prefix


def text_events(transcript: Transcript, session: str | None = None) -> list[TextEvent]:
    """The events as the text form records them: adjacent server data merged."""
    return list(_merge_server_runs((session, event) for event in transcript.events))


def _merge_server_runs(events: Iterable[tuple[str | None, Event]]) -> Iterator[TextEvent]:
    pending: TextEvent | None = None
    for session, event in events:
        entry = TextEvent(session, event.kind, event.direction, event.data)
        if pending is not None and _continues_server_run(pending, entry):
            pending = TextEvent(
                session, EventKind.DATA, Direction.SERVER, pending.data + entry.data
            )
            continue
        if pending is not None:
            yield pending
        pending = entry
    if pending is not None:
        yield pending


def _continues_server_run(previous: TextEvent, entry: TextEvent) -> bool:
    return (
        previous.kind is EventKind.DATA is entry.kind
        and previous.direction is Direction.SERVER is entry.direction
        and previous.session == entry.session
    )


def render_text(transcript: Transcript, *, max_event_bytes: int | None = None) -> str:
    """The text form of one connection (no session prefixes)."""
    lines = [f"# {transcript.describe()}"]
    lines += _render_events(text_events(transcript), max_event_bytes)
    return "\n".join(lines) + "\n"


def render_sessions(
    transcripts: Mapping[str, Transcript], *, max_event_bytes: int | None = None
) -> str:
    """Several connections interleaved by time, each line prefixed ``[name]``."""
    lines = [f"# [{name}] {t.describe()}" for name, t in transcripts.items()]
    tagged = [(name, event) for name, t in transcripts.items() for event in t.events]
    tagged.sort(key=lambda pair: pair[1].monotonic)  # stable: ties keep recording order
    lines += _render_events(_merge_server_runs(tagged), max_event_bytes)
    return "\n".join(lines) + "\n"


def _render_events(events: Iterable[TextEvent], max_event_bytes: int | None) -> list[str]:
    out: list[str] = []
    for event in events:
        prefix = f"[{event.session}] " if event.session is not None else ""
        if event.kind is EventKind.TLS:
            out.append(prefix + "starttls")
        elif event.kind is EventKind.CLOSE:
            closer = "expect close" if event.direction is Direction.SERVER else "close"
            out.append(prefix + closer)
        else:
            out += _render_data(prefix, event, max_event_bytes)
    return out


def _render_data(prefix: str, event: TextEvent, max_event_bytes: int | None) -> list[str]:
    shown = event.data if max_event_bytes is None else event.data[:max_event_bytes]
    rendered = [render_line(event.direction, line) for line in split_lines(shown)]
    hidden = len(event.data) - len(shown)
    note = [f"# ... {hidden} more bytes not shown"] if hidden else []
    if event.direction is Direction.SERVER:
        return [prefix + line for line in rendered] + note
    if len(rendered) == 1:
        return [prefix + rendered[0], *note]
    return [prefix + "write:", *("  " + line for line in rendered), "end", *note]


def parse_text(text: str, source: str = "<transcript>") -> list[TextEvent]:
    """Read the text form back into the events it records."""
    reader = _TextReader(source)
    for number, raw in enumerate(text.split("\n"), start=1):
        reader.feed(number, raw.removesuffix("\r").strip())
    return reader.finish()


class _TextReader:
    def __init__(self, source: str) -> None:
        self.source = source
        self.events: list[TextEvent] = []
        self.write: list[bytes] | None = None  # inside write: ... end
        self.write_session: str | None = None
        self.write_line = 0
        self.line = 0

    def fail(self, message: str) -> TranscriptTextError:
        return TranscriptTextError(self.source, self.line, message)

    def feed(self, number: int, line: str) -> None:
        self.line = number
        if not line or line.startswith("#"):
            return
        session = None
        prefix = _SESSION_PREFIX.match(line)
        if prefix:
            session, line = prefix.group(1), line[prefix.end() :]
        if self.write is not None:
            self._feed_write_block(session, line)
        else:
            self._feed_entry(session, line)

    def _feed_write_block(self, session: str | None, line: str) -> None:
        assert self.write is not None
        if session is not None and session != self.write_session:
            raise self.fail(f"[{session}] inside a write: block of [{self.write_session}]")
        if line == "end":
            self._append(self.write_session, Direction.CLIENT, b"".join(self.write))
            self.write = None
            return
        data = self._data_line(line)
        if data is None or data[0] is not Direction.CLIENT:
            raise self.fail(f"expected C:, C-: or end inside write:, got {line!r}")
        self.write.append(data[1])

    def _feed_entry(self, session: str | None, line: str) -> None:
        if line == "write:":
            self.write, self.write_session, self.write_line = [], session, self.line
            return
        markers = {
            "starttls": (EventKind.TLS, Direction.CLIENT),
            "close": (EventKind.CLOSE, Direction.CLIENT),
            "expect close": (EventKind.CLOSE, Direction.SERVER),
        }
        if line in markers:
            kind, direction = markers[line]
            self.events.append(TextEvent(session, kind, direction))
            return
        data = self._data_line(line)
        if data is None:
            raise self.fail(f"expected C:, C-:, S:, S-:, write:, starttls or close, got {line!r}")
        self._append(session, *data)

    def _data_line(self, line: str) -> tuple[Direction, bytes] | None:
        for (direction, crlf), prefix in _LINE_PREFIX.items():
            if line == prefix or line.startswith(prefix + " "):
                body = line[len(prefix) + 1 :]
                try:
                    data = unescape_text(body)
                except EscapeError as error:
                    raise self.fail(error.message) from None
                return direction, data + (b"\r\n" if crlf else b"")
        return None

    def _append(self, session: str | None, direction: Direction, data: bytes) -> None:
        entry = TextEvent(session, EventKind.DATA, direction, data)
        last = self.events[-1] if self.events else None
        if (
            direction is Direction.SERVER
            and last is not None
            and _continues_server_run(last, entry)
        ):
            self.events[-1] = TextEvent(session, EventKind.DATA, direction, last.data + data)
        else:
            self.events.append(entry)

    def finish(self) -> list[TextEvent]:
        if self.write is not None:
            self.line = self.write_line
            raise self.fail("write: block is not closed by end")
        return self.events
