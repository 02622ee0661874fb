"""``mailharness compare``: what changed between runs, and whether HEAD regressed.

Exit status: 1 when HEAD has a case that passed in BASE and now fails or
errors, 0 otherwise, 2 when an input is not a readable report. Warnings about
reports that are not like for like go to stderr as well as into the output,
so a CI log shows them whatever the format.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from harness.report.compare import (
    CompareInputError,
    CompareResult,
    DurationThreshold,
    compare_reports,
    load_report,
)
from harness.report.compare_load import LoadThreshold
from harness.report.compare_tables import outcome_line, pair_summary
from harness.report.compare_text import render_compare_markdown, render_compare_text
from harness.report.html.compare_page import render_compare_html

RENDERERS = {
    "text": render_compare_text,
    "markdown": render_compare_markdown,
    "html": render_compare_html,
}

DESCRIPTION = """\
Compare two or more conformance runs. BASE and HEAD (and any more) are
report.json files or run directories holding one.

Shows verdict flips (regressions: passed -> failed or error; fixes), cases
added and removed, capabilities the target advertises differently, durations
that changed a lot, and run metadata that differs. With more than two reports
it adds a side-by-side matrix (say: the reference server, Dovecot+Postfix, and
the server you are building). Runs from different mailharness versions,
machines or suite sets are compared with a warning.

Load runs (report.json with a load section, from 'mailharness load') add
load deltas: per-command p50/p95/p99, throughput, error rate, delivery
latency, integrity counts and SLO verdicts. Changes past 1.2x are listed
as load regressions; they set the exit status only with --load-threshold R.
Comparing a load run with a conformance run warns.

Exit status: 1 when HEAD regressed against BASE (with --load-threshold: also
a load regression), 0 when it did not, 2 when an input cannot be read as a
report.
"""

EXAMPLES = """\
examples:
  mailharness compare reports/runs/0501-reference reports/runs/0502-reference
  mailharness compare main.json pr.json --format markdown --out compare.md
  mailharness compare ref/ dovecot/ mine/ --format html --out matrix.html
  mailharness compare load-main/ load-pr/ --load-threshold 1.2   # fail on a 20% slowdown
"""


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "compare",
        help="compare runs: regressions, fixes, added/removed cases, capability changes",
        description=DESCRIPTION,
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("base", metavar="BASE", type=Path, help="the run to compare against")
    parser.add_argument("head", metavar="HEAD", type=Path, help="the run that must not regress")
    parser.add_argument(
        "more",
        metavar="MORE",
        type=Path,
        nargs="*",
        help="further runs for the side-by-side matrix",
    )
    parser.add_argument("--format", choices=sorted(RENDERERS), default="text")
    parser.add_argument("--out", metavar="FILE", type=Path, help="write here instead of stdout")
    parser.add_argument(
        "--min-ratio",
        metavar="R",
        type=float,
        default=DurationThreshold.ratio,
        help="list a duration change only when one run took R times the other (default 1.5)",
    )
    parser.add_argument(
        "--min-ms",
        metavar="MS",
        type=float,
        default=DurationThreshold.min_ms,
        help="... and the difference exceeds MS milliseconds (default 100)",
    )
    parser.add_argument(
        "--load-threshold",
        metavar="R",
        type=_ratio,
        help="load runs: a p95/p99 or delivery p95 R times slower, or throughput R times lower,"
        " is a regression that sets the exit status (listed past 1.2x without it)",
    )


def _ratio(text: str) -> float:
    value = float(text)
    if value <= 1:
        raise argparse.ArgumentTypeError(f"a ratio above 1, got {value:g}")
    return value


def run(args: argparse.Namespace) -> int:
    try:
        reports = [load_report(path) for path in [args.base, args.head, *args.more]]
    except CompareInputError as error:
        return _usage_error(str(error))
    load = (
        LoadThreshold(args.load_threshold, gate=True)
        if args.load_threshold is not None
        else LoadThreshold()
    )
    result = compare_reports(reports, DurationThreshold(args.min_ratio, args.min_ms), load)
    rendered = RENDERERS[args.format](result)
    if args.out is None:
        sys.stdout.write(rendered)
        if args.format != "text":
            _print_warnings(result)
        return result.status
    try:
        args.out.write_text(rendered, encoding="utf-8", errors="replace")
    except OSError as error:
        return _usage_error(f"cannot write {args.out}: {error.strerror}")
    _print_warnings(result)
    for pair in result.pairs:
        print(pair_summary(pair))
    print(f"{outcome_line(result)}; wrote {args.out}")
    return result.status


def _print_warnings(result: CompareResult) -> None:
    for warning in result.warnings:
        print(f"mailharness compare: warning: {warning}", file=sys.stderr)


def _usage_error(message: str) -> int:
    print(f"mailharness compare: error: {message}", file=sys.stderr)
    return 2
