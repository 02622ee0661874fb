"""SLO gates: limits a run must stay within; any failed gate fails the run.

In a profile:

    [slo]
    error_rate = 0.01          # failed requests / requests
    lost = 0                   # acknowledged messages never delivered
    duplicated = 0
    corrupted = 0
    delivery_p95 = "5s"        # delivery latency (250 -> seen by the reader)
    [slo.latency]
    "SMTP DATA end p95" = "500ms"
    "* p99" = "2s"             # every command that ran

``lost``, ``duplicated`` and ``corrupted`` default to 0: leave them out and
they still gate. A gate on a named command that never ran fails: there is
nothing to show that it held.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from harness.load import histograms
from harness.load.result import LoadResult, SloVerdict
from harness.load.units import parse_duration
from harness.tomlkeys import TableReader

_LATENCY_KEY = re.compile(r"(.+?)\s+p([0-9]+(?:\.[0-9]+)?)")
_DELIVERY_KEY = re.compile(r"delivery_p([0-9]+(?:\.[0-9]+)?)")
_COUNTS = ("lost", "duplicated", "corrupted")


@dataclass(frozen=True)
class LatencyGate:
    command: str  # a request name, or "*" for each command
    percentile: float
    max_ms: float


@dataclass(frozen=True)
class SloSpec:
    latency: tuple[LatencyGate, ...] = ()
    error_rate: float | None = None
    counts: tuple[tuple[str, int], ...] = ()  # ("lost", 0)...
    delivery: tuple[tuple[float, float], ...] = ()  # (percentile, max seconds)

    @property
    def empty(self) -> bool:
        return not (self.latency or self.counts or self.delivery) and self.error_rate is None


def parse_slo(table: TableReader) -> SloSpec:
    delivery = []
    for key in table.table:
        if key in ("latency", "error_rate", *_COUNTS):
            continue
        match = _DELIVERY_KEY.fullmatch(key)
        if match is None:
            raise table.fail(
                key,
                "unknown gate (error_rate, lost, duplicated, corrupted, delivery_pNN, [slo.latency])",
            )
        delivery.append((float(match[1]), _seconds(table, key)))
    # integrity is gated unless a profile says otherwise: a load run must show
    # that the server stayed correct, not only that it was fast
    counts = tuple((name, table.integer(name, 0)) for name in _COUNTS)
    error_rate = table.number("error_rate") if table.has("error_rate") else None
    return SloSpec(_latency_gates(table.table_at("latency")), error_rate, counts, tuple(delivery))


def _seconds(table: TableReader, key: str) -> float:
    try:
        return parse_duration(table.table[key])
    except ValueError as exc:
        raise table.fail(key, str(exc)) from None


def _latency_gates(table: TableReader) -> tuple[LatencyGate, ...]:
    gates = []
    for key in table.table:
        match = _LATENCY_KEY.fullmatch(key)
        if match is None or not 0 < float(match[2]) <= 100:
            raise table.fail(key, 'expected "COMMAND pNN" (e.g. "SMTP DATA end p95", "* p99")')
        gates.append(LatencyGate(match[1], float(match[2]), _seconds(table, key) * 1000.0))
    return tuple(gates)


def evaluate(spec: SloSpec, result: LoadResult) -> list[SloVerdict]:
    verdicts = [_latency(gate, result) for gate in spec.latency]
    if spec.error_rate is not None:
        actual = result.error_rate if result.requests else None
        verdicts.append(_verdict("error_rate", spec.error_rate, actual, "ratio"))
    # a run that looked for no deliveries (check_delivery = false) has no integrity to judge
    counts = spec.counts if result.delivery.checked else ()
    for name, limit in counts:
        verdicts.append(_verdict(name, limit, float(getattr(result.delivery, name)), "count"))
    for point, limit_s in spec.delivery:
        verdicts.append(_delivery(point, limit_s, result))
    return verdicts


def _latency(gate: LatencyGate, result: LoadResult) -> SloVerdict:
    """One command's percentile; for "*", the worst command's (named in the gate)."""
    names = [c.name for c in result.commands] if gate.command == "*" else [gate.command]
    measured = [(_percentile_ms(result, name, gate.percentile), name) for name in names]
    known = [(value, name) for value, name in measured if value is not None]
    label = f"{gate.command} p{gate.percentile:g}"
    if gate.command != "*":
        return _verdict(label, gate.max_ms, measured[0][0], "ms")
    if not known:
        return _verdict(label, gate.max_ms, None, "ms")
    worst, name = max(known)
    return _verdict(f"{label} (worst: {name})", gate.max_ms, worst, "ms")


def _percentile_ms(result: LoadResult, name: str, point: float) -> float | None:
    stats = result.command(name)
    if stats is None:
        return None
    value = histograms.percentile(histograms.decode(stats.histogram), point)
    return None if value is None else value / 1000.0


def _delivery(point: float, limit_s: float, result: LoadResult) -> SloVerdict:
    value = histograms.percentile(histograms.decode(result.delivery.latency_histogram), point)
    actual = None if value is None else value / 1000.0
    return _verdict(f"delivery p{point:g}", limit_s, actual, "s")


def _verdict(gate: str, limit: float, actual: float | None, unit: str) -> SloVerdict:
    passed = actual is not None and actual <= limit
    return SloVerdict(gate, float(limit), actual, unit, passed)
