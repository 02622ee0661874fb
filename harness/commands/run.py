"""``mailharness run``: the main job, what ``make run`` does.

Today: every conformance suite against the bundled reference server, with
the report written like ``mailharness conform`` writes it. Later steps (a
load smoke test, ...) are added to ``STEPS``: each takes the parsed
arguments and returns an exit status; the job's status is the worst one.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from harness.commands.conform import DEFAULT_SUITES, ConformOptions, add_run_options, conform
from harness.targets import REFERENCE

DESCRIPTION = """\
The main job: run every conformance suite against the bundled reference
server (or --target) and write the report (report.json, junit.xml,
index.html) under reports/runs/. Exit status as for 'mailharness conform'.
"""


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "run",
        help="the main job: every conformance suite against the reference server, with a report",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_run_options(parser)


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


Step = Callable[[argparse.Namespace], int]
STEPS: list[Step] = [conformance_step]


def run(args: argparse.Namespace) -> int:
    """Every step in order; usage errors (2) stop the job, failures (1) do not."""
    worst = 0
    for step in STEPS:
        status = step(args)
        if status == 2:
            return 2
        worst = max(worst, status)
    return worst
