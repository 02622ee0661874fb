"""The result of a load run: the ``load`` section of report.json (schema below).

Plain dataclasses with ``to_json``/``from_json``; docs/load.md and the load
section of reports/README.md describe every field. Times are seconds and
milliseconds as the field names say; percentiles are read off the HDR
histograms, which travel with the result (base64, HdrHistogram interchange
format: command latency in µs, delivery latency in ms), so a later reader
can merge runs or ask for another percentile.

Delivery counts are per message and recipient: a message accepted for two
recipients is expected twice. ``lost`` = acknowledged - delivered once the
grace period is over; ``duplicated`` counts deliveries that arrived more
than once in one mailbox; ``corrupted`` those whose X-Mailharness-Hash did
not match.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SCHEMA = "mailharness-load/1"


@dataclass
class CommandStats:
    name: str  # "SMTP DATA end"
    protocol: str  # SMTP | IMAP | POP3
    requests: int
    failures: int
    octets: int  # message octets moved by the command (DATA end, RETR, FETCH, APPEND)
    p50_ms: float | None
    p90_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    max_ms: float | None
    errors: dict[str, int]  # reply code ("550 5.1.1", "NO", "-ERR [IN-USE]", "timeout") -> count
    histogram: str  # HDR, microseconds


@dataclass
class TimelinePoint:
    t: int  # whole seconds since the run started
    requests: int
    failures: int
    acknowledged: int  # messages the server answered 250 to in that second
    delivered: int  # deliveries first seen by a reader in that second
    p95_ms: float | None  # over every command completed in that second


@dataclass
class Delivery:
    sent: int  # messages whose text was sent (per recipient)
    acknowledged: int  # ... and answered 250 at the end of DATA
    refused: int  # sent, but refused or cut off (no 250)
    delivered: int  # acknowledged and seen in the recipient's mailbox
    seen_by_readers: int  # of delivered: seen by an IMAP IDLE / POP3 poll during the load
    found_after_load: int  # of delivered: found by the final sweep
    lost: int  # acknowledged, never seen within the grace period
    duplicated: int  # deliveries seen as more than one message in a mailbox
    corrupted: int  # deliveries whose hash did not verify
    unexpected: int  # this run's messages seen that were never acknowledged
    latency_p50_s: float | None
    latency_p90_s: float | None
    latency_p95_s: float | None
    latency_p99_s: float | None
    latency_max_s: float | None
    latency_histogram: str  # HDR, milliseconds (250 -> first seen by a reader)
    grace_s: float
    settled: bool  # everything acknowledged was accounted for before the grace ran out
    lost_ids: list[str] = field(default_factory=list)  # the first few, for a person to look up
    duplicated_ids: list[str] = field(default_factory=list)
    corrupted_ids: list[str] = field(default_factory=list)


@dataclass
class SloVerdict:
    gate: str  # "SMTP DATA end p95", "error_rate", "lost", "delivery p95"
    limit: float
    actual: float | None  # None: no samples to judge (the gate fails)
    unit: str  # ms | s | ratio | count
    passed: bool


@dataclass
class LoadResult:
    schema: str
    run_id: str
    profile: str
    profile_path: str
    target: str
    started: str  # ISO 8601 with offset
    finished: str
    duration_s: float  # the load phase (stages), without the settle phase
    open_loop: bool
    processes: int  # load-generating processes (1, --processes N, or workers)
    requests_by_process: dict[str, int]  # locust client id ("local") -> requests: was load spread?
    peak_users: int
    requests: int
    failures: int
    error_rate: float  # failures / requests
    requests_per_s: float  # over duration_s
    messages_per_s: float  # acknowledged messages over duration_s
    late_starts: int  # open loop: arrivals that started behind schedule (generator saturated)
    complete: bool  # the stages ran to their end (or the message cap) and the settle phase ran
    passed: bool  # every SLO gate passed
    commands: list[CommandStats]
    timeline: list[TimelinePoint]
    delivery: Delivery
    slo: list[SloVerdict]
    warnings: list[str] = field(default_factory=list)

    def command(self, name: str) -> CommandStats | None:
        return next((stats for stats in self.commands if stats.name == name), None)

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LoadResult:
        if data.get("schema") != SCHEMA:
            raise ValueError(f"not a load result of schema {SCHEMA}: {data.get('schema')!r}")
        values = _known(cls, data)
        values["commands"] = [CommandStats(**_known(CommandStats, c)) for c in data["commands"]]
        values["timeline"] = [TimelinePoint(**_known(TimelinePoint, p)) for p in data["timeline"]]
        values["delivery"] = Delivery(**_known(Delivery, data["delivery"]))
        values["slo"] = [SloVerdict(**_known(SloVerdict, v)) for v in data["slo"]]
        return cls(**values)


def _known(cls: type, data: dict[str, Any]) -> dict[str, Any]:
    """The keys ``cls`` has: readers ignore fields a newer writer added."""
    names = {f.name for f in dataclasses.fields(cls)}
    return {key: value for key, value in data.items() if key in names}


def write_result(result: LoadResult, path: Path) -> None:
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(json.dumps(result.to_json(), indent=2) + "\n", encoding="utf-8")
    partial.replace(path)


def read_result(path: Path) -> LoadResult:
    return LoadResult.from_json(json.loads(path.read_text(encoding="utf-8")))
