"""Splitting a run-wide capture per case: each case's pcap holds its connections and no others."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.capture import PcapFormatError, check_completeness, read_segments
from harness.capture.split import read_flows, split_capture
from harness.transcript import Direction, Endpoint, Recorder, Transcript
from tests.capture.synth import Conversation


def transcript_of(
    talk: Conversation, exchanges: list[tuple[str, bytes]], began: float
) -> Transcript:
    recorder = Recorder(
        f"c{talk.client[1]}",
        "smtp",
        client=Endpoint(*talk.client),
        server=Endpoint(*talk.server),
        clock=lambda: began,
        wall_clock=lambda: began,
    )
    for side, data in exchanges:
        recorder.record(Direction.CLIENT if side == "C" else Direction.SERVER, data)
    return recorder.transcript


def interleaved(a: Conversation, b: Conversation) -> list:  # type: ignore[type-arg]
    """a's and b's packets alternating, as two parallel cases put them on the wire."""
    merged = []
    for one, other in zip(a.packets, b.packets, strict=False):
        merged += [one, other]
    longer = a.packets if len(a.packets) > len(b.packets) else b.packets
    return merged + longer[len(merged) // 2 :]


def talk(client_port: int, exchanges: list[tuple[str, bytes]], clock: float) -> Conversation:
    conversation = Conversation(client=("10.0.0.1", client_port), clock=clock).handshake()
    for side, data in exchanges:
        conversation.send(side == "C", data)
    conversation.fin(True)
    conversation.fin(False)
    return conversation


def test_parallel_connections_go_to_their_own_case(tmp_path: Path) -> None:
    first = [("S", b"220 ready\r\n"), ("C", b"NOOP\r\n"), ("S", b"250 ok\r\n")]
    second = [("S", b"220 ready\r\n"), ("C", b"QUIT\r\n"), ("S", b"221 bye\r\n")]
    a, b = talk(40001, first, 1_700_000_000.0), talk(40002, second, 1_700_000_000.0005)
    run = Conversation().write(tmp_path / "run.pcap", interleaved(a, b))
    cases = {
        tmp_path / "a.pcap": [transcript_of(a, first, 1_700_000_000.001)],
        tmp_path / "b.pcap": [transcript_of(b, second, 1_700_000_000.001)],
    }
    written = split_capture(run, cases)
    assert written == {tmp_path / "a.pcap": len(a.packets), tmp_path / "b.pcap": len(b.packets)}
    for path, transcripts in cases.items():
        ports = {segment.sport for segment in read_segments(path)} - {25}
        assert ports == {transcripts[0].client.port}  # type: ignore[union-attr]
        assert check_completeness(path, transcripts).complete


def test_a_reused_4_tuple_is_split_by_its_fresh_syn(tmp_path: Path) -> None:
    early = [("S", b"220 first\r\n")]
    late = [("S", b"220 second\r\n")]
    one, two = talk(40001, early, 1_700_000_000.0), talk(40001, late, 1_700_000_005.0)
    run = Conversation().write(tmp_path / "run.pcap", one.packets + two.packets)
    assert len(read_flows(run.read_bytes())) == 2
    cases = {tmp_path / "late.pcap": [transcript_of(two, late, 1_700_000_005.001)]}
    split_capture(run, cases)
    payloads = b"".join(segment.payload for segment in read_segments(tmp_path / "late.pcap"))
    assert payloads == b"220 second\r\n"


def test_a_connection_missing_from_the_capture_gives_an_empty_pcap(tmp_path: Path) -> None:
    seen = talk(40001, [("S", b"220 x\r\n")], 1_700_000_000.0)
    run = seen.write(tmp_path / "run.pcap")
    ghost = talk(40009, [("S", b"220 x\r\n")], 1_700_000_000.0)
    case = tmp_path / "ghost.pcap"
    assert split_capture(run, {case: [transcript_of(ghost, [("S", b"220 x\r\n")], 0.0)]}) == {
        case: 0
    }
    (check,) = check_completeness(case, [transcript_of(ghost, [("S", b"220 x\r\n")], 0.0)]).checks
    assert check.status.value == "not found"


def test_pcapng_is_refused_with_a_clear_error(tmp_path: Path) -> None:
    path = talk(40001, [("S", b"220 x\r\n")], 1.0).write_pcapng(tmp_path / "run.pcapng")
    with pytest.raises(PcapFormatError, match="only classic pcap"):
        split_capture(path, {tmp_path / "x.pcap": []})
