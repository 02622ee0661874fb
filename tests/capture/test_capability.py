"""Whether capture is possible is decided from the real process rights, and said plainly."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harness.capture import capture_capability, choose_backend

ROOT = Path(__file__).resolve().parents[2]
PROBE = (
    "from harness.capture import capture_capability, plan_capture\n"
    "print(capture_capability()[1]); print(plan_capture('auto').enabled)\n"
    "try:\n    plan_capture('tcpdump')\nexcept Exception as error:\n    print(error)\n"
)


@pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("setpriv") is None,
    reason="dropping CAP_NET_RAW needs root and setpriv (util-linux)",
)
def test_without_cap_net_raw_auto_captures_nothing_and_says_why() -> None:
    done = subprocess.run(
        ["setpriv", "--inh-caps=-net_raw", "--bounding-set=-net_raw", sys.executable, "-c", PROBE],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    reason, enabled, refusal = done.stdout.splitlines()
    assert reason == "packet capture needs CAP_NET_RAW, which this root process lacks"
    assert enabled == "False"
    assert refusal.startswith("--capture tcpdump is not possible here: packet capture needs")


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root")
def test_root_with_libpcap_may_capture() -> None:
    possible, reason = capture_capability()
    assert possible, reason
    assert "root" in reason
    assert choose_backend("tcpdump").backend == ("tcpdump" if shutil.which("tcpdump") else None)


def test_off_is_never_a_capture() -> None:
    assert choose_backend("off").backend is None
