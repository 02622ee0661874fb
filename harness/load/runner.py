"""``run_load``: one load run, with locust in its own process.

The calling process never imports locust or gevent (locust patches the
standard library at import, and trio cannot run under it), so ``run_load``
is safe to call from any process, trio's included (from a worker thread):
it writes the run plan, starts the reference server when asked, runs
``python -m locust`` on the packaged locustfile, follows its progress file,
and reads back the result the locust process wrote.

Bounds: the profile's stages end the run (the load shape stops it, settles
and writes the result), ``max_messages`` ends it early, and this process
interrupts locust (SIGINT: it still writes an incomplete result) if the
run outlives the stages plus the grace period plus a margin.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.capture import CaptureError, TcpdumpCapture
from harness.load.accounts import covered_recipients, matching
from harness.load.capture import (
    KEYLOG_FILE,
    CaptureChoice,
    choose_capture,
    measure,
    not_captured,
    start_capture,
)
from harness.load.plan import ENV_VAR, RunPlan
from harness.load.profile import Profile, load_profile, with_overrides
from harness.load.reference import reference_server
from harness.load.reporting import write_run_report
from harness.load.result import LoadResult, read_result, write_result
from harness.targets import REFERENCE, Target, load_target

ENTRY = Path(__file__).resolve().parent / "entry" / "locustfile.py"
CAP_MARGIN = 60.0  # beyond stages + grace: settling, flushing, start-up
KILL_MARGIN = 60.0  # beyond locust's own cap: then this process ends it
DEFAULT_WEB_PORT = 8089

Progress = Callable[[dict[str, Any]], None]


class LoadError(RuntimeError):
    """The run could not be made or did not produce a result."""


class LoadUsageError(LoadError):
    """The options cannot make a run (a worker without a master, a remote target)."""


@dataclass(frozen=True)
class LoadOptions:
    profile: Path
    target: str = REFERENCE  # "reference" or a target file
    out_dir: Path = Path("reports/runs/load")
    users: int | None = None
    rate: float | None = None
    duration: float | None = None
    processes: int | None = None  # --processes N: locust forks N workers
    web: bool = False
    web_port: int = DEFAULT_WEB_PORT
    role: str = "local"  # local | master | worker
    expect_workers: int = 1  # master: workers to wait for
    master_host: str = "127.0.0.1"
    master_port: int = 0  # master: 0 = a free port; worker: required
    allow_remote: bool = False
    capture: str = "off"  # auto | tcpdump | off: one pcap for the run, loss measured


@dataclass(frozen=True)
class LoadRun:
    """What ``execute`` hands back: the result (None for a worker) and where it lives."""

    result: LoadResult | None
    locust_exit: int
    out_dir: Path
    log: Path


def run_load(
    profile_path: str | Path,
    target: str = REFERENCE,
    *,
    out_dir: str | Path,
    users: int | None = None,
    rate: float | None = None,
    duration: float | None = None,
    processes: int | None = None,
    progress: Progress | None = None,
) -> LoadResult:
    """Run ``profile_path`` against ``target`` (a file or "reference"); the result.

    Raises ``LoadError`` when no result was written, and the profile's or
    target's own errors (``ProfileError``, ``TargetError``) as they are.
    """
    options = LoadOptions(
        profile=Path(profile_path),
        target=str(target),
        out_dir=Path(out_dir),
        users=users,
        rate=rate,
        duration=duration,
        processes=processes,
    )
    run = execute(options, progress)
    assert run.result is not None
    return run.result


def execute(options: LoadOptions, progress: Progress | None = None) -> LoadRun:
    check_options(options)  # a bad profile or override fails before a server is started
    capture = capture_choice(options)
    options.out_dir.mkdir(parents=True, exist_ok=True)
    with target_file(options) as target_path:
        return run_on(options, target_path, capture, progress)


def check_options(options: LoadOptions) -> None:
    with_overrides(
        load_profile(options.profile),
        users=options.users,
        rate=options.rate,
        duration=options.duration,
    )


def capture_choice(options: LoadOptions) -> CaptureChoice:
    """Workers never capture: the master's machine does (LoadUsageError if impossible)."""
    mode = "off" if options.role == "worker" else options.capture
    try:
        return choose_capture(mode)
    except CaptureError as exc:
        raise LoadUsageError(str(exc)) from None


def run_on(
    options: LoadOptions,
    target_path: Path,
    capture: CaptureChoice,
    progress: Progress | None = None,
) -> LoadRun:
    """One locust run against a target file that exists (and a server that runs)."""
    options.out_dir.mkdir(parents=True, exist_ok=True)
    plan = make_plan(options, target_path, capture)
    plan_path = options.out_dir / "plan.json"
    plan.write(plan_path)
    for stale in (plan.result_path, plan.progress_path, plan.connections_path):
        stale.unlink(missing_ok=True)
    command = locust_command(options, plan)
    log = options.out_dir / ("locust-worker.log" if options.role == "worker" else "locust.log")
    tcpdump = _start_capture(capture, options.out_dir, plan)
    try:
        code = _run_locust(command, plan_path, log, _time_cap(plan), progress, plan)
    finally:
        stats = tcpdump.stop() if tcpdump is not None else None
    if options.role == "worker":
        return LoadRun(None, code, options.out_dir, log)
    if not plan.result_path.exists():
        raise LoadError(f"locust exited ({code}) without a result; see {log}:\n{_tail(log)}")
    result = read_result(plan.result_path)
    if capture.mode != "off":
        target = load_target(plan.target_path)
        result.capture = (
            measure(capture, stats, plan.connections_path, target)
            if stats
            else not_captured(capture)
        )
        write_result(result, plan.result_path)
    write_run_report(result, load_target(plan.target_path), options.out_dir, sys.argv)
    return LoadRun(result, code, options.out_dir, log)


def _start_capture(capture: CaptureChoice, out_dir: Path, plan: RunPlan) -> TcpdumpCapture | None:
    if not capture.enabled:
        return None
    try:
        return start_capture(out_dir, plan.target())
    except CaptureError as exc:
        raise LoadError(f"the capture did not start: {exc}") from None


@contextlib.contextmanager
def target_file(options: LoadOptions) -> Iterator[Path]:
    """The target file to run against: the given one, or a reference server's, for the run."""
    if options.target != REFERENCE:
        path = Path(options.target)
        _check_loopback(path, options.allow_remote)
        yield path
        return
    if options.role == "worker":
        raise LoadUsageError(
            "a worker needs the master's target file (--target FILE), not 'reference'"
        )
    with reference_server(options.out_dir) as path:
        yield path


def _check_loopback(path: Path, allow_remote: bool) -> None:
    """A load generator aimed at the wrong host is an attack: loopback unless told."""
    host = load_target(path).host
    if allow_remote or is_loopback(host):
        return
    raise LoadUsageError(f"{path}: host {host} is not loopback; pass --allow-remote to load it")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def make_plan(
    options: LoadOptions, target_path: Path, capture: CaptureChoice | None = None
) -> RunPlan:
    captured = capture is not None and capture.enabled
    plan = RunPlan(
        profile_path=str(options.profile.resolve()),
        target_path=str(target_path.resolve()),
        out_dir=str(options.out_dir.resolve()),
        run_id=secrets.token_hex(4),
        seed=secrets.randbelow(2**31),
        users=options.users,
        rate=options.rate,
        duration=options.duration,
        processes=options.processes or (options.expect_workers if options.role == "master" else 1),
        record_connections=captured,
        keylog=str((options.out_dir / KEYLOG_FILE).resolve()) if captured else None,
    )
    check_fit(plan.profile(), plan.target())  # fail here, before anything starts
    return plan


def check_fit(profile: Profile, target: Target) -> None:
    """Every service and account the profile needs is in the target (TargetError if not)."""
    for spec in profile.users:
        target.service(spec.service)
    covered_recipients(profile, target)
    if any(spec.auth for spec in profile.users):
        matching(target, profile.accounts.senders)


def _time_cap(plan: RunPlan) -> float:
    profile = plan.profile()
    return profile.duration + profile.grace + CAP_MARGIN


def locust_command(options: LoadOptions, plan: RunPlan) -> list[str]:
    command = [sys.executable, "-m", "locust", "-f", str(ENTRY), "--exit-code-on-error", "0"]
    if options.role == "worker":
        if not options.master_port:
            raise LoadUsageError("a worker needs --master-port (the master prints it)")
        return [*command, "--worker", "--master-host", options.master_host,
                "--master-port", str(options.master_port)]  # fmt: skip
    # no --run-time: locust applies it to a shape only after the shape ends; the
    # shape ends the run itself, and _run_locust enforces the hard cap
    command += ["--stop-timeout", "5", "--only-summary", "--mh-run-id", plan.run_id]
    if options.web:
        command += ["--web-host", "127.0.0.1", "--web-port", str(options.web_port)]
        command += ["--autostart", "--autoquit", "5"]
    else:
        command.append("--headless")
    return command + _distribution(options)


def _distribution(options: LoadOptions) -> list[str]:
    """--processes and --master bind to loopback only, on a port of their own."""
    if options.processes and options.processes > 1:
        port = str(free_port())
        return ["--processes", str(options.processes), "--master-bind-host", "127.0.0.1",
                "--master-bind-port", port, "--master-port", port]  # fmt: skip
    if options.role == "master":
        port = str(options.master_port or free_port())
        return ["--master", "--master-bind-host", "127.0.0.1", "--master-bind-port", port,
                "--expect-workers", str(options.expect_workers),
                "--expect-workers-max-wait", "120"]  # fmt: skip
    return []


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _run_locust(
    command: list[str],
    plan_path: Path,
    log: Path,
    cap: float,
    progress: Progress | None,
    plan: RunPlan,
) -> int:
    env = {**os.environ, ENV_VAR: str(plan_path.resolve()), "PYTHONUNBUFFERED": "1"}
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=out, stderr=out, env=env
        )
    deadline = time.monotonic() + cap + KILL_MARGIN
    try:
        while process.poll() is None:
            if time.monotonic() > deadline:
                _end(process)
                break
            _show(progress, plan)
            time.sleep(0.5)
        _show(progress, plan)
    except KeyboardInterrupt:
        _end(process)  # locust writes the result so far, marked incomplete: report it
    except BaseException:
        _end(process)
        raise
    return process.wait()


def _show(progress: Progress | None, plan: RunPlan) -> None:
    if progress is None:
        return
    try:
        progress(json.loads(plan.progress_path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return  # not written yet


def _end(process: subprocess.Popen[bytes]) -> None:
    """SIGINT first, as Ctrl-C would: locust stops, fires its quitting event, and the
    coordinator writes the result so far (marked incomplete). SIGTERM would kill it
    outright: locust installs its SIGTERM handler only after a shape run ends."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGINT)
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _tail(log: Path, lines: int = 30) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
