"""``--capture`` for load runs: one tcpdump pcap per run, and its loss measured.

Load runs capture with the kernel-level backend only: tcpdump kept up here
at 126k packets/s where scapy's sniffer lost most packets above ~10k/s
(docs/capture.md). ``auto`` captures when tcpdump can run and says why not
otherwise; ``tcpdump`` that cannot run is a usage error.

What is measured (``CaptureSummary``): every connection a load client opened
and closed is reported with its ports, its opening time and the octets it
sent and received (the ``ConnectionLedger`` of harness.load.clients); after
the run each is found in the pcap by its ports and nearest start, rebuilt by
sequence number (``harness.load.wirecount``), and compared: missing octets
are the larger of the holes and the shortfall, per direction. Over TLS the
client counts plaintext and the pcap holds larger records, so there only
holes (a range skipped, or short of the FIN) show loss. The kernel's drop
count from tcpdump is reported beside it.

This module runs in the process that starts locust, never inside it.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from harness.capture import CaptureError, CaptureStats, TcpdumpCapture, capture_capability
from harness.load.result import CaptureSummary
from harness.load.wirecount import FlowCount, HalfCount, count_flows
from harness.targets import Target

LOAD_CAPTURE_MODES = ("auto", "tcpdump", "off")
PCAP_FILE = "load.pcap"
KEYLOG_FILE = "load.keys"


@dataclass(frozen=True)
class CaptureChoice:
    mode: str
    backend: str | None  # "tcpdump" or None
    reason: str

    @property
    def enabled(self) -> bool:
        return self.backend is not None


def choose_capture(mode: str) -> CaptureChoice:
    """What ``--capture MODE`` means here; CaptureError when tcpdump was asked for and cannot run."""
    if mode not in LOAD_CAPTURE_MODES:
        raise CaptureError(f"--capture {mode}: load runs take {', '.join(LOAD_CAPTURE_MODES)}")
    if mode == "off":
        return CaptureChoice(mode, None, "capture is off (--capture off)")
    possible, why = capture_capability("tcpdump")
    if possible:
        return CaptureChoice(mode, "tcpdump", why)
    if mode == "tcpdump":
        raise CaptureError(f"--capture tcpdump is not possible here: {why}")
    return CaptureChoice(mode, None, why)


def start_capture(out_dir: Path, target: Target) -> TcpdumpCapture:
    """A running tcpdump on every port of the target, writing ``out_dir/load.pcap``."""
    ports = [service.port for service in target.services.values()]
    capture = TcpdumpCapture(out_dir / PCAP_FILE, ports=ports)
    capture.start()
    return capture


def not_captured(choice: CaptureChoice) -> CaptureSummary:
    return CaptureSummary(mode=choice.mode, backend=None, reason=choice.reason)


def measure(
    choice: CaptureChoice, stats: CaptureStats, connections_file: Path, target: Target
) -> CaptureSummary:
    """The capture's summary: the recorded connections checked against the pcap."""
    ports = [service.port for service in target.services.values()]
    flows = count_flows(stats.path, ports)
    recorded = _read_ledger(connections_file)
    summary = CaptureSummary(
        mode=choice.mode,
        backend=stats.backend,
        reason=choice.reason,
        pcap=stats.path.name,
        keylog=KEYLOG_FILE if (stats.path.parent / KEYLOG_FILE).exists() else None,
        packets=stats.packets,
        kernel_drops=stats.dropped,
        connections=len(recorded),
        pcap_octets=sum(flow.octets for flow in flows),
    )
    for connection, flow in _match(recorded, flows):
        _account(summary, connection, flow)
    return summary


def _read_ledger(path: Path) -> list[list[float]]:
    try:
        return list(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return []  # no ledger (a run that stopped early): nothing recorded to check


def _match(
    recorded: Iterable[list[float]], flows: list[FlowCount]
) -> Iterable[tuple[list[float], FlowCount | None]]:
    """Each recorded connection with the unused flow of its ports that started nearest."""
    by_ports: dict[tuple[int, int], list[FlowCount]] = defaultdict(list)
    for flow in flows:
        by_ports[(flow.client_port, flow.server_port)].append(flow)
    for connection in sorted(recorded, key=lambda c: c[2]):
        candidates = by_ports.get((int(connection[0]), int(connection[1])), [])
        if not candidates:
            yield connection, None
            continue
        nearest = min(candidates, key=lambda flow: abs(flow.start - connection[2]))
        candidates.remove(nearest)
        yield connection, nearest


def _account(summary: CaptureSummary, connection: list[float], flow: FlowCount | None) -> None:
    sent, received = int(connection[3]), int(connection[4])
    summary.expected_octets += sent + received
    if flow is None:
        summary.missing_octets += sent + received
        return
    summary.connections_found += 1
    summary.captured_octets += min(flow.out.octets, sent) + min(flow.back.octets, received)
    missing = _missing(flow.out, sent) + _missing(flow.back, received)
    summary.missing_octets += missing
    if missing == 0:
        summary.complete_connections += 1


def _missing(half: HalfCount, counted: int) -> int:
    return max(half.holes, counted - half.octets, 0)


def describe(summary: CaptureSummary) -> str:
    """One line for the terminal."""
    if summary.backend is None:
        return f"capture: none: {summary.reason}"
    drops = "unknown" if summary.kernel_drops is None else str(summary.kernel_drops)
    return (
        f"capture: {summary.backend}: {summary.pcap}, {summary.packets} packets, "
        f"{drops} dropped by the kernel; {summary.complete_connections}/{summary.connections} "
        f"connections complete, {summary.missing_octets:,} of {summary.expected_octets:,} "
        f"octets missing ({summary.loss:.2%} loss)"
    )
