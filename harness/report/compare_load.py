"""Load deltas between two runs: latency percentiles, throughput, errors, delivery, integrity.

Computed from the reports' ``load`` sections when both have one. Latency
and delivery change by ratio (head / base: 1.30 is 30% slower), throughput
by ratio the other way (0.77 is 23% fewer messages per second), the error
rate by difference. What passes the threshold (1.2 by default) is listed as
a load regression; it sets the exit status only when ``compare`` is asked
to gate on load (``--load-threshold R``), because timings on a shared
machine move by themselves. Integrity never has that excuse: a message lost,
duplicated or corrupted where the base had none is always listed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from harness.report.load_data import INTEGRITY, LoadFacts

DEFAULT_RATIO = 1.2
GATED_POINTS = ("p95", "p99")  # p50 is shown, but a median rarely decides anything
# A percentile needs samples behind it: the p99 of 30 requests is just the slowest one.
MIN_SAMPLES = {"p95": 20, "p99": 100}
SHOWN_POINTS = ("p50", "p95", "p99")


@dataclass(frozen=True)
class LoadThreshold:
    """What counts as a load regression (and whether it fails the comparison)."""

    ratio: float = DEFAULT_RATIO
    gate: bool = False  # --load-threshold given: regressions set the exit status
    min_ms: float = 1.0  # latency differences below this are timer noise, whatever the ratio
    min_error_rate: float = 0.001  # error rate rises below 0.1 point are noise

    def slower(self, before: float | None, after: float | None, floor: float) -> bool:
        if before is None or after is None:
            return False
        return after - before > floor and after > before * self.ratio

    def fewer(self, before: float, after: float) -> bool:
        return before > 0 and after * self.ratio < before


@dataclass(frozen=True)
class CommandDelta:
    name: str
    before: dict[str, float | None]  # p50 p95 p99, ms
    after: dict[str, float | None]
    requests: tuple[int, int] = (0, 0)  # base, head

    def judged(self, point: str) -> bool:
        """Enough requests in both runs for ``point`` to mean something."""
        return min(self.requests) >= MIN_SAMPLES.get(point, 1)

    def ratio(self, point: str) -> float | None:
        return ratio(self.before.get(point), self.after.get(point))


@dataclass(frozen=True)
class MetricDelta:
    name: str  # "messages/s", "error rate", "delivery p95"
    before: float | None
    after: float | None
    unit: str  # "/s", "ratio", "s"


@dataclass(frozen=True)
class LoadRegression:
    what: str
    before: str
    after: str
    why: str


@dataclass
class LoadComparison:
    base_profile: str
    head_profile: str
    threshold: LoadThreshold
    metrics: list[MetricDelta] = field(default_factory=list)
    commands: list[CommandDelta] = field(default_factory=list)
    only_base: list[str] = field(default_factory=list)  # commands that ran in one run only
    only_head: list[str] = field(default_factory=list)
    integrity: list[tuple[str, int, int]] = field(default_factory=list)
    slo_changes: list[tuple[str, bool | None, bool | None]] = field(default_factory=list)
    regressions: list[LoadRegression] = field(default_factory=list)

    @property
    def gating_regressions(self) -> list[LoadRegression]:
        return self.regressions if self.threshold.gate else []


def ratio(before: float | None, after: float | None) -> float | None:
    if before is None or after is None or before <= 0:
        return None
    return after / before


def compare_load(base: LoadFacts, head: LoadFacts, threshold: LoadThreshold) -> LoadComparison:
    before = {row.name: row for row in base.commands}
    after = {row.name: row for row in head.commands}
    comparison = LoadComparison(
        base.profile,
        head.profile,
        threshold,
        metrics=_metrics(base, head),
        commands=[
            CommandDelta(
                name,
                {p: before[name].ms[p] for p in SHOWN_POINTS},
                {p: after[name].ms[p] for p in SHOWN_POINTS},
                (before[name].requests, after[name].requests),
            )
            for name in after
            if name in before
        ],
        only_base=[name for name in before if name not in after],
        only_head=[name for name in after if name not in before],
        integrity=[(name, base.integrity(name), head.integrity(name)) for name in INTEGRITY],
        slo_changes=_slo_changes(base, head),
    )
    comparison.regressions = list(_regressions(comparison, base, head))
    return comparison


def _metrics(base: LoadFacts, head: LoadFacts) -> list[MetricDelta]:
    return [
        MetricDelta("messages/s", base.messages_per_s, head.messages_per_s, "/s"),
        MetricDelta("requests/s", base.requests_per_s, head.requests_per_s, "/s"),
        MetricDelta("error rate", base.error_rate, head.error_rate, "ratio"),
        MetricDelta(
            "delivery p50", base.delivery_latency("p50"), head.delivery_latency("p50"), "s"
        ),
        MetricDelta(
            "delivery p95", base.delivery_latency("p95"), head.delivery_latency("p95"), "s"
        ),
        MetricDelta("peak users", base.peak_users, head.peak_users, ""),
        MetricDelta("load phase", base.duration_s, head.duration_s, "s"),
    ]


def _slo_changes(base: LoadFacts, head: LoadFacts) -> list[tuple[str, bool | None, bool | None]]:
    old = {str(g.get("gate")): bool(g.get("passed")) for g in base.slo}
    new = {str(g.get("gate")): bool(g.get("passed")) for g in head.slo}
    return [
        (gate, old.get(gate), new.get(gate))
        for gate in dict.fromkeys([*old, *new])
        if old.get(gate) != new.get(gate)
    ]


def _regressions(
    comparison: LoadComparison, base: LoadFacts, head: LoadFacts
) -> Iterator[LoadRegression]:
    threshold = comparison.threshold
    times = f"{threshold.ratio:g}x"
    yield from _integrity_regressions(comparison)
    if base.complete and not head.complete:
        yield LoadRegression("run", "complete", "incomplete", "the run did not finish")
    for gate, was, now in comparison.slo_changes:
        if was and now is False:
            yield LoadRegression(f"SLO {gate}", "passed", "failed", "the gate broke")
    for delta in comparison.commands:
        for point in GATED_POINTS:
            old, new = delta.before[point], delta.after[point]
            if delta.judged(point) and threshold.slower(old, new, threshold.min_ms):
                yield _slower(f"{delta.name} {point}", old, new, "ms", times)
    yield from _metric_regressions(comparison.metrics, threshold, times)


def _integrity_regressions(comparison: LoadComparison) -> Iterator[LoadRegression]:
    for name, old, new in comparison.integrity:
        if name in ("lost", "duplicated", "corrupted") and new > old:
            yield LoadRegression(name, str(old), str(new), f"{new - old} more {name} messages")


def _metric_regressions(
    metrics: list[MetricDelta], threshold: LoadThreshold, times: str
) -> Iterator[LoadRegression]:
    checks: dict[str, Callable[[float, float], bool]] = {
        "messages/s": threshold.fewer,
        "delivery p95": lambda old, new: threshold.slower(old, new, threshold.min_ms / 1000),
        "error rate": lambda old, new: (
            new - old > threshold.min_error_rate and new > old * threshold.ratio
        ),
    }
    for metric in metrics:
        check = checks.get(metric.name)
        if check is None or metric.before is None or metric.after is None:
            continue
        if check(metric.before, metric.after):
            yield _metric_regression(metric, times)


def _metric_regression(metric: MetricDelta, times: str) -> LoadRegression:
    assert metric.before is not None and metric.after is not None
    if metric.name == "messages/s":
        return LoadRegression(
            metric.name,
            format_quantity(metric.before, metric.unit),
            format_quantity(metric.after, metric.unit),
            f"throughput fell below 1/{times} of the base",
        )
    if metric.name == "error rate":
        return LoadRegression(
            metric.name,
            format_quantity(metric.before, metric.unit),
            format_quantity(metric.after, metric.unit),
            f"more than {times} the base's error rate",
        )
    return _slower(metric.name, metric.before, metric.after, metric.unit, times)


def _slower(
    what: str, before: float | None, after: float | None, unit: str, times: str
) -> LoadRegression:
    assert before is not None and after is not None
    return LoadRegression(
        what,
        format_quantity(before, unit),
        format_quantity(after, unit),
        f"{after / before:.2f}x slower (threshold {times})",
    )


def format_quantity(value: float | None, unit: str) -> str:
    if value is None:
        return "–"
    if unit == "ratio":
        return f"{value:.2%}"
    if unit == "ms":
        return f"{value:.1f} ms" if value >= 10 else f"{value:.2f} ms"
    if unit == "s":
        return f"{value:.2f} s"
    if unit == "/s":
        return f"{value:.1f}/s"
    return f"{value:g}"


def load_comparability(
    base_label: str, old: LoadFacts | None, head_label: str, new: LoadFacts | None
) -> list[str]:
    """A load run against a conformance run, or load runs that are not like for like."""
    if old is None and new is None:
        return []
    if old is None or new is None:
        loaded, other = (head_label, base_label) if old is None else (base_label, head_label)
        return [
            f"{loaded} is a load run and {other} is not (it has no load section):"
            " there are no load deltas to show, and their conformance cases are not like for like"
        ]
    names = f"{base_label} and {head_label}"
    warnings = []
    if old.profile != new.profile:
        warnings.append(
            f"{names} ran different load profiles ({old.profile} and {new.profile}):"
            " the load deltas compare different workloads"
        )
    if (old.processes, old.open_loop) != (new.processes, new.open_loop):
        warnings.append(
            f"{names} made their load differently ({_how(old.processes, old.open_loop)} and"
            f" {_how(new.processes, new.open_loop)})"
        )
    return warnings


def _how(processes: int, open_loop: bool) -> str:
    return f"{processes} process(es), {'open' if open_loop else 'closed'} loop"
