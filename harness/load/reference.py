"""``--target reference``: the bundled server, started as a separate process.

The reference server runs on trio, and trio cannot run in a gevent-patched
process (DESIGN.md §4), so a load run never hosts it: it starts
``mailharness serve --write-target FILE`` and waits for the file, which the
server writes only once every listener is bound.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

STARTUP_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0


class ReferenceServerError(RuntimeError):
    """The reference server did not come up."""


@contextlib.contextmanager
def reference_server(workdir: Path) -> Iterator[Path]:
    """Run the reference server with its data under ``workdir``; yield its target file."""
    target = workdir / "reference-target.toml"
    log = workdir / "reference-server.log"
    target.unlink(missing_ok=True)
    command = [
        sys.executable,
        "-m",
        "harness.cli",
        "serve",
        "--write-target",
        str(target),
        "--data-dir",
        str(workdir / "reference-data"),
    ]
    with log.open("ab") as out:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out, stderr=out)
    try:
        _wait_for(target, process, log)
        yield target
    finally:
        _stop(process)


def _wait_for(target: Path, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while not target.exists():
        if process.poll() is not None:
            raise ReferenceServerError(
                f"the reference server exited ({process.returncode}):\n{_tail(log)}"
            )
        if time.monotonic() > deadline:
            raise ReferenceServerError(f"the reference server did not start in time:\n{_tail(log)}")
        time.sleep(0.05)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()  # SIGTERM: the server commits and closes its store
    try:
        process.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _tail(log: Path, lines: int = 20) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
