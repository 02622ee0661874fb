"""The C:/S: text form: rendering, parsing, and the round trip between them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.transcript import (
    Direction,
    Endpoint,
    EventKind,
    Recorder,
    TextEvent,
    Transcript,
    TranscriptTextError,
    parse_text,
    render_sessions,
    render_text,
    text_events,
)


class FakeClock:
    """A hand-driven monotonic clock (a real clock would make times unpredictable)."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def smtp_transcript() -> Transcript:
    recorder = Recorder(
        "c1",
        "smtp",
        client=Endpoint("127.0.0.1", 50000),
        server=Endpoint("::1", 25),
    )
    recorder.record(Direction.SERVER, b"220 mx.example ESMTP\r\n")
    recorder.record(Direction.CLIENT, b"EHLO client.example\r\n")
    recorder.record(Direction.SERVER, b"250-mx.example\r\n250-PIPE")
    recorder.record(Direction.SERVER, b"LINING\r\n250 STARTTLS\r\n")
    recorder.record(Direction.CLIENT, b"STARTTLS\r\nRSET\r\n")
    recorder.record(Direction.SERVER, b"220 go ahead\r\n")
    recorder.tls_started()
    recorder.record(Direction.CLIENT, b"DATA\r\n")
    recorder.record(Direction.SERVER, b"354 \r\n")
    recorder.record(Direction.CLIENT, b"x\n.\nMAIL FROM:<e@x>\r\n.\r\n")
    recorder.record(Direction.SERVER, b"bare\n")
    recorder.record(Direction.CLIENT, b"partial")
    recorder.closed(Direction.SERVER)
    return recorder.transcript


EXPECTED_SMTP_TEXT = """\
# connection c1 service smtp client 127.0.0.1:50000 server [::1]:25
S: 220 mx.example ESMTP
C: EHLO client.example
S: 250-mx.example
S: 250-PIPELINING
S: 250 STARTTLS
write:
  C: STARTTLS
  C: RSET
end
S: 220 go ahead
starttls
C: DATA
S: 354${SP}
write:
  C-: x${LF}
  C-: .${LF}
  C: MAIL FROM:<e@x>
  C: .
end
S-: bare${LF}
C-: partial
expect close
"""


def test_render_smtp_session() -> None:
    assert render_text(smtp_transcript()) == EXPECTED_SMTP_TEXT


def test_parse_reads_back_what_render_writes() -> None:
    transcript = smtp_transcript()
    assert parse_text(render_text(transcript)) == text_events(transcript)


def test_server_reads_merge_but_client_writes_stay_separate() -> None:
    recorder = Recorder("c", "imap")
    recorder.record(Direction.CLIENT, b"a NOOP\r\n")
    recorder.record(Direction.CLIENT, b"b NOOP\r\n")
    recorder.record(Direction.SERVER, b"a OK")
    recorder.record(Direction.SERVER, b" done\r\n")
    events = text_events(recorder.transcript)
    assert [e.data for e in events] == [b"a NOOP\r\n", b"b NOOP\r\n", b"a OK done\r\n"]


def test_recorder_stamps_monotonic_and_derived_wall_time() -> None:
    clock = FakeClock()
    recorder = Recorder("c", "pop3", clock=clock, wall_clock=lambda: 1_700_000_000.0)
    clock.now = 100.5
    recorder.record(Direction.SERVER, b"+OK\r\n")
    recorder.record(Direction.CLIENT, b"QUIT\r\n", at=101.0)
    recorder.record(Direction.CLIENT, b"")  # EOF is not data
    first, second = recorder.transcript.events
    assert (first.monotonic, first.wall) == (100.5, 1_700_000_000.5)
    assert (second.monotonic, second.wall) == (101.0, 1_700_000_001.0)
    assert recorder.transcript.sent_by(Direction.CLIENT) == b"QUIT\r\n"
    assert not recorder.transcript.tls_started


def test_sessions_interleave_by_time_with_prefixes() -> None:
    clock = FakeClock()
    a = Recorder("c1", "imap", clock=clock)
    b = Recorder("c2", "imap", clock=clock)
    a.record(Direction.CLIENT, b"a1 NOOP\r\n", at=1.0)
    b.record(Direction.CLIENT, b"b1 NOOP\r\n", at=2.0)
    a.record(Direction.SERVER, b"a1 OK\r\n", at=3.0)
    b.record(Direction.SERVER, b"b1 OK\r\n", at=4.0)
    b.closed(Direction.CLIENT, at=5.0)
    text = render_sessions({"a": a.transcript, "b": b.transcript})
    body = [line for line in text.splitlines() if not line.startswith("#")]
    assert body == ["[a] C: a1 NOOP", "[b] C: b1 NOOP", "[a] S: a1 OK", "[b] S: b1 OK", "[b] close"]
    parsed = parse_text(text)
    assert parsed[-1] == TextEvent("b", EventKind.CLOSE, Direction.CLIENT)
    assert parsed[0] == TextEvent("a", EventKind.DATA, Direction.CLIENT, b"a1 NOOP\r\n")


def test_long_events_can_be_elided_for_display() -> None:
    recorder = Recorder("c", "smtp")
    recorder.record(Direction.CLIENT, b"x" * 10 + b"\r\n" + b"y" * 100)
    text = render_text(recorder.transcript, max_event_bytes=12)
    assert "C: xxxxxxxxxx" in text
    assert "# ... 100 more bytes not shown" in text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("C: ok\nQ: what\n", "<t>:2: expected C:, C-:, S:, S-:"),
        ("write:\nS: no\nend\n", "<t>:2: expected C:, C-: or end inside write:"),
        ("write:\nC: a\n", "<t>:1: write: block is not closed by end"),
        ("C: ${user}\n", "<t>:1: '${user}' is not a literal escape"),
        ("[a] write:\n[b] C: x\nend\n", "<t>:2: [b] inside a write: block of [a]"),
    ],
)
def test_parse_errors_name_the_line(text: str, message: str) -> None:
    with pytest.raises(TranscriptTextError) as caught:
        parse_text(text, source="<t>")
    assert str(caught.value).startswith(message)


def _event_strategy() -> st.SearchStrategy[tuple[str, bytes]]:
    data = st.binary(min_size=1, max_size=80)
    wire = st.tuples(st.sampled_from(["client", "server"]), data)
    markers = st.tuples(st.sampled_from(["tls", "close-client", "close-server"]), st.just(b""))
    return st.one_of(wire, wire, wire, markers)


@given(st.lists(_event_strategy(), max_size=12))
def test_round_trip_on_arbitrary_bytes(steps: list[tuple[str, bytes]]) -> None:
    recorder = Recorder("c", "smtp")
    for what, data in steps:
        if what in ("client", "server"):
            recorder.record(Direction(what), data)
        elif what == "tls":
            recorder.tls_started()
        else:
            recorder.closed(Direction(what.removeprefix("close-")))
    transcript = recorder.transcript
    parsed = parse_text(render_text(transcript))
    assert parsed == text_events(transcript)
    assert b"".join(e.data for e in parsed if e.direction is Direction.CLIENT) == (
        transcript.sent_by(Direction.CLIENT)
    )
