"""May this process capture packets, and with which backend?

Capturing on loopback needs the right to open a packet socket (root, or the
CAP_NET_RAW capability) and libpcap to compile the BPF filter (scapy 2.8
compiles filters through it; tcpdump links it). ``auto`` picks a backend when
both hold and otherwise gives one plain sentence saying why it captures
nothing, which the caller prints once per run.
"""

from __future__ import annotations

import ctypes.util
import importlib.util
import os
import shutil
from dataclasses import dataclass
from typing import Literal

CaptureMode = Literal["auto", "scapy", "tcpdump", "off"]
CAPTURE_MODES: tuple[CaptureMode, ...] = ("auto", "scapy", "tcpdump", "off")
CAP_NET_RAW = 13  # linux/capability.h


@dataclass(frozen=True)
class BackendChoice:
    """The backend a mode resolves to here (None: no capture) and why."""

    backend: Literal["scapy", "tcpdump"] | None
    reason: str


def may_open_packet_sockets() -> tuple[bool, str]:
    """CAP_NET_RAW in the effective set (root has it unless it was dropped)."""
    capabilities = _effective_capabilities()
    root = os.geteuid() == 0
    # without /proc, trust the user id
    allowed = root if capabilities is None else bool(capabilities >> CAP_NET_RAW & 1)
    if allowed:
        return True, "running as root" if root else "the process has CAP_NET_RAW"
    if root:
        return False, "packet capture needs CAP_NET_RAW, which this root process lacks"
    return False, "packet capture needs root or CAP_NET_RAW (this process has neither)"


def _effective_capabilities() -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("CapEff:"):
                    return int(line.split()[1], 16)
    except OSError:
        pass
    return None


def libpcap_present() -> bool:
    return ctypes.util.find_library("pcap") is not None


def scapy_installed() -> bool:
    return importlib.util.find_spec("scapy") is not None


def tcpdump_path() -> str | None:
    return shutil.which("tcpdump")


def capture_capability(backend: Literal["scapy", "tcpdump", "auto"] = "auto") -> tuple[bool, str]:
    """(True, what makes capture possible) or (False, why not), for one backend or any."""
    choice = choose_backend(backend)
    return choice.backend is not None, choice.reason


def choose_backend(mode: CaptureMode) -> BackendChoice:
    """What ``--capture MODE`` means on this machine.

    ``auto`` prefers scapy (in-process, cheap to start per case; enough for
    conformance runs) and falls back to tcpdump; load runs should ask for
    tcpdump, which keeps up with rates where scapy loses packets.
    """
    if mode == "off":
        return BackendChoice(None, "capture is off (--capture off)")
    allowed, why = may_open_packet_sockets()
    if not allowed:
        return BackendChoice(None, why)
    if not libpcap_present():
        return BackendChoice(None, "libpcap is not installed (Debian: apt-get install libpcap0.8)")
    scapy_ok, tcpdump_ok = scapy_installed(), tcpdump_path() is not None
    if mode in ("scapy", "auto") and scapy_ok:
        return BackendChoice("scapy", f"scapy backend, {why}")
    if mode in ("tcpdump", "auto") and tcpdump_ok:
        return BackendChoice("tcpdump", f"tcpdump backend, {why}")
    if mode == "scapy":
        return BackendChoice(None, "scapy is not installed (pip install 'mailharness[capture]')")
    if mode == "tcpdump":
        return BackendChoice(None, "tcpdump is not on PATH (Debian: apt-get install tcpdump)")
    return BackendChoice(
        None, "neither scapy (pip install 'mailharness[capture]') nor tcpdump is installed"
    )
