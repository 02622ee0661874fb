"""``mailharness report``: render a finished run again, or record it as a baseline.

report.json is the source of truth, so every other file of a run can be
rebuilt from it: ``--html``, ``--junit`` and ``--markdown`` write beside the
report unless given a path, and ``--baseline-out`` records the run's
verdicts as a baseline file to review and check in. Exits like the run did
(0 or 1 under the same policy and baseline), or 2 on a usage error.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from harness.report.compare import CompareInputError, load_report, report_path
from harness.report.html import write_html
from harness.report.junit import write_junit
from harness.report.markdown import render_markdown
from harness.report.model import Report
from harness.report.policy import (
    BaselineError,
    ExitDecision,
    exit_decision,
    read_baseline,
    render_baseline,
)
from harness.report.terminal import render_terminal

DEFAULT_NAMES = {"html": "index.html", "junit": "junit.xml", "markdown": "summary.md"}

DESCRIPTION = """\
Render a run's report.json again: the HTML page, JUnit XML, a Markdown summary,
or (with no option) the terminal summary. RUN is a run directory or a report
file. Files go beside the report unless you name a path.

--baseline-out FILE records every verdict of the run as a baseline
(`case-id verdict` lines): review it, check it in under reports/baselines/,
and pass it to later runs so only changes fail them.
"""

EXAMPLES = """\
examples:
  mailharness report reports/runs/20240501-120000-reference
  mailharness report run/ --html --junit --markdown
  mailharness report run/ --html /tmp/page.html
  mailharness report run/ --baseline-out reports/baselines/my-server.txt
"""


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "report",
        help="re-render a run (HTML, JUnit, Markdown) or record it as a baseline",
        description=DESCRIPTION,
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("run", metavar="RUN", type=Path, help="run directory or report.json")
    for kind, name in DEFAULT_NAMES.items():
        parser.add_argument(
            f"--{kind}",
            metavar="FILE",
            nargs="?",
            const="",
            type=str,
            help=f"write {kind} (default: {name} beside the report)",
        )
    parser.add_argument(
        "--baseline-out", metavar="FILE", type=Path, help="write the run's verdicts as a baseline"
    )
    parser.add_argument("--baseline", metavar="FILE", type=Path, help="judge against this baseline")
    parser.add_argument("--strict", action="store_true", help="SHOULD cases gate as well")


def run(args: argparse.Namespace) -> int:
    try:
        source = report_path(args.run)
        report = load_report(source).report
        baseline = read_baseline(args.baseline) if args.baseline else None
    except (CompareInputError, BaselineError) as error:
        return _usage_error(str(error))
    except OSError as error:
        return _usage_error(f"cannot read {error.filename}: {error.strerror}")
    decision = exit_decision(report, strict=args.strict, baseline=baseline)
    try:
        written = _write_outputs(args, report, decision, source.parent)
    except OSError as error:
        return _usage_error(f"cannot write {error.filename}: {error.strerror}")
    if not written:
        sys.stdout.write(render_terminal(report, decision))
    for line in written:
        print(line)
    return decision.status


def _write_outputs(
    args: argparse.Namespace, report: Report, decision: ExitDecision, folder: Path
) -> list[str]:
    written = []
    if args.html is not None:
        path = _output(args.html, folder, "html")
        link_base = os.path.relpath(folder.resolve(), path.parent.resolve())
        write_html(report, path, decision, link_base="" if link_base == "." else link_base)
        written.append(f"wrote {path}")
    if args.junit is not None:
        path = _output(args.junit, folder, "junit")
        write_junit(report, path)
        written.append(f"wrote {path}")
    if args.markdown is not None:
        path = _output(args.markdown, folder, "markdown")
        path.write_text(render_markdown(report, decision), encoding="utf-8", errors="replace")
        written.append(f"wrote {path}")
    if args.baseline_out is not None:
        args.baseline_out.write_text(render_baseline(report), encoding="utf-8")
        written.append(f"wrote a baseline of {len(report.cases)} verdicts to {args.baseline_out}")
    return written


def _output(given: str, folder: Path, kind: str) -> Path:
    return Path(given) if given else folder / DEFAULT_NAMES[kind]


def _usage_error(message: str) -> int:
    print(f"mailharness report: error: {message}", file=sys.stderr)
    return 2
