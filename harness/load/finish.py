"""From the merged observations of a run to its ``LoadResult`` (SLO gates applied)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from harness.load import histograms
from harness.load.aggregate import SWEEP, Aggregator
from harness.load.profile import Profile
from harness.load.result import SCHEMA, CommandStats, Delivery, LoadResult, TimelinePoint
from harness.load.slo import evaluate

LISTED_IDS = 20  # lost/duplicated/corrupted ids written out, for a person to look up


@dataclass
class RunFacts:
    """What the engine knows about the run beyond the observations."""

    run_id: str
    profile: Profile
    profile_path: str
    target: str
    started: datetime
    finished: datetime
    load_seconds: float  # the load phase, without the settle phase
    started_epoch: float
    processes: int
    requests_by_process: dict[str, int]
    peak_users: int
    complete: bool
    settled: bool
    warnings: list[str] = field(default_factory=list)


def build_result(aggregator: Aggregator, facts: RunFacts) -> LoadResult:
    requests, failures = aggregator.requests()
    seconds = max(facts.load_seconds, 1e-9)
    result = LoadResult(
        schema=SCHEMA,
        run_id=facts.run_id,
        profile=facts.profile.name,
        profile_path=facts.profile_path,
        target=facts.target,
        started=facts.started.isoformat(),
        finished=facts.finished.isoformat(),
        duration_s=round(facts.load_seconds, 3),
        open_loop=facts.profile.open_loop,
        processes=facts.processes,
        requests_by_process=dict(facts.requests_by_process),
        peak_users=facts.peak_users,
        requests=requests,
        failures=failures,
        error_rate=round(failures / requests, 6) if requests else 0.0,
        requests_per_s=round(requests / seconds, 3),
        messages_per_s=round(_acknowledged_messages(aggregator) / seconds, 3),
        late_starts=aggregator.late_starts,
        complete=facts.complete,
        passed=False,
        commands=_commands(aggregator),
        timeline=_timeline(aggregator, facts.started_epoch),
        delivery=_delivery(aggregator, facts),
        slo=[],
        warnings=list(facts.warnings),
    )
    result.slo = evaluate(facts.profile.slo, result)
    result.passed = facts.complete and all(verdict.passed for verdict in result.slo)
    return result


def _acknowledged_messages(aggregator: Aggregator) -> int:
    return len({message_id for message_id, _ in aggregator.acked})


def _commands(aggregator: Aggregator) -> list[CommandStats]:
    stats = []
    for name in sorted(aggregator.commands, key=_command_order):
        totals = aggregator.commands[name]
        numbers = histograms.summary(totals.histogram, 1000.0)
        stats.append(
            CommandStats(
                name=name,
                protocol=totals.protocol,
                requests=totals.requests,
                failures=totals.failures,
                octets=totals.octets,
                p50_ms=numbers["p50"],
                p90_ms=numbers["p90"],
                p95_ms=numbers["p95"],
                p99_ms=numbers["p99"],
                max_ms=numbers["max"],
                errors=dict(totals.errors.most_common()),
                histogram=histograms.encode(totals.histogram),
            )
        )
    return stats


_PROTOCOL_ORDER = {"SMTP": 0, "IMAP": 1, "POP3": 2}
_COMMAND_ORDER = [
    "connect", "TLS", "greeting", "EHLO", "STARTTLS", "STLS", "AUTH", "LOGIN", "USER", "PASS",
    "MAIL", "RCPT", "DATA", "DATA end", "SELECT", "CREATE", "IDLE", "DONE", "FETCH headers",
    "FETCH body", "STORE", "MOVE", "COPY", "EXPUNGE", "APPEND", "STAT", "LIST", "UIDL", "RETR",
    "DELE", "RSET", "QUIT", "LOGOUT",
]  # fmt: skip


def _command_order(name: str) -> tuple[int, int, str]:
    protocol, _, command = name.partition(" ")
    position = _COMMAND_ORDER.index(command) if command in _COMMAND_ORDER else len(_COMMAND_ORDER)
    return _PROTOCOL_ORDER.get(protocol, 9), position, name


def _timeline(aggregator: Aggregator, started_epoch: float) -> list[TimelinePoint]:
    if not aggregator.seconds:
        return []
    first = min(int(started_epoch), min(aggregator.seconds))
    points = []
    for second in sorted(aggregator.seconds):
        totals = aggregator.seconds[second]
        p95 = histograms.percentile(totals.histogram, 95.0)
        points.append(
            TimelinePoint(
                t=second - first,
                requests=totals.requests,
                failures=totals.failures,
                acknowledged=totals.acknowledged,
                delivered=totals.delivered,
                p95_ms=None if p95 is None else round(p95 / 1000.0, 3),
            )
        )
    return points


def _delivery(aggregator: Aggregator, facts: RunFacts) -> Delivery:
    latency = histograms.summary(aggregator.delivery, 1000.0)
    checked = facts.profile.check_delivery
    lost = sorted(aggregator.outstanding) if checked else []
    duplicated = aggregator.duplicated()
    corrupted = aggregator.corrupted()
    delivered = len(aggregator.delivered_keys)
    swept = aggregator.found_by(SWEEP)
    return Delivery(
        sent=aggregator.sent,
        acknowledged=aggregator.acknowledged,
        refused=aggregator.refused,
        delivered=delivered,
        seen_by_readers=delivered - swept,
        found_after_load=swept,
        lost=len(lost),
        duplicated=len(duplicated),
        corrupted=len(corrupted),
        unexpected=len(aggregator.unexpected()),
        latency_p50_s=latency["p50"],
        latency_p90_s=latency["p90"],
        latency_p95_s=latency["p95"],
        latency_p99_s=latency["p99"],
        latency_max_s=latency["max"],
        latency_histogram=histograms.encode(aggregator.delivery),
        grace_s=facts.profile.grace,
        settled=facts.settled,
        lost_ids=[_label(key) for key in lost[:LISTED_IDS]],
        duplicated_ids=[_label(key) for key in sorted(duplicated)[:LISTED_IDS]],
        corrupted_ids=[_label(key) for key in sorted(corrupted)[:LISTED_IDS]],
        checked=checked,
    )


def _label(key: tuple[str, str]) -> str:
    return f"{key[0]} -> {key[1]}"
