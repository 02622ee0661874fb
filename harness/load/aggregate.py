"""Merging what every load process observed, and matching deliveries.

The master (or the single local process) keeps one ``Aggregator`` and merges
each snapshot a ``Recorder`` drained, in any order: histograms and counts
add up, and the delivery halves are matched as they meet. A delivery is a
(message id, recipient) pair; it is delivered when a reader or the final
sweep saw it in the recipient's mailbox, and its latency is the time from
the 250 to the first reader that saw it (the sweep's finds are counted as
delivered but give no latency: they were found after the load, not waited for).

A "copy" names one stored message in one mailbox ("imap:INBOX:<uidvalidity>:<uid>",
"pop3:<uidl>"): the same copy seen twice is one delivery read twice; two
copies of one delivery in the same namespace are a duplicate.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from hdrh.histogram import HdrHistogram

from harness.load import histograms
from harness.load.messages import run_of

SWEEP = "sweep"
Key = tuple[str, str]  # (message id, recipient)


@dataclass
class CommandTotals:
    protocol: str
    histogram: HdrHistogram = field(default_factory=histograms.command_histogram)
    requests: int = 0
    failures: int = 0
    octets: int = 0
    errors: Counter[str] = field(default_factory=Counter)


@dataclass
class SecondTotals:
    histogram: HdrHistogram = field(default_factory=histograms.timeline_histogram)
    requests: int = 0
    failures: int = 0
    acknowledged: int = 0
    delivered: int = 0


@dataclass
class Sighting:
    first: float  # when a reader (or the sweep) first saw it
    source: str  # imap | pop3 | sweep
    copies: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    intact: bool = True


class Aggregator:
    """The merged view of a run (see the module doc)."""

    def __init__(self, run_id: str) -> None:
        self.run_id = run_id
        self.commands: dict[str, CommandTotals] = {}
        self.seconds: dict[int, SecondTotals] = defaultdict(SecondTotals)
        self.acked: dict[Key, float] = {}
        self.sightings: dict[Key, Sighting] = {}
        self.delivery = histograms.delivery_histogram()
        self.messages = 0  # transactions begun (max_messages counts these)
        self.sent = 0
        self.refused = 0
        self.late_starts = 0
        self.snapshots = 0
        self.delivered_keys: set[Key] = set()
        self.connections: list[list[Any]] = []  # --capture runs: every process's ledger

    # -- merging -----------------------------------------------------------------

    def merge(self, snapshot: dict[str, Any]) -> None:
        self.snapshots += 1
        for name, data in snapshot["commands"].items():
            self._merge_command(name, data)
        for second, data in snapshot["seconds"].items():
            self._merge_second(int(second), data)
        self.messages += snapshot["messages"]
        self.sent += snapshot["sent"]
        self.refused += snapshot["refused"]
        self.late_starts += snapshot["late_starts"]
        self.connections.extend(snapshot.get("connections", ()))
        for message_id, recipient, at in snapshot["acks"]:
            self.acknowledge(message_id, recipient, at)
        for message_id, recipient, copy, at, intact, source in snapshot["seen"]:
            self.see(message_id, recipient, copy, at, intact, source)

    def _merge_command(self, name: str, data: dict[str, Any]) -> None:
        totals = self.commands.get(name)
        if totals is None:
            totals = self.commands[name] = CommandTotals(data["protocol"])
        totals.histogram.add(histograms.decode(data["histogram"]))
        totals.requests += data["requests"]
        totals.failures += data["failures"]
        totals.octets += data["octets"]
        totals.errors.update(data["errors"])

    def _merge_second(self, second: int, data: dict[str, Any]) -> None:
        totals = self.seconds[second]
        totals.histogram.add(histograms.decode(data["histogram"]))
        totals.requests += data["requests"]
        totals.failures += data["failures"]
        totals.acknowledged += data["acknowledged"]

    # -- delivery matching -------------------------------------------------------

    def acknowledge(self, message_id: str, recipient: str, at: float) -> None:
        key = (message_id, recipient)
        self.acked[key] = at
        if key in self.sightings:
            self._delivered(key)

    def see(
        self, message_id: str, recipient: str, copy: str, at: float, intact: bool, source: str
    ) -> None:
        if run_of(message_id) != self.run_id:
            return  # left behind by another run
        key = (message_id, recipient)
        sighting = self.sightings.get(key)
        if sighting is None:
            sighting = self.sightings[key] = Sighting(at, source)
        elif at < sighting.first and source != SWEEP:
            sighting.first, sighting.source = at, source
        namespace, _, _ = copy.rpartition(":")
        sighting.copies[namespace].add(copy)
        sighting.intact = sighting.intact and intact
        if key in self.acked:
            self._delivered(key)

    def _delivered(self, key: Key) -> None:
        if key in self.delivered_keys:
            return
        self.delivered_keys.add(key)
        sighting = self.sightings[key]
        self.seconds[int(sighting.first)].delivered += 1
        if sighting.source != SWEEP:
            latency_ms = (sighting.first - self.acked[key]) * 1000.0
            histograms.record(self.delivery, latency_ms)

    # -- what the run shows so far -----------------------------------------------

    @property
    def acknowledged(self) -> int:
        return len(self.acked)

    @property
    def outstanding(self) -> set[Key]:
        """Acknowledged deliveries nobody has seen yet."""
        return set(self.acked) - self.delivered_keys

    def duplicated(self) -> list[Key]:
        return [
            key
            for key, sighting in self.sightings.items()
            if key in self.acked and any(len(copies) > 1 for copies in sighting.copies.values())
        ]

    def corrupted(self) -> list[Key]:
        return [key for key, s in self.sightings.items() if not s.intact]

    def unexpected(self) -> list[Key]:
        return [key for key in self.sightings if key not in self.acked]

    def found_by(self, source: str) -> int:
        return sum(1 for key in self.delivered_keys if self.sightings[key].source == source)

    def requests(self) -> tuple[int, int]:
        totals = self.commands.values()
        return sum(t.requests for t in totals), sum(t.failures for t in totals)

    def progress(self) -> dict[str, Any]:
        requests, failures = self.requests()
        return {
            "requests": requests,
            "failures": failures,
            "sent": self.sent,
            "acknowledged": self.acknowledged,
            "delivered": len(self.delivered_keys),
            "outstanding": len(self.outstanding),
        }
