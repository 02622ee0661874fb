"""The CLI side of load never imports locust, gevent or trio (DESIGN.md §4):
locust patches the standard library at import, and trio cannot run under it."""

from __future__ import annotations

import subprocess
import sys

CLI_SIDE = (
    "harness.commands.load",
    "harness.load.runner",
    "harness.load.profile",
    "harness.load.result",
    "harness.load.summary",
    "harness.load.aggregate",
    "harness.load.sweep",
    "harness.load.clients",
)


def test_the_cli_side_imports_no_locust_gevent_or_trio() -> None:
    probe = "; ".join(f"import {name}" for name in CLI_SIDE)
    probe += "; import sys; print(sorted({m.split('.')[0] for m in sys.modules} & {'locust', 'gevent', 'trio'}))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
