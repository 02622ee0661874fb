"""The HTML page of a comparison: the same tables as the text output, with colour.

Verdict cells are badges, regressions are marked in red and fixes in green,
and with more than two reports the side-by-side matrix lists every case
(those that differ first, the agreeing ones folded below them).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.report.compare import CompareResult, ConformanceMatrix
from harness.report.compare_tables import (
    Cell,
    Table,
    matrix_tables,
    outcome_line,
    pair_summary,
    pair_tables,
)
from harness.report.compare_text import role
from harness.report.html.markup import badge, page, table, text
from harness.report.load_data import read_load
from harness.report.model import Verdict


def render_compare_html(result: CompareResult) -> str:
    head = result.head
    outcome = "failed" if result.status else "passed"
    header = (
        f"<h1>mailharness compare: {text(head.head)} against {text(head.base)}</h1>"
        f'<p class="outcome"><strong>{"REGRESSED" if result.status else "NO REGRESSION"}</strong>'
        f" {text(outcome_line(result))}</p>"
    )
    body = [_reports(result), _warnings(result.warnings), _summaries(result)]
    tables = pair_tables(head)
    body += [_table_section(t) for t in tables]
    if not tables:
        body.append(f"<p>{text(head.head)} and {text(head.base)} show no difference.</p>")
    if result.matrix is not None:
        body.append(_matrix_section(result.matrix))
    title = f"mailharness compare: {head.head} against {head.base}"
    return page(title, header, "\n".join(body), outcome=outcome)


def write_compare_html(result: CompareResult, path: Path | str) -> None:
    Path(path).write_text(render_compare_html(result), encoding="utf-8", errors="replace")


def _reports(result: CompareResult) -> str:
    rows = [
        [
            f"<th scope='row'>{text(role(i))}</th>",
            f"<td>{text(loaded.label)}</td>",
            f"<td><code>{text(loaded.source)}</code></td>",
            f"<td>{text(loaded.report.meta.started.isoformat(timespec='seconds'))}</td>",
            f"<td class='num'>{loaded.report.summary.total}</td>",
            f"<td>{text(_load_words(loaded.report.load))}</td>",
        ]
        for i, loaded in enumerate(result.reports)
    ]
    return (
        '<section aria-labelledby="reports"><h2 id="reports">Reports compared</h2>'
        f"{table(['role', 'report', 'source', 'started', 'cases', 'load'], rows)}</section>"
    )


def _load_words(load: dict[str, Any] | None) -> str:
    facts = read_load(load)
    if facts is None:
        return "–"
    return f"{facts.profile}: {facts.messages_per_s:.1f} messages/s"


def _warnings(warnings: list[str]) -> str:
    if not warnings:
        return ""
    items = "".join(f"<li>{text(w)}</li>" for w in warnings)
    return (
        '<section aria-labelledby="warnings"><h2 id="warnings">Warnings</h2>'
        f'<ul class="warnings" role="note">{items}</ul></section>'
    )


def _summaries(result: CompareResult) -> str:
    items = "".join(f"<li>{text(pair_summary(pair))}</li>" for pair in result.pairs)
    return f'<section aria-label="counts"><ul>{items}</ul></section>'


def _table_section(source: Table) -> str:
    tone = f' class="{source.tone}"' if source.tone else ""
    note = f'<p class="muted">{text(source.note)}</p>' if source.note else ""
    # Case ids are code: monospace tells them apart from titles at a glance.
    code_column = source.headers.index("case") if "case" in source.headers else -1
    rows = [
        [_code(value) if i == code_column else _cell(value) for i, value in enumerate(row)]
        for row in source.rows
    ]
    rendered = table(list(source.headers), rows) if rows else ""
    return f"<section><h2{tone}>{text(source.title)} ({len(rows)})</h2>{note}{rendered}</section>"


def _cell(value: Cell) -> str:
    if value is None or isinstance(value, Verdict):
        return f"<td>{badge(value)}</td>"
    return f"<td>{text(value)}</td>"


def _code(value: Cell) -> str:
    return f"<td><code>{text(value)}</code></td>" if isinstance(value, str) else _cell(value)


def _matrix_section(matrix: ConformanceMatrix) -> str:
    totals, differing = matrix_tables(matrix)
    agreeing = [row for row in matrix.rows if row.agrees]
    folded = ""
    if agreeing:
        rows = [[_code(row.case_id), *(_cell(v) for v in row.verdicts)] for row in agreeing]
        folded = (
            f"<details><summary>{len(agreeing)} cases with the same verdict everywhere</summary>"
            f"{table(['case', *matrix.labels], rows)}</details>"
        )
    return (
        '<section aria-labelledby="matrix"><h2 id="matrix">Conformance matrix</h2>'
        f"{_table_section(totals)}{_table_section(differing)}{folded}</section>"
    )
