"""--capture during load: one tcpdump pcap, and its loss measured against the clients' counts.

The second test takes packets out of a real capture and checks that the
measurement reports exactly that: octets missing, connections incomplete.
"""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from harness.capture import CaptureStats, capture_capability
from harness.capture.pcapfile import decode_frame
from harness.load.capture import CaptureChoice, measure
from harness.load.result import CaptureSummary
from harness.report import read_report
from harness.targets import load_target
from tests.load.conftest import TINY, LoadOutcome, run_load_cli

CAN_CAPTURE, WHY_NOT = capture_capability("tcpdump")
pytestmark = pytest.mark.skipif(not CAN_CAPTURE, reason=f"no tcpdump capture here: {WHY_NOT}")
RECORD = struct.Struct("<IIII")  # classic pcap record header (tcpdump writes little-endian here)


@pytest.fixture(scope="module")
def captured(reference_target: Path, tmp_path_factory: pytest.TempPathFactory) -> LoadOutcome:
    out = tmp_path_factory.mktemp("captured") / "run"
    outcome = run_load_cli(
        str(TINY), "--target", str(reference_target), "--capture", "tcpdump",
        "--duration", "2s", out_dir=out,
    )  # fmt: skip
    assert outcome.exit_code == 0, outcome.stdout + outcome.stderr
    return outcome


def test_a_captured_run_holds_every_octet_the_clients_moved(captured: LoadOutcome) -> None:
    capture = captured.result.capture
    assert capture is not None and capture.backend == "tcpdump"
    assert (captured.out_dir / "load.pcap").stat().st_size > 0
    assert (captured.out_dir / "load.keys").read_text().count("CLIENT_") > 0  # STARTTLS keys
    assert capture.connections > 0 and capture.expected_octets > 0
    assert capture.connections_found == capture.complete_connections == capture.connections
    assert capture.missing_octets == 0 and capture.kernel_drops == 0
    assert capture.pcap_octets >= capture.captured_octets
    meta = read_report(captured.out_dir / "report.json").meta.capture
    assert meta is not None and meta.backend == "tcpdump" and meta.loss == 0.0
    assert "capture: tcpdump: load.pcap" in captured.stdout
    assert "Packet capture" in (captured.out_dir / "index.html").read_text()


def test_packets_missing_from_the_pcap_are_measured(
    captured: LoadOutcome, reference_target: Path, tmp_path: Path
) -> None:
    source = captured.out_dir / "load.pcap"
    thinned = tmp_path / "thinned.pcap"
    removed = drop_data_packets(source, thinned, every=5)
    assert removed > 0
    target = load_target(reference_target)
    choice = CaptureChoice("tcpdump", "tcpdump", "test")
    full = captured.result.capture
    assert full is not None
    summary = measure(
        choice, stats_for(thinned, full), captured.out_dir / "connections.json", target
    )
    assert summary.expected_octets == full.expected_octets
    assert 0 < summary.missing_octets < summary.expected_octets
    assert summary.complete_connections < summary.connections == full.connections
    assert summary.loss > 0


def drop_data_packets(source: Path, destination: Path, every: int) -> int:
    """Copy a classic pcap without every ``every``-th packet that carries TCP payload."""
    data = source.read_bytes()
    linktype = struct.unpack_from("<I", data, 20)[0]
    kept, offset, seen, removed = [data[:24]], 24, 0, 0
    while offset + RECORD.size <= len(data):
        seconds, micros, length, _ = RECORD.unpack_from(data, offset)
        record = data[offset : offset + RECORD.size + length]
        offset += RECORD.size + length
        segment = decode_frame(seconds + micros / 1e6, linktype, record[RECORD.size :])
        if segment is not None and segment.length:
            seen += 1
            if seen % every == 0:
                removed += 1
                continue
        kept.append(record)
    destination.write_bytes(b"".join(kept))
    return removed


def stats_for(pcap: Path, full: CaptureSummary) -> CaptureStats:
    return CaptureStats("tcpdump", pcap, "test", 0, full.kernel_drops, 0.0)
