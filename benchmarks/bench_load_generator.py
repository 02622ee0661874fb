"""Generator capacity: SMTP messages/s into Postfix's smtp-sink, mailharness load vs smtp-source.

    .venv/bin/python -m benchmarks.bench_load_generator [--seconds S] [--rounds R] [--processes N]

Both generators send the same load, in the same run, to smtp-sink on
127.0.0.1:10026 (it accepts and discards: the sink is never the limit):
1 KB messages, 20 sessions, no think time, one recipient each, in two
shapes: a new connection per message (``smtp-source -c -s 20 -l 1024 -m N``)
and connections reused (``-d``; mailharness: ``messages_per_connection`` =
1000). mailharness runs a no-think MX sender profile (written to a temporary
folder: 20 users, ``check_delivery = false`` because the sink keeps nothing)
with ``--processes 2`` and still records every command in its HDR
histograms: the p50/p99 of ``SMTP DATA end`` are printed beside the rate.

smtp-source's rate is N messages over its wall time (N sized to last about
as long as the mailharness load phase); mailharness's is its acknowledged
messages over its load phase (locust's start-up is not counted, as
smtp-source's process start is not). Generators take turns within a round;
figures are medians over rounds, compared as ratios (target: >= 0.5x
smtp-source with --processes 2).

smtp-sink must be running (the private stack of examples/dovecot-postfix
starts it: ``ROOT=/tmp/l2-stack bash examples/dovecot-postfix/start-all.sh``).
"""

from __future__ import annotations

import argparse
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

SINK = ("127.0.0.1", 10026)
SESSIONS = 20
SIZE = 1024
REPO = Path(__file__).resolve().parents[1]

PROFILE = """\
# written by benchmarks/bench_load_generator.py: MX senders without think time
name = "generator-{shape}"
[run]
duration = "{seconds}s"
users = {sessions}
spawn_rate = {sessions}
max_messages = 10000000
grace = "1s"
timeout = "10s"
check_delivery = false    # smtp-sink keeps nothing to look for

[[users]]
kind = "smtp"
name = "mx"
service = "smtp"
think = 0
messages_per_connection = {per_connection}

[[message.sizes]]
weight = 1.0
min = "{size}B"
max = "{size}B"

[slo]
error_rate = 0.01
"""

TARGET = """\
name = "smtp-sink"
host = "{host}"
[smtp]
port = {port}
tls = "none"
[[accounts]]
user = "load90@example.test"
password = "pass"
"""


@dataclass
class Figure:
    rate: float  # messages/s
    cpu_us: float  # CPU per message (user + system, every process of the generator)
    data_end_p50: float | None = None  # ms, mailharness only
    data_end_p99: float | None = None


def children_cpu() -> float:
    """CPU seconds of every finished child process (and theirs) so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def smtp_source(messages: int, reuse: bool) -> Figure:
    command = ["smtp-source", "-c", "-s", str(SESSIONS), "-l", str(SIZE), "-m", str(messages)]
    command += ["-d"] if reuse else []
    command.append(f"{SINK[0]}:{SINK[1]}")
    start, cpu = time.perf_counter(), children_cpu()
    subprocess.run(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, timeout=300
    )
    elapsed = time.perf_counter() - start
    return Figure(messages / elapsed, (children_cpu() - cpu) / messages * 1e6)


def mailharness(work: Path, shape: str, seconds: float, processes: int) -> Figure:
    from harness.load.result import read_result  # the runner process never imports locust

    per_connection = 1000 if shape == "reuse" else 1
    profile = work / f"{shape}.toml"
    profile.write_text(
        PROFILE.format(
            shape=shape,
            seconds=seconds,
            sessions=SESSIONS,
            per_connection=per_connection,
            size=SIZE,
        )
    )
    target = work / "sink.toml"
    target.write_text(TARGET.format(host=SINK[0], port=SINK[1]))
    out = work / f"run-{shape}-{time.monotonic_ns()}"
    command = [sys.executable, "-m", "harness.cli", "load", str(profile), "--target", str(target)]
    command += ["--processes", str(processes), "--out", str(out), "--quiet"]
    cpu = children_cpu()
    subprocess.run(command, cwd=REPO, stdout=subprocess.DEVNULL, check=False, timeout=seconds + 180)
    cpu = children_cpu() - cpu
    result = read_result(out / "load.json")
    if result.failures:
        raise SystemExit(f"mailharness load had {result.failures} failures; see {out}")
    data_end = result.command("SMTP DATA end")
    assert data_end is not None
    messages = result.delivery.acknowledged
    return Figure(result.messages_per_s, cpu / messages * 1e6, data_end.p50_ms, data_end.p99_ms)


def sink_is_up() -> bool:
    try:
        with socket.create_connection(SINK, timeout=2) as probe:
            return probe.recv(100).startswith(b"220")
    except OSError:
        return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="mailharness load phase (10)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; medians are shown (3)")
    parser.add_argument("--processes", type=int, default=2, help="mailharness processes (2)")
    args = parser.parse_args()
    if shutil.which("smtp-source") is None or not sink_is_up():
        print(f"needs smtp-source and smtp-sink on {SINK[0]}:{SINK[1]} (see the module doc)")
        return 2
    with tempfile.TemporaryDirectory(prefix="bench-load-") as folder:
        rows = [_shape(Path(folder), shape, args) for shape in ("new connection", "reuse")]
    _print(rows, args.processes)
    return 0


def _shape(work: Path, shape: str, args: argparse.Namespace) -> tuple[str, Figure, Figure]:
    reuse = shape == "reuse"
    ours, theirs = [], []
    # size smtp-source's batch to last about as long as the mailharness load phase
    messages = int((20000 if reuse else 6000) * args.seconds)
    for _ in range(args.rounds):
        theirs.append(smtp_source(messages, reuse))
        ours.append(mailharness(work, "reuse" if reuse else "new", args.seconds, args.processes))
        print(
            f"  {shape}: smtp-source {theirs[-1].rate:,.0f}/s, mailharness {ours[-1].rate:,.0f}/s",
            flush=True,
        )
    return shape, _median(theirs), _median(ours)


def _median(figures: list[Figure]) -> Figure:
    middle = sorted(figures, key=lambda f: f.rate)[len(figures) // 2]
    return Figure(
        statistics.median(f.rate for f in figures),
        statistics.median(f.cpu_us for f in figures),
        middle.data_end_p50,
        middle.data_end_p99,
    )


def _print(rows: list[tuple[str, Figure, Figure]], processes: int) -> None:
    print(f"\nSMTP into smtp-sink, 1 KB, {SESSIONS} sessions, medians:")
    header = (
        f"{'connections':<16}{'smtp-source/s':>14}{f'mailharness x{processes}/s':>20}{'ratio':>7}"
    )
    print(header + f"{'CPU us/msg (src, mh)':>24}  mailharness DATA end p50/p99")
    for shape, theirs, ours in rows:
        cpu = f"{theirs.cpu_us:.0f} / {ours.cpu_us:.0f}"
        latency = f"{ours.data_end_p50:.2f} / {ours.data_end_p99:.2f} ms"
        print(
            f"{shape:<16}{theirs.rate:>14,.0f}{ours.rate:>20,.0f}"
            f"{ours.rate / theirs.rate:>7.2f}{cpu:>24}  {latency}"
        )


if __name__ == "__main__":
    sys.exit(main())
