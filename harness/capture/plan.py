"""From ``--capture MODE`` to captures: decided once per run, used per case or per run.

    plan = plan_capture("auto")          # CaptureError if a named backend cannot run
    if not plan.enabled:
        print(f"capture: {plan.reason}")  # once per run, then carry on without
    with plan.capture(case_pcap(run_dir, case_id), ports=[smtp_port]) as capture:
        ...
    capture.stats

File names: one pcap per case (``pcap_path``) and, beside each pcap, the TLS
key log of the sessions in it (``keylog_path``), so Wireshark and tshark
find them together.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from harness.capture.backend import Capture, CaptureError
from harness.capture.capability import CAPTURE_MODES, CaptureMode, choose_backend
from harness.capture.sniffer import ScapyCapture
from harness.capture.tcpdump import TcpdumpCapture

BACKENDS: dict[str, type[Capture]] = {"scapy": ScapyCapture, "tcpdump": TcpdumpCapture}
KEYLOG_SUFFIX = ".keys"  # NSS key log (SSLKEYLOGFILE format)
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class CapturePlan:
    mode: CaptureMode
    backend: str | None
    reason: str

    @property
    def enabled(self) -> bool:
        return self.backend is not None

    def capture(
        self, path: Path | str, *, ports: Iterable[int] = (), bpf: str | None = None
    ) -> Capture:
        """A new capture (not started: use it as a context manager or call start())."""
        if self.backend is None:
            raise CaptureError(f"no capture: {self.reason}")
        return BACKENDS[self.backend](path, ports=ports, bpf=bpf)


def plan_capture(mode: CaptureMode) -> CapturePlan:
    """Resolve a mode; ``auto`` and ``off`` never fail, a named backend fails loudly."""
    if mode not in CAPTURE_MODES:
        raise CaptureError(f"unknown capture mode {mode!r} (one of {', '.join(CAPTURE_MODES)})")
    choice = choose_backend(mode)
    if choice.backend is None and mode in BACKENDS:
        raise CaptureError(f"--capture {mode} is not possible here: {choice.reason}")
    return CapturePlan(mode, choice.backend, choice.reason)


def pcap_path(directory: Path | str, case_id: str) -> Path:
    """Where a case's pcap goes: ``DIR/<case id made file-safe>.pcap``."""
    name = _UNSAFE.sub("_", case_id).strip("._") or "case"
    return Path(directory) / f"{name}.pcap"


def keylog_path(pcap: Path | str) -> Path:
    """The TLS key log beside a pcap: ``x.pcap`` -> ``x.keys``."""
    return Path(pcap).with_suffix(KEYLOG_SUFFIX)
