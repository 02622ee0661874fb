"""The ``load`` section of a report, read for rendering and comparing.

A report keeps its load section as the JSON the load run wrote (schema
``mailharness-load/1``, docs/load.md); the report package never imports the
load package (it knows no locust, gevent or sockets), so this module reads
that JSON into small typed records. Reading is lenient, like every reader of
a report: a missing number is None, unknown keys are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

LOAD_SCHEMA = "mailharness-load/1"
PERCENTILES = ("p50", "p90", "p95", "p99", "max")
INTEGRITY = ("sent", "acknowledged", "delivered", "lost", "duplicated", "corrupted")


@dataclass(frozen=True)
class CommandRow:
    name: str
    protocol: str
    requests: int
    failures: int
    ms: dict[str, float | None]  # p50 p90 p95 p99 max
    errors: dict[str, int]


@dataclass(frozen=True)
class LoadFacts:
    profile: str
    target: str
    duration_s: float
    open_loop: bool
    processes: int
    peak_users: int
    requests: int
    failures: int
    error_rate: float
    requests_per_s: float
    messages_per_s: float
    late_starts: int
    complete: bool
    passed: bool
    commands: list[CommandRow]
    timeline: list[dict[str, Any]]
    delivery: dict[str, Any]
    slo: list[dict[str, Any]]
    warnings: list[str] = field(default_factory=list)
    capacity: dict[str, Any] | None = None
    capture: dict[str, Any] | None = None

    def command(self, name: str) -> CommandRow | None:
        return next((row for row in self.commands if row.name == name), None)

    def integrity(self, name: str) -> int:
        return int(self.delivery.get(name) or 0)

    @property
    def delivery_checked(self) -> bool:
        return bool(self.delivery.get("checked", True))

    def delivery_latency(self, point: str) -> float | None:
        """Seconds at ``point`` ("p95", "max") from 250 to seen by a reader."""
        return number(self.delivery.get(f"latency_{point}_s"))


def read_load(data: dict[str, Any] | None) -> LoadFacts | None:
    """The facts of a report's load section, or None when there is none."""
    if not data:
        return None
    return LoadFacts(
        profile=str(data.get("profile", "?")),
        target=str(data.get("target", "?")),
        duration_s=number(data.get("duration_s")) or 0.0,
        open_loop=bool(data.get("open_loop")),
        processes=int(data.get("processes") or 1),
        peak_users=int(data.get("peak_users") or 0),
        requests=int(data.get("requests") or 0),
        failures=int(data.get("failures") or 0),
        error_rate=number(data.get("error_rate")) or 0.0,
        requests_per_s=number(data.get("requests_per_s")) or 0.0,
        messages_per_s=number(data.get("messages_per_s")) or 0.0,
        late_starts=int(data.get("late_starts") or 0),
        complete=bool(data.get("complete")),
        passed=bool(data.get("passed")),
        commands=[_command(c) for c in data.get("commands") or [] if isinstance(c, dict)],
        timeline=[p for p in data.get("timeline") or [] if isinstance(p, dict)],
        delivery=dict(data.get("delivery") or {}),
        slo=[v for v in data.get("slo") or [] if isinstance(v, dict)],
        warnings=[str(w) for w in data.get("warnings") or []],
        capacity=data.get("capacity") if isinstance(data.get("capacity"), dict) else None,
        capture=data.get("capture") if isinstance(data.get("capture"), dict) else None,
    )


def _command(data: dict[str, Any]) -> CommandRow:
    return CommandRow(
        name=str(data.get("name", "?")),
        protocol=str(data.get("protocol", "")),
        requests=int(data.get("requests") or 0),
        failures=int(data.get("failures") or 0),
        ms={point: number(data.get(f"{point}_ms")) for point in PERCENTILES},
        errors={str(code): int(count) for code, count in (data.get("errors") or {}).items()},
    )


def number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)
