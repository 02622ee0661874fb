"""``mailharness load``: run a load profile with locust in its own process.

Exit status: 0 when the run completed and every SLO gate passed, 1 when a
gate failed (lost, duplicated or corrupted messages gate by default), 2 for
bad usage (profile, target or options), 3 when the run produced no complete
result (locust failed, the time cap or an interrupt stopped it).
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from harness.load.capacity import CapacitySpec, with_options
from harness.load.capacity_search import search_capacity
from harness.load.capture import LOAD_CAPTURE_MODES
from harness.load.profile import load_profile
from harness.load.reference import ReferenceServerError
from harness.load.result import CapacityStep, LoadResult
from harness.load.runner import LoadError, LoadOptions, LoadRun, LoadUsageError, execute
from harness.load.summary import progress_line, summary_renderable
from harness.load.units import parse_duration
from harness.report.html import write_html
from harness.report.model import read_report
from harness.targets import REFERENCE, TargetError
from harness.tomlkeys import SettingsError

EXIT_PASSED, EXIT_SLO, EXIT_USAGE, EXIT_INCOMPLETE = 0, 1, 2, 3

DESCRIPTION = """\
Run a load profile (TOML, see docs/load.md and loadtests/profiles/) against a
target: SMTP senders, IMAP readers and POP3 downloaders on locust, with
per-command latency percentiles (HDR histograms), throughput, errors by reply
code, delivery latency (250 -> seen by the recipient's reader) and an
integrity count (every message carries an id and a hash: lost, duplicated,
corrupted). SLO gates in the profile set the exit status.

Locust runs headless in its own process; every run is bounded by the
profile's stages, its max_messages, and a hard time cap. The output folder
gets load.json, report.json and index.html (the HTML report).

--capacity steps the open-loop arrival rate (--start, --step, --max, or the
profile's [capacity] table) until an SLO gate breaks, each step a bounded
run of its own, and reports the highest rate that held.

--capture tcpdump|auto writes one pcap for the run (load.pcap, TLS keys in
load.keys) and measures its loss against the octets the load clients
counted on each connection.
"""

EXAMPLES = """\
examples:
  mailharness load loadtests/profiles/smoke.toml
  mailharness load loadtests/profiles/steady.toml --target dovecot.toml --processes 2
  mailharness load loadtests/profiles/ramp.toml --users 40 --duration 2m --out runs/ramp
  mailharness load loadtests/profiles/steady.toml --rate 50      # open loop, 50 messages/s
  mailharness load loadtests/profiles/steady.toml --capacity --start 20 --step 20 --max 200
  mailharness load loadtests/profiles/smoke.toml --capture tcpdump
  mailharness load steady.toml --target t.toml --master --expect-workers 2 --master-port 5557
  mailharness load steady.toml --target t.toml --worker --master-port 5557   # (twice)

exit status: 0 passed, 1 an SLO gate failed, 2 bad usage, 3 no complete result
"""


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "load",
        help="run a load profile (locust) with latency, delivery and integrity checks",
        description=DESCRIPTION,
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("profile", type=Path, help="load profile (TOML)")
    parser.add_argument(
        "--target",
        default=REFERENCE,
        help="target file, or 'reference' (default): the bundled server",
    )
    parser.add_argument("--users", type=_positive_int, help="peak users (stages scale to it)")
    parser.add_argument("--rate", type=float, help="open loop: peak messages/s offered")
    parser.add_argument("--duration", type=_duration, help="load phase length, e.g. 30s, 5m")
    parser.add_argument(
        "--processes", type=_positive_int, help="load processes (locust --processes)"
    )
    parser.add_argument("--web", action="store_true", help="show locust's web UI on 127.0.0.1")
    parser.add_argument("--web-port", type=_positive_int, default=8089, help="web UI port (8089)")
    parser.add_argument("--out", type=Path, help="output directory (default reports/runs/load-...)")
    parser.add_argument("--quiet", action="store_true", help="no progress line while running")
    parser.add_argument(
        "--allow-remote", action="store_true", help="allow a target that is not on loopback"
    )
    parser.add_argument(
        "--capture",
        choices=LOAD_CAPTURE_MODES,
        default="off",
        help="one pcap for the run with its loss measured: tcpdump, auto (when possible), off",
    )
    _capacity_options(parser)
    _distributed_options(parser)


def _capacity_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "capacity search (open loop, rate stepped until an SLO breaks)"
    )
    group.add_argument("--capacity", action="store_true", help="search the highest rate that holds")
    group.add_argument("--start", type=_positive_float, help="first rate, messages/s")
    group.add_argument("--step", type=_positive_float, help="rate added per step (default: start)")
    group.add_argument("--max", type=_positive_float, dest="max_rate", help="last rate tried")


def _positive_float(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be above zero, got {value:g}")
    return value


def _distributed_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("distributed runs (locust master/worker)")
    role = group.add_mutually_exclusive_group()
    role.add_argument("--master", action="store_true", help="run the master (bound to 127.0.0.1)")
    role.add_argument("--worker", action="store_true", help="run a worker for a master")
    group.add_argument(
        "--expect-workers", type=_positive_int, default=1, help="master: workers to wait for"
    )
    group.add_argument("--master-host", default="127.0.0.1", help="worker: the master's address")
    group.add_argument("--master-port", type=_positive_int, default=0, help="the master's port")


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _duration(text: str) -> float:
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def options_from(args: argparse.Namespace) -> LoadOptions:
    role = "master" if args.master else "worker" if args.worker else "local"
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    out = args.out or Path("reports/runs") / f"load-{args.profile.stem}-{stamp}"
    return LoadOptions(
        profile=args.profile,
        target=args.target,
        out_dir=out,
        users=args.users,
        rate=args.rate,
        duration=args.duration,
        processes=args.processes,
        web=args.web,
        web_port=args.web_port,
        role=role,
        expect_workers=args.expect_workers,
        master_host=args.master_host,
        master_port=args.master_port,
        allow_remote=args.allow_remote,
        capture=args.capture,
    )


def run(args: argparse.Namespace) -> int:
    console = Console() if sys.stdout.isatty() else Console(width=120)
    show = None if args.quiet or args.worker else _ProgressPrinter(console)
    try:
        options = options_from(args)
        if args.capacity:
            spec = _capacity_spec(args)
            outcome = search_capacity(options, spec, show, _StepPrinter(console, args.quiet))
        else:
            outcome = execute(options, show)
    except (SettingsError, TargetError, LoadUsageError) as exc:
        print(f"mailharness load: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (LoadError, ReferenceServerError) as exc:
        print(f"mailharness load: {exc}", file=sys.stderr)
        return EXIT_INCOMPLETE
    return _report(console, outcome)


def _capacity_spec(args: argparse.Namespace) -> CapacitySpec:
    if args.worker or args.master or args.rate is not None:
        raise LoadUsageError("--capacity runs on its own: no --rate, --master or --worker")
    profile = load_profile(args.profile)
    return with_options(profile.capacity, start=args.start, step=args.step, max_rate=args.max_rate)


def _report(console: Console, outcome: LoadRun) -> int:
    if outcome.result is None:  # a worker: the master writes the result
        return EXIT_PASSED if outcome.locust_exit == 0 else EXIT_INCOMPLETE
    console.print(summary_renderable(outcome.result))
    out = outcome.out_dir
    page = write_page(out)
    console.print(f"result: {out / 'load.json'}  report: {page}  log: {outcome.log}")
    return exit_status(outcome.result)


def write_page(out: Path) -> Path:
    """index.html beside report.json: the load section of the HTML report."""
    page = out / "index.html"
    write_html(read_report(out / "report.json"), page)
    return page


def exit_status(result: LoadResult) -> int:
    if not result.complete:
        return EXIT_INCOMPLETE
    return EXIT_PASSED if result.passed else EXIT_SLO


class _StepPrinter:
    """One line per capacity step as it ends."""

    def __init__(self, console: Console, quiet: bool) -> None:
        self.console = console
        self.quiet = quiet

    def __call__(self, step: CapacityStep) -> None:
        if self.quiet:
            return
        verdict = "held" if step.passed else "BROKE: " + ", ".join(step.failed_gates)
        self.console.print(
            f"capacity step {step.rate:g}/s: {step.messages_per_s:.1f} acked/s, "
            f"{step.late_starts} late starts: {verdict}",
            highlight=False,
        )


class _ProgressPrinter:
    """A line every few seconds (and on each phase change); no cursor tricks,
    so it reads the same in a terminal, a CI log and a pipe."""

    def __init__(self, console: Console, every: float = 5.0) -> None:
        self.console = console
        self.every = every
        self.last = -every
        self.phase = ""

    def __call__(self, progress: dict[str, Any]) -> None:
        elapsed, phase = float(progress.get("elapsed", 0)), str(progress.get("phase", ""))
        if phase != self.phase or elapsed - self.last >= self.every:
            self.console.print(progress_line(progress), highlight=False)
            self.last, self.phase = elapsed, phase
