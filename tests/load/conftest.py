"""Fixtures for the load tests: real servers as subprocesses, and the load CLI.

The reference server runs as ``mailharness serve --write-target`` in its own
process (the load side never hosts trio); the lossy server is
tests/load/lossy_server.py. Load runs go through the real CLI in a
subprocess, exactly as a user would start them.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.load.result import LoadResult, read_result

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
TINY = HERE / "profiles" / "tiny.toml"
LOSSY = HERE / "profiles" / "lossy.toml"
RUN_TIMEOUT = 120


@dataclass
class LoadOutcome:
    exit_code: int
    stdout: str
    stderr: str
    out_dir: Path

    @property
    def result(self) -> LoadResult:
        return read_result(self.out_dir / "load.json")


def start_and_wait(command: list[str], target: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=out, stderr=out, cwd=REPO
        )
    deadline = time.monotonic() + 60
    while not target.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"{command[2:4]} did not start:\n{log.read_text()}")
        time.sleep(0.05)
    return process


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="module")
def reference_target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A running reference server and its target file (shared by a test module)."""
    work = tmp_path_factory.mktemp("reference")
    target = work / "target.toml"
    command = [sys.executable, "-m", "harness.cli", "serve", "--write-target", str(target)]
    process = start_and_wait(
        [*command, "--data-dir", str(work / "data")], target, work / "serve.log"
    )
    yield target
    stop(process)


@dataclass
class LossyServer:
    target: Path
    folder: Path

    @property
    def dropped(self) -> int:
        counter = self.folder / "dropped"
        return int(counter.read_text()) if counter.exists() else 0


@pytest.fixture
def lossy_server(tmp_path: Path) -> Iterator[LossyServer]:
    target = tmp_path / "lossy-target.toml"
    folder = tmp_path / "lossy-mail"
    command = [sys.executable, "-m", "tests.load.lossy_server", "--dir", str(folder)]
    command += ["--drop-every", "5", "--write-target", str(target)]
    process = start_and_wait(command, target, tmp_path / "lossy.log")
    yield LossyServer(target, folder)
    stop(process)


def run_load_cli(*args: str, out_dir: Path, timeout: float = RUN_TIMEOUT) -> LoadOutcome:
    command = [sys.executable, "-m", "harness.cli", "load", *args, "--out", str(out_dir), "--quiet"]
    done = subprocess.run(
        command, cwd=REPO, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout
    )
    return LoadOutcome(done.returncode, done.stdout, done.stderr, out_dir)
