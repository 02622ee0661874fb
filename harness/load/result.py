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
    # False: the profile turned delivery checks off (a sink that keeps nothing):
    # nothing was looked for, so nothing counts as lost and the integrity gates are off
    checked: bool = True


@dataclass
class SloVerdict:
    gate: str  # "SMTP DATA end p95", "error_rate", "lost", "delivery p95"
    limit: float
    actual: float | None  # None: no samples to judge (the gate fails)
    unit: str  # ms | s | ratio | count
    passed: bool


@dataclass
class CapacityStep:
    """One rate tried by a capacity search (``harness.load.capacity``)."""

    rate: float  # the open-loop arrival rate offered, messages/s
    passed: bool  # complete and every SLO gate held
    complete: bool
    messages_per_s: float  # what the server acknowledged
    late_starts: int  # arrivals the generator started behind schedule
    generator_bound: bool  # so many late starts that the generator, not the server, set the pace
    error_rate: float
    failed_gates: list[str]
    out_dir: str  # the step's own run folder, relative to the search's


@dataclass
class Capacity:
    """A capacity search: open-loop rates stepped up until an SLO broke."""

    start: float
    step: float
    max: float
    step_duration_s: float
    steps: list[CapacityStep]
    highest_passing_rate: float | None  # None: not even the first rate held
    stopped_by: str  # slo | max | generator | incomplete

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Capacity:
        values = _known(cls, data)
        values["steps"] = [CapacityStep(**_known(CapacityStep, s)) for s in data["steps"]]
        return cls(**values)


@dataclass
class CaptureSummary:
    """The run's packet capture and how much of what the load clients moved it holds.

    ``expected_octets`` is what the load clients counted on their sockets
    (both directions, every connection they opened and closed); each such
    connection is found in the pcap by its ports and start time and rebuilt
    by sequence number. A direction's missing octets are the larger of its
    holes (sequence ranges never captured) and its shortfall (octets the
    client counted minus octets captured); over TLS the client counts
    plaintext and the capture holds records, so there only holes show loss.
    """

    mode: str  # --capture: auto | tcpdump | off
    backend: str | None  # None: no capture (reason says why)
    reason: str
    pcap: str | None = None  # relative to the run folder
    keylog: str | None = None
    packets: int | None = None  # written by the backend
    kernel_drops: int | None = None  # tcpdump's "dropped by kernel"
    connections: int = 0  # recorded by the load clients
    connections_found: int = 0  # of those, found in the pcap
    complete_connections: int = 0  # found with nothing missing
    expected_octets: int = 0
    captured_octets: int = 0  # of the recorded connections, rebuilt from the pcap
    missing_octets: int = 0
    pcap_octets: int = 0  # TCP payload of every connection in the pcap (sweep, others)

    @property
    def loss(self) -> float:
        return self.missing_octets / self.expected_octets if self.expected_octets else 0.0


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
    capacity: Capacity | None = None  # a capacity search: every step, the highest rate held
    capture: CaptureSummary | None = None  # --capture: the pcap and its measured loss

    def command(self, name: str) -> CommandStats | None:
        return next((stats for stats in self.commands if stats.name == name), None)

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        if self.capture is not None:
            data["capture"]["loss"] = round(self.capture.loss, 6)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LoadResult:
        if data.get("schema") != SCHEMA:
            raise ValueError(f"not a load result of schema {SCHEMA}: {data.get('schema')!r}")
        values = _known(cls, data)
        values["commands"] = [CommandStats(**_known(CommandStats, c)) for c in data["commands"]]
        values["timeline"] = [TimelinePoint(**_known(TimelinePoint, p)) for p in data["timeline"]]
        values["delivery"] = Delivery(**_known(Delivery, data["delivery"]))
        values["slo"] = [SloVerdict(**_known(SloVerdict, v)) for v in data["slo"]]
        if data.get("capacity") is not None:
            values["capacity"] = Capacity.from_json(data["capacity"])
        if data.get("capture") is not None:
            values["capture"] = CaptureSummary(**_known(CaptureSummary, data["capture"]))
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
