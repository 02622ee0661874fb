"""The terminal summary: verdict counts per protocol, then what failed and why.

``summary_renderable`` gives a rich renderable for a Console the CLI owns;
``render_terminal`` renders it to text (tests, logs, ``--no-color`` output).
"""

from __future__ import annotations

import io

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from harness.report.model import Report, Verdict
from harness.report.policy import NOT_PASSING, ExitDecision
from harness.report.text import visible

VERDICT_STYLE = {
    Verdict.PASSED: "green",
    Verdict.FAILED: "bold red",
    Verdict.SKIPPED: "yellow",
    Verdict.ERROR: "bold magenta",
}
REASON_WIDTH = 80


def summary_renderable(
    report: Report, decision: ExitDecision | None = None, *, max_failures: int = 30
) -> RenderableType:
    parts: list[RenderableType] = [_headline(report), _counts_table(report)]
    failures = [case for case in report.cases if case.verdict in NOT_PASSING]
    if failures:
        parts.append(_failures_table(report, max_failures))
    if decision is not None:
        parts.append(
            Text(decision.explain(), style="bold red" if decision.status else "bold green")
        )
    return Group(*parts)


def render_terminal(
    report: Report,
    decision: ExitDecision | None = None,
    *,
    width: int = 100,
    color: bool = False,
) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, color_system="standard" if color else None)
    console.print(summary_renderable(report, decision))
    return buffer.getvalue()


def _headline(report: Report) -> Text:
    meta = report.meta
    target = f"{meta.target.name} ({meta.target.host})"
    counts = report.summary.by_verdict
    text = Text(f"mailharness {meta.tool_version} against {target} in {meta.duration_s:.1f}s: ")
    for verdict in Verdict:
        text.append(f"{counts[verdict.value]} {verdict.value}", style=VERDICT_STYLE[verdict])
        text.append("  ")
    return text


def _counts_table(report: Report) -> Table:
    table = Table(title=None, show_edge=False)
    table.add_column("protocol")
    for verdict in Verdict:
        table.add_column(verdict.value, justify="right", style=VERDICT_STYLE[verdict])
    table.add_column("total", justify="right")
    for protocol, counts in report.summary.by_protocol.items():
        row = [str(counts[verdict.value]) for verdict in Verdict]
        table.add_row(protocol, *row, str(sum(counts.values())))
    return table


def _failures_table(report: Report, limit: int) -> Table:
    table = Table(show_edge=False, title="failed and errored cases")
    for column in ("verdict", "level", "case", "reference", "reason"):
        table.add_column(column, overflow="fold")
    failures = [case for case in report.cases if case.verdict in NOT_PASSING]
    for case in failures[:limit]:
        reason = visible(case.reason)
        if len(reason) > REASON_WIDTH:
            reason = reason[:REASON_WIDTH] + "…"
        table.add_row(
            Text(case.verdict.value, style=VERDICT_STYLE[case.verdict]),
            case.level,
            case.id,
            case.rfc,
            reason,
        )
    if len(failures) > limit:
        table.add_row("", "", f"… and {len(failures) - limit} more", "", "")
    return table
