"""Recorded transcripts against captures: complete, missing octets, not found, TLS records."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from harness.capture import Completeness, check_completeness, plan_capture
from harness.transcript import Direction, Endpoint, Recorder, Transcript
from tests.capture.conftest import needs_capture
from tests.capture.loopback import converse, line_server
from tests.capture.synth import CLIENT, SERVER, Conversation

GREETING = b"220 mx.example ESMTP\r\n"
TEXT = b"".join(b"line %04d\r\n" % n for n in range(60))


def recorded(
    talk: Conversation, pieces: list[tuple[Direction, bytes]], tls_at: int = -1
) -> Transcript:
    """The transcript the harness would have recorded for ``talk``."""
    recorder = Recorder(
        "c1",
        "smtp",
        client=Endpoint(*CLIENT),
        server=Endpoint(*SERVER),
        clock=lambda: talk.clock,
        wall_clock=lambda: talk.clock,
    )
    for index, (direction, data) in enumerate(pieces):
        if index == tls_at:
            recorder.tls_started()
        recorder.record(direction, data)
    return recorder.transcript


def smtp_talk() -> tuple[Conversation, Transcript, list]:
    talk = Conversation().handshake()
    transcript = recorded(talk, [(Direction.SERVER, GREETING), (Direction.CLIENT, TEXT)])
    talk.send(False, GREETING)
    segments = talk.send(True, TEXT, segment=110)
    talk.fin(True)
    return talk, transcript, segments


def test_a_whole_capture_is_complete(tmp_path: Path) -> None:
    talk, transcript, _ = smtp_talk()
    report = check_completeness(talk.write(tmp_path / "x.pcap"), [transcript])
    (check,) = report.checks
    assert check.status is Completeness.COMPLETE and check.missing_octets == 0
    assert report.complete and report.loss == 0.0
    assert report.summary() == (
        f"1/1 connections complete, 0 of {len(GREETING) + len(TEXT):,} octets missing (0.00% loss)"
    )


def test_a_lost_segment_is_reported_with_its_octets(tmp_path: Path) -> None:
    talk, transcript, segments = smtp_talk()
    packets = [p for p in talk.packets if p is not segments[2]]
    report = check_completeness(talk.write(tmp_path / "x.pcap", packets), [transcript])
    (check,) = report.checks
    assert check.status is Completeness.INCOMPLETE
    assert check.missing_octets == 110
    assert "client sent 110 octets the capture lacks" in check.detail
    assert report.loss == pytest.approx(110 / (len(GREETING) + len(TEXT)))


def test_a_truncated_pcap_file_is_incomplete(tmp_path: Path) -> None:
    talk, transcript, _ = smtp_talk()
    path = talk.write(tmp_path / "x.pcap")
    os.truncate(path, path.stat().st_size - 300)  # the capture was killed mid-write
    (check,) = check_completeness(path, [transcript]).checks
    assert check.status is Completeness.INCOMPLETE and check.missing_octets > 0


def test_octets_that_differ_are_not_complete(tmp_path: Path) -> None:
    talk, transcript, _ = smtp_talk()
    other = recorded(
        talk, [(Direction.SERVER, GREETING), (Direction.CLIENT, TEXT.replace(b"0042", b"XXXX"))]
    )
    (check,) = check_completeness(talk.write(tmp_path / "x.pcap"), [other]).checks
    assert check.status is Completeness.INCOMPLETE
    assert "client octets differ from the transcript at offset" in check.detail
    assert transcript.sent_by(Direction.CLIENT) != other.sent_by(Direction.CLIENT)


def test_a_connection_missing_from_the_capture_is_not_found(tmp_path: Path) -> None:
    talk, transcript, _ = smtp_talk()
    transcript.client = Endpoint("10.0.0.1", 40001)
    report = check_completeness(talk.write(tmp_path / "x.pcap"), [transcript])
    (check,) = report.checks
    assert check.status is Completeness.NOT_FOUND
    assert check.missing_octets == check.expected_octets
    assert report.loss == 1.0 and report.summary().endswith("1 not found")


def tls_record(kind: int, payload_length: int) -> bytes:
    return bytes([kind, 3, 3]) + payload_length.to_bytes(2, "big") + b"\xaa" * payload_length


def starttls_talk(records: bytes) -> tuple[Conversation, Transcript]:
    talk = Conversation().handshake()
    transcript = recorded(
        talk,
        [
            (Direction.CLIENT, b"STARTTLS\r\n"),
            (Direction.SERVER, b"220 go\r\n"),
            (Direction.CLIENT, b"NOOP\r\n"),
        ],
        tls_at=2,
    )
    talk.send(True, b"STARTTLS\r\n")
    talk.send(False, b"220 go\r\n")
    talk.send(True, records, segment=40)
    return talk, transcript


def test_after_starttls_the_record_layer_is_checked(tmp_path: Path) -> None:
    records = tls_record(22, 300) + tls_record(20, 1) + tls_record(23, 6 + 17)
    talk, transcript = starttls_talk(records)
    (check,) = check_completeness(talk.write(tmp_path / "x.pcap"), [transcript]).checks
    assert check.status is Completeness.COMPLETE and check.tls
    assert "record layer checked only" in check.detail


def test_a_cut_tls_record_is_incomplete(tmp_path: Path) -> None:
    records = tls_record(22, 300) + tls_record(23, 23)
    talk, transcript = starttls_talk(records[:-5])
    (check,) = check_completeness(talk.write(tmp_path / "x.pcap"), [transcript]).checks
    assert check.status is Completeness.INCOMPLETE
    assert "client TLS records: the last record is cut short" in check.detail


def test_tls_records_shorter_than_the_plaintext_are_incomplete(tmp_path: Path) -> None:
    talk, transcript = starttls_talk(tls_record(22, 300) + tls_record(23, 3))
    (check,) = check_completeness(talk.write(tmp_path / "x.pcap"), [transcript]).checks
    assert check.status is Completeness.INCOMPLETE and check.missing_octets == 3


@needs_capture("tcpdump")
def test_a_real_capture_cut_short_is_reported_incomplete(tmp_path: Path) -> None:
    pcap = tmp_path / "real.pcap"
    lines = [b"%d %s\r\n" % (n, b"y" * 400) for n in range(30)]
    with line_server() as server, plan_capture("tcpdump").capture(pcap, ports=[server.port]):
        transcript = converse(server.port, lines)
    assert check_completeness(pcap, [transcript]).complete
    os.truncate(pcap, pcap.stat().st_size // 2)
    report = check_completeness(pcap, [transcript])
    (check,) = report.checks
    assert check.status is Completeness.INCOMPLETE
    assert 0 < check.missing_octets < check.expected_octets and 0 < report.loss < 1
