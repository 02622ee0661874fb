"""The load deltas of a comparison as titled tables (rendered as text, Markdown and HTML).

Regressions first (in red when they gate the exit status), then throughput,
errors and delivery, latency per command, integrity, SLO gates that changed
verdict, and commands that ran in one run only.
"""

from __future__ import annotations

from harness.report.compare_load import (
    CommandDelta,
    LoadComparison,
    MetricDelta,
    format_quantity,
    ratio,
)
from harness.report.compare_tables import Cell, Table
from harness.report.model import Verdict

ROLES = ("BASE", "HEAD")  # column headers stay short; the note names the runs


def load_tables(comparison: LoadComparison, base: str, head: str) -> list[Table]:
    """Every load table, empty ones included (the caller drops those)."""
    return [
        _regressions(comparison, base, head),
        _metrics(comparison, base, head),
        _latency(comparison, base, head),
        _integrity(comparison, base, head),
        _slo(comparison, base, head),
        _one_sided(comparison, base, head),
    ]


def _regressions(comparison: LoadComparison, base: str, head: str) -> Table:
    threshold = comparison.threshold
    rows: list[tuple[Cell, ...]] = [
        (r.what, r.before, r.after, r.why) for r in comparison.regressions
    ]
    note = (
        f"These set the exit status (--load-threshold {threshold.ratio:g})."
        if threshold.gate
        else "Shown only: pass --load-threshold R to let them set the exit status."
    )
    note += " Integrity, completion and SLO gates count whatever the threshold."
    title = f"Load regressions: {head} against {base} past {threshold.ratio:g}x"
    tone = "regression" if threshold.gate else ""
    return Table(title, ("what", base, head, "why"), rows, note, tone)


def _metrics(comparison: LoadComparison, base: str, head: str) -> Table:
    rows: list[tuple[Cell, ...]] = [
        (
            m.name,
            format_quantity(m.before, m.unit),
            format_quantity(m.after, m.unit),
            _change(m),
        )
        for m in comparison.metrics
    ]
    return Table("Load: throughput, errors and delivery", ("metric", base, head, "change"), rows)


def _change(metric: MetricDelta) -> str:
    if metric.before is None or metric.after is None:
        return "–"
    if metric.unit == "ratio":
        return f"{(metric.after - metric.before) * 100:+.2f} points"
    factor = ratio(metric.before, metric.after)
    return "–" if factor is None else f"{factor:.2f}x"


def _latency(comparison: LoadComparison, base: str, head: str) -> Table:
    headers = ("command", *(f"{p} {run}" for p in ("p50", "p95", "p99") for run in ROLES))
    headers += ("p95 change",)
    rows: list[tuple[Cell, ...]] = [_latency_row(delta) for delta in comparison.commands]
    note = (
        f"Milliseconds from each run's HDR histograms (BASE {base}, HEAD {head}); change ="
        " HEAD / BASE. A p95 counts as a regression with 20 requests or more in both runs,"
        " a p99 with 100."
    )
    return Table("Load: latency per command (ms)", headers, rows, note)


def _latency_row(delta: CommandDelta) -> tuple[Cell, ...]:
    cells: list[Cell] = [delta.name]
    for point in ("p50", "p95", "p99"):
        cells += [_ms(delta.before[point]), _ms(delta.after[point])]
    factor = delta.ratio("p95")
    cells.append("–" if factor is None else f"{factor:.2f}x")
    return tuple(cells)


def _ms(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.1f}" if value >= 10 else f"{value:.2f}"


def _integrity(comparison: LoadComparison, base: str, head: str) -> Table:
    rows: list[tuple[Cell, ...]] = [
        (name, str(old), str(new), _count_change(name, old, new))
        for name, old, new in comparison.integrity
    ]
    note = "Per message and recipient; lost, duplicated and corrupted must stay at 0."
    return Table("Load: integrity", ("count", base, head, "change"), rows, note)


def _count_change(name: str, old: int, new: int) -> str:
    if old == new:
        return ""
    words = f"{new - old:+d}"
    return (
        f"{words} (WORSE)" if name in ("lost", "duplicated", "corrupted") and new > old else words
    )


def _slo(comparison: LoadComparison, base: str, head: str) -> Table:
    rows: list[tuple[Cell, ...]] = [
        (gate, _verdict(was), _verdict(now)) for gate, was, now in comparison.slo_changes
    ]
    return Table("Load: SLO gates whose verdict changed", ("gate", base, head), rows)


def _verdict(passed: bool | None) -> Verdict | None:
    if passed is None:
        return None
    return Verdict.PASSED if passed else Verdict.FAILED


def _one_sided(comparison: LoadComparison, base: str, head: str) -> Table:
    rows: list[tuple[Cell, ...]] = [(name, f"only in {base}") for name in comparison.only_base]
    rows += [(name, f"only in {head}") for name in comparison.only_head]
    return Table("Load: commands that ran in one run only", ("command", "where"), rows)
