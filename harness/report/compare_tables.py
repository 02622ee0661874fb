"""A comparison as titled tables, the one shape the text, Markdown and HTML outputs render.

Each renderer turns ``Table`` into its own syntax, so the three always show
the same facts in the same order, and a new kind of difference is one more
function returning a ``Table`` (the load deltas: ``compare_load_tables``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from harness.report.compare import (
    CapabilityChange,
    CompareResult,
    ConformanceMatrix,
    DurationChange,
    DurationThreshold,
    FlipKind,
    PairComparison,
    VerdictFlip,
)
from harness.report.model import CaseResult, Verdict

Cell = str | Verdict | None  # a Verdict renders as a verdict; None as "absent"


@dataclass
class Table:
    title: str
    headers: tuple[str, ...]
    rows: list[tuple[Cell, ...]] = field(default_factory=list)
    note: str = ""
    tone: str = ""  # "regression", "fix" or "": how a renderer may emphasise the title


FLIP_TITLES = {
    FlipKind.REGRESSION: ("Regressions: passed before, failed or error now", "regression"),
    FlipKind.FIX: ("Fixes: failed or error before, passed now", "fix"),
    FlipKind.CHANGE: ("Other verdict changes", ""),
}


def pair_summary(pair: PairComparison) -> str:
    counts = [
        _count(len(pair.regressions), "regression"),
        _count(len(pair.fixes), "fix", "fixes"),
        _count(len(pair.of_kind(FlipKind.CHANGE)), "other verdict change"),
        _count(len(pair.added), "case added", "cases added"),
        _count(len(pair.removed), "case removed", "cases removed"),
        _count(len(pair.capabilities), "capability change"),
        _count(len(pair.durations), "duration change"),
    ]
    if pair.load is not None:
        counts.append(_count(len(pair.load.regressions), "load regression"))
    # Regressions are always counted, so "0 regressions" is said, not implied.
    shown = [counts[0], *(c for c in counts[1:] if not c.startswith("0 "))]
    return f"{pair.head} against {pair.base}: " + ", ".join(shown)


def _count(n: int, singular: str, plural: str | None = None) -> str:
    return f"{n} {singular if n == 1 else plural or singular + 's'}"


def outcome_line(result: CompareResult) -> str:
    head = result.head
    if result.status:
        reasons = []
        if head.regressions:
            cases = _count(len(head.regressions), "case")
            reasons.append(f"{cases} passed there and failed or errored here")
        if result.load_regressed and head.load is not None:
            reasons.append(_count(len(head.load.regressions), "load regression"))
        return f"exit 1: {head.head} regressed against {head.base}: " + "; ".join(reasons)
    return f"exit 0: {head.head} has no regression against {head.base}"


def pair_tables(pair: PairComparison, threshold: DurationThreshold | None = None) -> list[Table]:
    """The non-empty tables of one comparison, most important first."""
    builders: list[Callable[[], Table]] = [
        lambda: _flip_table(pair, FlipKind.REGRESSION),
        lambda: _flip_table(pair, FlipKind.FIX),
        lambda: _flip_table(pair, FlipKind.CHANGE),
        lambda: _case_table(f"Cases only in {pair.head} (added)", pair.added),
        lambda: _case_table(f"Cases only in {pair.base} (removed)", pair.removed),
        lambda: _capability_table(pair.capabilities),
        lambda: _duration_table(pair.durations, threshold or DurationThreshold()),
        lambda: _meta_table(pair),
    ]
    tables = [build() for build in builders]
    if pair.load is not None:
        # imported here: compare_load_tables builds on this module's Table
        from harness.report.compare_load_tables import load_tables

        tables[3:3] = load_tables(pair.load, pair.base, pair.head)  # after the verdict flips
    return [table for table in tables if table.rows]


def _flip_table(pair: PairComparison, kind: FlipKind) -> Table:
    title, tone = FLIP_TITLES[kind]
    rows: list[tuple[Cell, ...]] = [_flip_row(flip) for flip in pair.of_kind(kind)]
    return Table(title, ("case", "level", pair.base, pair.head, "title"), rows, tone=tone)


def _flip_row(flip: VerdictFlip) -> tuple[Cell, ...]:
    return (flip.case_id, flip.level, flip.before, flip.after, flip.title)


def _case_table(title: str, cases: list[CaseResult]) -> Table:
    rows: list[tuple[Cell, ...]] = [(c.id, c.level, c.verdict, c.title) for c in cases]
    return Table(title, ("case", "level", "verdict", "title"), rows)


def _capability_table(changes: list[CapabilityChange]) -> Table:
    rows: list[tuple[Cell, ...]] = [
        (c.service, c.stage.replace("_", " "), _capability_words(c)) for c in changes
    ]
    return Table("Capabilities that changed", ("service", "stage", "change"), rows)


def _capability_words(change: CapabilityChange) -> str:
    if change.before is None:
        return "stage reached now, not before: " + (" ".join(change.after or ()) or "(none)")
    if change.after is None:
        return "stage not reached any more"
    words = [f"+{c}" for c in change.added] + [f"-{c}" for c in change.removed]
    return " ".join(words)


def _duration_table(changes: list[DurationChange], threshold: DurationThreshold) -> Table:
    rows: list[tuple[Cell, ...]] = [
        (c.case_id, _ms(c.before_ms), _ms(c.after_ms), f"{c.percent:+.0f}%") for c in changes
    ]
    note = (
        f"Only changes over {threshold.ratio:g}x and over {threshold.min_ms:g} ms are listed;"
        " smaller ones are timing noise."
    )
    return Table("Duration changes", ("case", "before", "after", "change"), rows, note)


def _ms(value: float) -> str:
    return f"{value / 1000:.2f} s" if value >= 1000 else f"{value:.0f} ms"


def _meta_table(pair: PairComparison) -> Table:
    rows: list[tuple[Cell, ...]] = [(m.name, m.before, m.after) for m in pair.meta]
    return Table("Run metadata that differs", ("field", pair.base, pair.head), rows)


def matrix_tables(matrix: ConformanceMatrix, *, all_rows: bool = False) -> list[Table]:
    """Verdict totals per report, then the cases (by default those whose verdicts differ)."""
    totals: list[tuple[Cell, ...]] = [
        (label, *(str(matrix.count(i, v)) for v in Verdict), str(matrix.count(i, None)))
        for i, label in enumerate(matrix.labels)
    ]
    shown = matrix.rows if all_rows else matrix.differing
    agreeing = len(matrix.rows) - len(matrix.differing)
    note = f"{agreeing} of {len(matrix.rows)} cases have the same verdict in every report"
    note += "." if all_rows else "; only the others are listed."
    rows: list[tuple[Cell, ...]] = [(row.case_id, *row.verdicts) for row in shown]
    return [
        Table("Verdicts per report", ("report", *(v.value for v in Verdict), "absent"), totals),
        Table("Side by side", ("case", *matrix.labels), rows, note),
    ]
