"""Each capture backend on a real loopback exchange (root or CAP_NET_RAW only)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from harness.capture import (
    CaptureError,
    ScapyCapture,
    TcpdumpCapture,
    capture_filter,
    check_completeness,
    plan_capture,
    read_segments,
    reassemble,
)
from harness.transcript import Direction
from tests.capture.conftest import BACKENDS, needs_capture
from tests.capture.loopback import converse, line_server

LINES = [b"EHLO client.example\r\n", b"NOOP\r\n", b"x" * 3000 + b"\r\n", b"QUIT\r\n"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_backend_captures_a_loopback_exchange_whole_and_once(backend: str, tmp_path: Path) -> None:
    pcap = tmp_path / "run.pcap"
    with (
        line_server() as server,
        plan_capture(backend).capture(pcap, ports=[server.port]) as capture,
    ):
        transcript = converse(server.port, LINES)
    stats = capture.stats
    # kernel drops are read (a number), but the comparison below is what proves the trace
    assert stats is not None and stats.backend == backend and stats.dropped is not None
    (connection,) = reassemble(read_segments(pcap))
    assert connection.handshake_seen
    assert connection.to_server.data == transcript.sent_by(Direction.CLIENT)
    assert connection.to_client.data == transcript.sent_by(Direction.SERVER)
    # loopback shows every packet twice to a packet socket: each backend must not
    assert connection.to_server.duplicate_octets == 0
    assert stats.packets == sum(1 for _ in read_segments(pcap))
    report = check_completeness(pcap, [transcript])
    assert report.complete, report.checks


@pytest.mark.parametrize("backend", BACKENDS)
def test_backend_sees_the_first_syn_right_after_start(backend: str, tmp_path: Path) -> None:
    """No start-up lag: start() returns only when packets are being captured."""
    pcap = tmp_path / "first.pcap"
    with (
        line_server(connections=3) as server,
        plan_capture(backend).capture(pcap, ports=[server.port]),
    ):
        transcripts = [converse(server.port, [b"a\r\n"], f"c{n}") for n in range(3)]
    connections = reassemble(read_segments(pcap))
    assert len(connections) == 3 and all(c.handshake_seen for c in connections)
    assert check_completeness(pcap, transcripts).complete


@pytest.mark.parametrize(
    "capture_class",
    [
        pytest.param(ScapyCapture, marks=needs_capture("scapy")),
        pytest.param(TcpdumpCapture, marks=needs_capture("tcpdump")),
    ],
)
def test_a_bad_filter_is_raised_not_swallowed(capture_class: type, tmp_path: Path) -> None:
    capture = capture_class(tmp_path / "bad.pcap", bpf="tcp port nonsense")
    with pytest.raises(CaptureError, match="nonsense"):
        capture.start()


@needs_capture("tcpdump")
def test_tcpdump_is_gone_after_stop_even_when_the_block_raises(tmp_path: Path) -> None:
    capture = TcpdumpCapture(tmp_path / "x.pcap", ports=[9])
    with pytest.raises(RuntimeError), capture:
        pid = capture._process.pid
        raise RuntimeError("case failed")
    assert capture._process.poll() is not None
    assert capture.stats is not None and capture.stats.packets == 0
    alive = subprocess.run(["ps", "-p", str(pid)], capture_output=True, check=False)
    assert alive.returncode != 0


def test_filter_is_tcp_on_the_given_ports_and_never_everything() -> None:
    assert capture_filter([2525, 1143, 2525]) == "tcp and (port 1143 or port 2525)"
    assert capture_filter([25], "host 127.0.0.1") == "tcp and (port 25) and (host 127.0.0.1)"
    with pytest.raises(ValueError, match="never capture all"):
        capture_filter([])


def test_off_plans_no_capture_and_says_so() -> None:
    plan = plan_capture("off")
    assert not plan.enabled and "off" in plan.reason
    with pytest.raises(CaptureError, match="no capture"):
        plan.capture("x.pcap", ports=[25])


def test_unknown_mode_is_refused() -> None:
    with pytest.raises(CaptureError, match="unknown capture mode"):
        plan_capture("wireshark")  # type: ignore[arg-type]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_burst_of_thousands_of_packets_is_captured_whole(backend: str, tmp_path: Path) -> None:
    """scapy used to lose most of a burst: raw frames and a big socket buffer keep up."""
    pcap = tmp_path / "burst.pcap"
    lines = [b"line %d\r\n" % n for n in range(3000)]
    with (
        line_server() as server,
        plan_capture(backend).capture(pcap, ports=[server.port]) as capture,
    ):
        transcript = converse(server.port, lines)
    report = check_completeness(pcap, [transcript])
    assert report.complete, (report.summary(), capture.stats)
