"""``mailharness conform``: run conformance scripts against a target and judge it.

Exit status (reports/README.md, "Exit status"): 0 when no MUST / MUST NOT
case failed or errored (with ``--strict``, no SHOULD / SHOULD NOT case
either), 1 when one did, 2 for usage or target errors (a bad target file,
a broken script, no case selected, a target none of whose services answers).
With ``--baseline FILE`` only changes from the recorded verdicts fail a run.
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import trio
from rich.console import Console

from harness.capture import CAPTURE_MODES, CaptureError, CaptureMode, CapturePlan, plan_capture
from harness.conformance.campaign import TargetUnreachable, run_conformance
from harness.conformance.evidence import RunEvidence
from harness.conformance.message_case import Case, MessageCase
from harness.conformance.progress import CaseProgress
from harness.conformance.reference import open_target
from harness.conformance.selection import SuiteError, collect_scripts, select
from harness.report import Report, exit_decision, read_baseline, write_report
from harness.report.html import write_html
from harness.report.junit import write_junit
from harness.report.policy import BaselineError, render_baseline
from harness.report.terminal import summary_renderable
from harness.server.app import ServerStartError
from harness.targets import REFERENCE, TargetError

DEFAULT_SUITES = Path(__file__).resolve().parents[2] / "suites"
RUNS_DIR = Path("reports") / "runs"

DESCRIPTION = """\
Run conformance scripts (suites/*.mhs) against a mail server and judge it,
case by case, against the RFC clause each script names.

--target is a target file (docs/targets.md) or 'reference' (the default):
the bundled server, started in-process on free loopback ports.

Writes report.json, junit.xml and index.html into --out (default
reports/runs/<time>-<target>/) and prints a summary. With --capture (default
auto: when this process may capture) each case's packets go to
pcaps/<case>.pcap beside the report, with its TLS key log (<case>.keys). Exit status: 0 when no
MUST case failed (with --strict: no SHOULD case either), 1 when one did,
2 for usage or target errors. With --baseline only changes from the
baseline's verdicts fail the run.
"""

EXAMPLES = """\
examples:
  mailharness conform
  mailharness conform --target dovecot.toml --jobs 4
  mailharness conform --target dovecot.toml --suite suites/pop3 -k "stat or list"
  mailharness conform --target dovecot.toml --baseline reports/baselines/dovecot-postfix.expected
"""


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "conform",
        help="run conformance scripts against a mail server and judge it",
        description=DESCRIPTION,
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_run_options(parser)
    parser.add_argument(
        "--suite",
        metavar="PATH",
        type=Path,
        action="append",
        help=f"a suite folder or script (repeatable; default {DEFAULT_SUITES.name}/)",
    )
    parser.add_argument("-k", metavar="EXPR", dest="keyword", help="only cases matching EXPR")
    parser.add_argument("--strict", action="store_true", help="SHOULD cases gate the run as well")
    parser.add_argument("--baseline", metavar="FILE", type=Path, help="only changes from it fail")
    parser.add_argument(
        "--write-baseline",
        metavar="FILE",
        type=Path,
        help="record this run's verdicts as a baseline",
    )


def add_run_options(parser: argparse.ArgumentParser) -> None:
    """The options ``conform`` shares with ``run``."""
    parser.add_argument(
        "--target", metavar="FILE", default=REFERENCE, help="target file, or 'reference' (default)"
    )
    parser.add_argument(
        "--jobs", metavar="N", type=_positive, default=4, help="cases at once (default 4)"
    )
    parser.add_argument("--out", metavar="DIR", type=Path, help="where to write the run")
    parser.add_argument("--junit", metavar="FILE", type=Path, help="also write JUnit XML here")
    parser.add_argument("--quiet", action="store_true", help="no progress, only the summary")
    parser.add_argument(
        "--capture",
        choices=CAPTURE_MODES,
        default="auto",
        help="packet capture per case: auto (default: when permitted), scapy, tcpdump, off",
    )


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


@dataclass
class ConformOptions:
    target: str = REFERENCE
    suites: list[Path] = field(default_factory=lambda: [DEFAULT_SUITES])
    keyword: str | None = None
    jobs: int = 4
    strict: bool = False
    out: Path | None = None
    junit: Path | None = None
    baseline: Path | None = None
    write_baseline: Path | None = None
    quiet: bool = False
    command_line: list[str] = field(default_factory=list)
    capture: CaptureMode = "auto"


def run(args: argparse.Namespace) -> int:
    options = ConformOptions(
        target=args.target,
        suites=args.suite or [DEFAULT_SUITES],
        keyword=args.keyword,
        jobs=args.jobs,
        strict=args.strict,
        out=args.out,
        junit=args.junit,
        baseline=args.baseline,
        write_baseline=args.write_baseline,
        quiet=args.quiet,
        command_line=list(sys.argv),
        capture=args.capture,
    )
    return conform(options)


def conform(options: ConformOptions) -> int:
    """The whole command: exit status 0, 1 or 2."""
    try:
        baseline = read_baseline(options.baseline) if options.baseline else None
        scripts = select(collect_scripts(options.suites), options.keyword)
    except (SuiteError, BaselineError, OSError) as error:
        return _usage_error(str(error))
    if not scripts:
        return _usage_error("no case matches the suites and -k given")
    try:
        plan = plan_capture(options.capture)
    except CaptureError as error:
        return _usage_error(str(error))
    if not plan.enabled and options.capture == "auto":
        print(f"capture: none: {plan.reason}", file=sys.stderr)  # said once, then carry on
    server_log = logging.getLogger("harness.server")
    level = server_log.level
    # The in-process reference server logs what it refuses (injection probes
    # included): that is the cases' business, not the run's output.
    server_log.setLevel(logging.ERROR)
    try:
        report, out = trio.run(_run, options, scripts, plan)
    except TargetProblem as problem:
        return _usage_error(str(problem))
    finally:
        server_log.setLevel(level)
    write_outputs(report, out, options)
    decision = exit_decision(report, strict=options.strict, baseline=baseline)
    console = Console(stderr=False, highlight=False)
    console.print(summary_renderable(report, decision))
    capture = report.meta.capture
    if capture is not None and (capture.backend is not None or plan.enabled):
        console.print(f"capture: {capture.describe()}")
    console.print(f"report: {out / 'report.json'}")
    return decision.status


class TargetProblem(Exception):
    """The target could not be opened or reached: exit status 2."""


async def _run(
    options: ConformOptions, scripts: Sequence[Case], plan: CapturePlan
) -> tuple[Report, Path]:
    """The run and the folder it writes to (known before the run: pcaps go there)."""
    try:
        async with open_target(options.target, relay_peer=needs_relay_peer(scripts)) as target:
            out = options.out or out_dir_for(datetime.now(UTC), target.name)
            with CaseProgress(len(scripts), quiet=options.quiet) as progress:
                report = await run_conformance(
                    target,
                    scripts,
                    jobs=options.jobs,
                    suite_paths=[str(path) for path in options.suites],
                    command_line=options.command_line,
                    on_result=progress.case_done,
                    evidence=RunEvidence(plan, out),
                )
                return report, out
    except BaseException as error:
        problem = _target_problem(error)
        if problem is None:
            raise
        prefix = "capture: " if isinstance(problem, CaptureError) else ""
        raise TargetProblem(f"{prefix}{problem}") from None


def needs_relay_peer(cases: Sequence[Case]) -> bool:
    """Whether a case crosses to a relay peer (the reference target then starts one)."""
    return any(isinstance(case, MessageCase) and case.journey.needs_peer for case in cases)


def _target_problem(error: BaseException) -> BaseException | None:
    """A TargetError, TargetUnreachable, server start or capture failure, inside groups too."""
    if isinstance(error, TargetError | TargetUnreachable | ServerStartError | CaptureError):
        return error
    if isinstance(error, BaseExceptionGroup):
        for inner in error.exceptions:
            found = _target_problem(inner)
            if found is not None:
                return found
    return None


def default_out_dir(report: Report) -> Path:
    return out_dir_for(report.meta.started, report.meta.target.name)


def out_dir_for(started: datetime, target_name: str) -> Path:
    """``reports/runs/<UTC time>-<target name>``."""
    stamp = started.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", target_name).strip("-") or "target"
    return RUNS_DIR / f"{stamp}-{name}"


def write_outputs(report: Report, out: Path, options: ConformOptions) -> None:
    out.mkdir(parents=True, exist_ok=True)
    write_report(report, out / "report.json")
    write_junit(report, out / "junit.xml")
    write_html(report, out / "index.html")
    if options.junit is not None:
        options.junit.parent.mkdir(parents=True, exist_ok=True)
        write_junit(report, options.junit)
    if options.write_baseline is not None:
        options.write_baseline.write_text(render_baseline(report), encoding="utf-8")


def _usage_error(message: str) -> int:
    print(f"mailharness conform: {message}", file=sys.stderr)
    return 2
