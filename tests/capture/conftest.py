"""Skips for tests that need the right to capture, or tcpdump/tshark on PATH."""

from __future__ import annotations

import shutil

import pytest

from harness.capture import capture_capability
from harness.capture.capability import may_open_packet_sockets, scapy_installed


def _reason_not_to_capture(backend: str) -> str | None:
    allowed, why = may_open_packet_sockets()
    if not allowed:
        return why
    if backend == "tcpdump" and shutil.which("tcpdump") is None:
        return "tcpdump is not on PATH"
    if backend == "scapy" and not scapy_installed():
        return "scapy is not installed"
    possible, why = capture_capability(backend)  # type: ignore[arg-type]
    return None if possible else why


def needs_capture(backend: str) -> pytest.MarkDecorator:
    reason = _reason_not_to_capture(backend)
    return pytest.mark.skipif(reason is not None, reason=f"cannot capture: {reason}")


needs_tshark = pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark is not on PATH")
BACKENDS = [
    pytest.param("scapy", marks=needs_capture("scapy")),
    pytest.param("tcpdump", marks=needs_capture("tcpdump")),
]
