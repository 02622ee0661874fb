"""A comparison as plain text (terminals, CI logs) and as Markdown (CI comments).

Both show, in order: the reports compared, every comparability warning, a
one-line count per comparison, the tables of BASE against HEAD, the matrix
when there are more than two reports, and the exit decision last.
"""

from __future__ import annotations

from harness.report.compare import CompareResult
from harness.report.compare_tables import (
    Cell,
    Table,
    matrix_tables,
    outcome_line,
    pair_summary,
    pair_tables,
)
from harness.report.markdown import cell as md_cell
from harness.report.model import Verdict
from harness.report.text import visible

ROLES = ("BASE", "HEAD")


def role(index: int) -> str:
    return ROLES[index] if index < len(ROLES) else f"#{index + 1}"


def render_compare_text(result: CompareResult) -> str:
    lines = ["mailharness compare"]
    width = max(len(loaded.label) for loaded in result.reports)
    for index, loaded in enumerate(result.reports):
        lines.append(f"  {role(index):<4}  {visible(loaded.label):<{width}}  {loaded.source}")
    lines.append("")
    lines += [f"warning: {visible(w)}" for w in result.warnings]
    lines += [pair_summary(pair) for pair in result.pairs]
    for table in pair_tables(result.head):
        lines += ["", *_text_table(table)]
    if result.matrix is not None:
        for table in matrix_tables(result.matrix):
            lines += ["", *_text_table(table)]
    lines += ["", outcome_line(result)]
    return "\n".join(lines) + "\n"


def _text_table(table: Table) -> list[str]:
    lines = [table.title.upper() if table.tone == "regression" else table.title]
    if table.note:
        lines.append(f"  ({table.note})")
    if not table.rows:
        return lines
    grid = [list(table.headers), *[[_plain(c) for c in row] for row in table.rows]]
    widths = [max(len(row[i]) for row in grid) for i in range(len(table.headers))]
    for row in grid:
        padded = [value.ljust(widths[i]) for i, value in enumerate(row[:-1])]
        lines.append(("  " + "  ".join([*padded, row[-1]])).rstrip())
    return lines


def _plain(value: Cell) -> str:
    if value is None:
        return "-"
    if isinstance(value, Verdict):
        return value.value.upper() if value in (Verdict.FAILED, Verdict.ERROR) else value.value
    return visible(" ".join(value.split()))


def render_compare_markdown(result: CompareResult) -> str:
    head = result.head
    word = "regressed" if result.status else "no regression"
    lines = [f"### mailharness compare: {md_cell(head.head)} against {md_cell(head.base)}"]
    lines[0] += f" — **{word}**"
    lines.append("")
    lines += [
        f"- {role(i)}: **{md_cell(r.label)}** (`{md_cell(r.source)}`)"
        for i, r in enumerate(result.reports)
    ]
    lines.append("")
    lines += [f"> **Warning:** {md_cell(w)}" for w in result.warnings]
    if result.warnings:
        lines.append("")
    lines += [f"{pair_summary(pair)}  " for pair in result.pairs]
    tables = pair_tables(head)
    if result.matrix is not None:
        tables += matrix_tables(result.matrix)
    for table in tables:
        lines += ["", *_markdown_table(table)]
    lines += ["", f"`{outcome_line(result)}`"]
    return "\n".join(lines) + "\n"


def _markdown_table(table: Table) -> list[str]:
    lines = [f"#### {md_cell(table.title)}"]
    if table.note:
        lines += ["", md_cell(table.note)]
    if not table.rows:
        return lines
    lines += ["", "| " + " | ".join(md_cell(h) for h in table.headers) + " |"]
    lines.append("|" + "---|" * len(table.headers))
    lines += ["| " + " | ".join(_markdown_cell(c) for c in row) + " |" for row in table.rows]
    return lines


def _markdown_cell(value: Cell) -> str:
    if value is None:
        return "—"
    if isinstance(value, Verdict):
        return f"**{value.value}**" if value in (Verdict.FAILED, Verdict.ERROR) else value.value
    return md_cell(value)
