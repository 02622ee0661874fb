"""Decoded captures as text: C:/S: transcripts with notes, and script skeletons.

The body is the transcript text form of harness.transcript (the script
syntax of suites/README.md); each note follows the event it is about as a
comment line, ``# !!`` for a protocol violation and ``# --`` for anything
else (gaps, TLS, where decoding stopped). Comments are part of the script
syntax, so a skeleton keeps them for whoever turns it into a regression case.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import tomli_w

from harness.capture.decode import DecodedConnection, PcapDecoding
from harness.capture.dialogue import Note
from harness.transcript import Direction, EventKind, render_line, split_lines

VIOLATION_PREFIX, NOTE_PREFIX = "# !! ", "# -- "
RFCS = {"smtp": "RFC 5321", "pop3": "RFC 1939", "imap": "RFC 9051"}
SUBMISSION_PORTS = frozenset({587, 10587})


def render_decoded(decoded: DecodedConnection, *, max_event_bytes: int | None = None) -> str:
    """One conversation: a header comment, then its events with their notes."""
    connection = decoded.connection
    started = datetime.fromtimestamp(connection.start, UTC).isoformat(timespec="milliseconds")
    lines = [f"# {decoded.transcript.describe()}", f"# started {started}"]
    lines += _body(decoded, max_event_bytes)
    return "\n".join(lines) + "\n"


def render_decoding(decoding: PcapDecoding, *, max_event_bytes: int | None = None) -> str:
    """Every conversation of a capture, then the connections that were not mail."""
    parts = [render_decoded(d, max_event_bytes=max_event_bytes) for d in decoding.connections]
    if decoding.skipped:
        parts.append("".join(f"# skipped {line}\n" for line in decoding.skipped))
    return "\n".join(parts)


def _body(
    decoded: DecodedConnection, max_event_bytes: int | None, script: bool = False
) -> list[str]:
    """The events and their notes; in a script, what follows the first close is a comment
    (a script session ends at its first ``close`` or ``expect close``)."""
    by_event: dict[int, list[Note]] = {}
    for note in decoded.notes:
        by_event.setdefault(note.index, []).append(note)
    lines: list[str] = []
    closed = False
    for index, event in enumerate(decoded.transcript.events):
        if event.kind is EventKind.TLS:
            shown = ["starttls"]
        elif event.kind is EventKind.CLOSE:
            shown = ["expect close" if event.direction is Direction.SERVER else "close"]
        else:
            shown = _data_lines(event.direction, event.data, max_event_bytes)
        lines += [f"# {line}" for line in shown] if script and closed else shown
        closed = closed or event.kind is EventKind.CLOSE
        lines += _notes(by_event.pop(index, []))
    for leftover in by_event.values():  # notes of a conversation with no events
        lines += _notes(leftover)
    return lines


def _notes(notes: Iterable[Note]) -> list[str]:
    return [(VIOLATION_PREFIX if n.violation else NOTE_PREFIX) + n.text for n in notes]


def _data_lines(direction: Direction, data: bytes, max_event_bytes: int | None) -> list[str]:
    """As harness.transcript renders data: server lines one by one, a client write whole."""
    shown = data if max_event_bytes is None else data[:max_event_bytes]
    rendered = [render_line(direction, line) for line in split_lines(shown)]
    hidden = len(data) - len(shown)
    more = [f"{NOTE_PREFIX}{hidden:,} more octets not shown"] if hidden else []
    if direction is Direction.SERVER or len(rendered) == 1:
        return rendered + more
    return ["write:", *("  " + line for line in rendered), "end", *more]


def script_skeleton(decoded: DecodedConnection, source: Path | str) -> str:
    """A .mhs script (suites/README.md) that replays the conversation: edit, then keep."""
    name = Path(source).name
    protocol = decoded.protocol
    header = {
        "id": f"{protocol.upper()}-PCAP-REGRESSION/connection-{decoded.number}",
        "title": f"TODO: what the server must do (seen in {name}, connection {decoded.number})",
        "rfc": RFCS[protocol],
        "section": "TODO",
        "level": "MUST",
        "protocol": protocol,
        "service": _service(decoded),
        "state": "connected",
        "description": _description(decoded, name),
    }
    advice = [
        "# Recorded from a capture: the S: lines are what that server sent. Loosen what",
        "# varies with ${*} or captures, and replace account names and passwords",
        "# with ${user} and ${password} (suites/README.md).",
    ]
    body = _body(decoded, None, script=True)
    return "+++\n" + tomli_w.dumps(header) + "+++\n" + "\n".join(advice + body) + "\n"


def _service(decoded: DecodedConnection) -> str:
    events = decoded.transcript.events
    if events and events[0].kind is EventKind.TLS:
        return decoded.protocol + "s"  # smtps, pop3s, imaps
    if decoded.protocol == "smtp" and decoded.connection.server.port in SUBMISSION_PORTS:
        return "submission"
    return decoded.protocol


def _description(decoded: DecodedConnection, name: str) -> str:
    lines = [f"Captured in {name}: {decoded.connection.describe()}."]
    lines += [f"Seen: {note.text}." for note in decoded.violations]
    return "\n".join(lines)
