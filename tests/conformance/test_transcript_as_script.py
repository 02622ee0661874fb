"""A recorded session, rendered as text, is a script that replays and matches it."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from harness.conformance.matcher import MatchStatus, match_expectation
from harness.conformance.model import (
    Expect,
    ExpectClose,
    LineKind,
    LineNode,
    Location,
    Send,
    StartTLS,
)
from harness.conformance.parser import parse_script
from harness.conformance.patterns import match_line
from harness.conformance.response import Response
from harness.conformance.template import parse_template, render
from harness.transcript import Direction, Recorder, escape_text, render_sessions, render_text
from harness.transcript.text import split_lines
from tests.conformance.helpers import header


def responses_of(data: bytes) -> list[Response]:
    """One response per line: the matcher walks lines across responses anyway."""
    return [Response(line, complete=line.endswith(b"\n")) for line in split_lines(data)]


def replay(text: str) -> tuple[bytes, list[MatchStatus]]:
    """Parse a rendered transcript as a script; what it sends and how its groups match."""
    parsed = parse_script(header() + text, "recorded.mhs")
    sent = b""
    statuses = []
    for step in parsed.steps:
        if isinstance(step, Send):
            sent += b"".join(
                render(chunk.template, {}) + (b"\r\n" if chunk.line_end else b"")
                for chunk in step.chunks
            )
        elif isinstance(step, Expect):
            expected = b"".join(_literal(node) for node in step.nodes)
            statuses.append(match_expectation(step, responses_of(expected), {}).status)
    return sent, statuses


def _literal(node: object) -> bytes:
    assert isinstance(node, LineNode)
    data = render(node.template, {})
    return data + b"\r\n" if node.kind is LineKind.LINE else data


def test_recorded_smtp_session_becomes_a_script() -> None:
    recorder = Recorder("c1", "smtp")
    recorder.record(Direction.SERVER, b"220 mx ${x} \\Seen\r\n")
    recorder.record(Direction.CLIENT, b"STARTTLS\r\nRSET\r\n")
    recorder.record(Direction.SERVER, b"220 go\r\n")
    recorder.tls_started()
    recorder.record(Direction.CLIENT, b"x\n.\nQUIT \r\n")
    recorder.record(Direction.SERVER, b"221 bye\n")
    recorder.closed(Direction.SERVER)
    text = render_text(recorder.transcript)
    sent, statuses = replay(text)
    assert sent == recorder.transcript.sent_by(Direction.CLIENT)
    assert statuses == [MatchStatus.MATCHED] * 3
    kinds = [type(s) for s in parse_script(header() + text, "r.mhs").steps]
    assert StartTLS in kinds and kinds[-1] is ExpectClose


def test_recorded_sessions_become_a_two_session_script() -> None:
    a, b = Recorder("c1", "imap"), Recorder("c2", "imap")
    a.record(Direction.CLIENT, b"a1 NOOP\r\n", at=1.0)
    b.record(Direction.CLIENT, b"b1 NOOP\r\n", at=2.0)
    a.record(Direction.SERVER, b"a1 OK\r\n", at=3.0)
    sent, statuses = replay(render_sessions({"a": a.transcript, "b": b.transcript}))
    assert sent == b"a1 NOOP\r\nb1 NOOP\r\n"
    assert statuses == [MatchStatus.MATCHED]


@given(st.binary(max_size=200))
def test_escaped_bytes_are_sent_exactly(data: bytes) -> None:
    assert render(parse_template(escape_text(data), patterns=False), {}) == data


@given(st.binary(max_size=200).filter(lambda d: b"\n" not in d))
def test_escaped_bytes_are_matched_exactly_by_raw_lines(data: bytes) -> None:
    text = escape_text(data)
    node = LineNode(Location("p", 1), LineKind.RAW, text, parse_template(text, patterns=True))
    assert match_line(node, data, {}).captures == {}
    assert match_line(node, data + b"x", {}).captures is None
