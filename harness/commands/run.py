"""``mailharness run``: the main job, what ``make run`` does.

Two steps, in ``STEPS``: every conformance suite against the bundled
reference server (or --target), with the report written like ``mailharness
conform`` writes it; then a short smoke load (loadtests/profiles/smoke.toml,
~10 s of load plus the settle phase) against the same target, whose result
becomes the ``load`` section of the same report.json and index.html (its own
run folder is ``load-smoke/`` inside the run's). Each step takes the parsed
arguments and returns an exit status; the job's status is the worst one.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from harness.commands.conform import DEFAULT_SUITES, ConformOptions, add_run_options, conform
from harness.commands.conform import out_dir_for as conformance_dir
from harness.load.profile import ProfileError
from harness.load.reference import ReferenceServerError
from harness.load.result import LoadResult
from harness.load.runner import LoadError, LoadOptions, LoadUsageError, execute
from harness.load.summary import summary_renderable
from harness.report.html import write_html
from harness.report.model import read_report, write_report
from harness.targets import REFERENCE, TargetError, load_target

SMOKE_PROFILE = Path(__file__).resolve().parents[2] / "loadtests" / "profiles" / "smoke.toml"
SMOKE_DIR = "load-smoke"

DESCRIPTION = """\
The main job: run every conformance suite against the bundled reference
server (or --target), then a short smoke load (loadtests/profiles/smoke.toml:
~10 s of SMTP senders, an IMAP and a POP3 reader, then the delivery check)
against the same target, and write one report (report.json with the load
section, junit.xml, index.html) under reports/runs/. About a minute in all.

Exit status: 0 when no MUST case failed and every smoke SLO gate held
(no message lost, duplicated or corrupted among them), 1 when either failed,
2 for usage or target errors.
"""


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "run",
        help="the main job: every conformance suite and a smoke load, with one report",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_run_options(parser)
    parser.add_argument(
        "--no-load", action="store_true", help="skip the smoke load after the conformance suites"
    )


def conformance_step(args: argparse.Namespace) -> int:
    options = ConformOptions(
        target=getattr(args, "target", REFERENCE),
        suites=[DEFAULT_SUITES],
        jobs=args.jobs,
        out=args.out,
        junit=args.junit,
        quiet=args.quiet,
        command_line=list(sys.argv),
        capture=getattr(args, "capture", "auto"),
    )
    return conform(options)


def load_smoke_step(args: argparse.Namespace) -> int:
    """The smoke profile against the same target; its result joins the run's report."""
    if getattr(args, "no_load", False):
        return 0
    console = Console(highlight=False)
    console.print(f"load smoke: {SMOKE_PROFILE.name} against {args.target} (~25 s)")
    options = LoadOptions(
        profile=SMOKE_PROFILE,
        target=getattr(args, "target", REFERENCE),
        out_dir=Path(args.out) / SMOKE_DIR,
        capture="off" if getattr(args, "capture", "auto") == "off" else "auto",
    )
    try:
        outcome = execute(options)
    except (ProfileError, TargetError, LoadUsageError) as exc:
        print(f"mailharness run: load smoke: {exc}", file=sys.stderr)
        return 2
    except (LoadError, ReferenceServerError) as exc:
        print(f"mailharness run: load smoke did not finish: {exc}", file=sys.stderr)
        return 1
    assert outcome.result is not None
    result = outcome.result
    console.print(summary_renderable(result) if not args.quiet else _verdict(result))
    attach(result, Path(args.out))
    return 0 if result.passed else 1


def _verdict(result: LoadResult) -> str:
    return f"load smoke: {'passed' if result.passed else 'FAILED'} ({result.messages_per_s:.1f} messages/s)"


def attach(result: LoadResult, run_dir: Path) -> None:
    """The smoke result as the ``load`` section of the run's report, and its page again."""
    path = run_dir / "report.json"
    if not path.exists():
        return  # the conformance step wrote no report: the smoke keeps its own folder
    report = read_report(path)
    report.load = result.to_json()
    write_report(report, path)
    write_html(report, run_dir / "index.html")


Step = Callable[[argparse.Namespace], int]
STEPS: list[Step] = [conformance_step, load_smoke_step]


def run(args: argparse.Namespace) -> int:
    """Every step in order; usage errors (2) stop the job, failures (1) do not."""
    if args.out is None:  # every step writes into the one run folder
        args.out = conformance_dir(datetime.now(UTC), _target_name(args.target))
    worst = 0
    for step in STEPS:
        status = step(args)
        if status == 2:
            return 2
        worst = max(worst, status)
    return worst


def _target_name(target: str) -> str:
    if target == REFERENCE:
        return REFERENCE
    try:
        return load_target(target).name
    except TargetError:
        return "target"  # the conformance step reports the bad target file
