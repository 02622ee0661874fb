"""What one load process observed, until the next ``drain``.

Every process that runs users keeps one ``Recorder``: per-command HDR
histograms with request, failure and octet counts and errors by reply code
(fed from locust's request event), per-second buckets, and the two halves of
delivery tracking: each acknowledged message (id, recipient, time of the 250)
and each message a reader saw (id, recipient, which copy, time, hash intact).

``drain`` hands everything over as a JSON-able snapshot and starts afresh, so
a snapshot is sent exactly once whichever way it travels (locust's periodic
worker report, or the final flush); ``harness.load.aggregate`` merges them.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from hdrh.histogram import HdrHistogram

from harness.load import histograms


@dataclass
class CommandTally:
    protocol: str
    histogram: HdrHistogram = field(default_factory=histograms.command_histogram)
    requests: int = 0
    failures: int = 0
    octets: int = 0
    errors: Counter[str] = field(default_factory=Counter)

    def snapshot(self) -> dict[str, Any]:
        return {
            "protocol": self.protocol,
            "requests": self.requests,
            "failures": self.failures,
            "octets": self.octets,
            "errors": dict(self.errors),
            "histogram": histograms.encode(self.histogram),
        }


@dataclass
class SecondTally:
    histogram: HdrHistogram = field(default_factory=histograms.timeline_histogram)
    requests: int = 0
    failures: int = 0
    acknowledged: int = 0

    def snapshot(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "failures": self.failures,
            "acknowledged": self.acknowledged,
            "histogram": histograms.encode(self.histogram),
        }


class Recorder:
    """One process's observations since the last drain (see the module doc)."""

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self.commands: dict[str, CommandTally] = {}
        self.seconds: dict[int, SecondTally] = {}
        self.acks: list[list[Any]] = []  # [id, recipient, time]
        self.seen: list[list[Any]] = []  # [id, recipient, mailbox copy, time, intact, source]
        self.messages = 0  # transactions begun, whatever the recipients
        self.sent = 0
        self.refused = 0
        self.late_starts = 0
        self.connections: list[list[Any]] = []  # [client port, server port, opened, out, in]

    def on_request(
        self,
        request_type: str,
        name: str,
        response_time: float,
        response_length: int,
        exception: BaseException | None = None,
        **_: Any,
    ) -> None:
        """locust's request event: ``response_time`` in ms, failures carry the code."""
        tally = self.commands.get(name)
        if tally is None:
            tally = self.commands[name] = CommandTally(request_type)
        micros = response_time * 1000.0
        histograms.record(tally.histogram, micros)
        tally.requests += 1
        tally.octets += response_length or 0
        second = self._second(time.time())
        second.requests += 1
        histograms.record(second.histogram, micros)
        if exception is not None:
            tally.failures += 1
            tally.errors[str(exception)] += 1
            second.failures += 1

    def message_sent(self, recipients: int) -> None:
        self.messages += 1
        self.sent += recipients

    def message_acknowledged(self, message_id: str, recipients: list[str], at: float) -> None:
        self.acks.extend([message_id, recipient.lower(), at] for recipient in recipients)
        self._second(at).acknowledged += 1

    def message_refused(self, recipients: int) -> None:
        self.refused += recipients

    def message_seen(
        self, message_id: str, recipient: str, copy: str, at: float, intact: bool, source: str
    ) -> None:
        """A reader found ``message_id`` in ``recipient``'s mailbox as ``copy`` (a
        key naming that stored message, e.g. "imap:INBOX:<uidvalidity>:<uid>")."""
        self.seen.append([message_id, recipient.lower(), copy, at, intact, source])

    def connection_closed(
        self, client_port: int, server_port: int, opened: float, octets_out: int, octets_in: int
    ) -> None:
        """A ``ConnectionLedger``: kept only in --capture runs (the pcap is checked against it)."""
        self.connections.append([client_port, server_port, opened, octets_out, octets_in])

    def schedule_slipped(self) -> None:
        self.late_starts += 1

    def _second(self, at: float) -> SecondTally:
        key = int(at)
        tally = self.seconds.get(key)
        if tally is None:
            tally = self.seconds[key] = SecondTally()
        return tally

    def drain(self) -> dict[str, Any]:
        snapshot = {
            "commands": {name: tally.snapshot() for name, tally in self.commands.items()},
            "seconds": {str(sec): tally.snapshot() for sec, tally in self.seconds.items()},
            "acks": self.acks,
            "seen": self.seen,
            "messages": self.messages,
            "sent": self.sent,
            "refused": self.refused,
            "late_starts": self.late_starts,
            "connections": self.connections,
        }
        self._reset()
        return snapshot
