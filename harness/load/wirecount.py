"""Octets per TCP connection in a pcap, rebuilt by sequence number, without the data.

A load run's pcap can hold hundreds of megabytes, and checking it needs only
counts: for each direction of each connection, the octets captured (each
sequence range counted once, so retransmissions and loopback duplicates do
not inflate it) and the holes (ranges that a later segment or the FIN shows
were sent but never captured). ``harness.capture.reassembly`` keeps the
payload, which conformance runs need; this keeps only offsets, so memory
grows with connections, not with octets.

Connections are keyed by (client port, server port): every capture here is
on loopback with a filter on the target's ports. A SYN on a key whose
connection is over starts a new one (ports are reused in long runs).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from harness.capture.pcapfile import ACK, FIN, RST, SYN, read_segments

_MASK = 0xFFFFFFFF
_HALF = 1 << 31


class HalfCount:
    """One direction: contiguous octets so far, segments held after a hole, the FIN."""

    __slots__ = ("base", "fin_at", "holes", "next", "octets", "pending")

    def __init__(self) -> None:
        self.base: int | None = None  # sequence number of offset 0
        self.next = 0  # the next offset expected
        self.octets = 0  # captured, each offset once
        self.holes = 0  # known missing (set by finish)
        self.fin_at: int | None = None
        self.pending: dict[int, int] = {}  # offset -> length, waiting behind a hole

    def syn(self, seq: int) -> None:
        if self.base is None or not self.octets:
            self.base = (seq + 1) & _MASK

    def feed(self, seq: int, length: int, fin: bool) -> None:
        if self.base is None:
            self.base = seq  # the capture began mid-connection
        offset = self._offset(seq)
        if length:
            end = offset + length
            if offset > self.next:
                self.pending[offset] = max(self.pending.get(offset, 0), length)
            elif end > self.next:
                self.octets += end - self.next
                self.next = end
                if self.pending:
                    self._drain()
        if fin and self.fin_at is None:
            self.fin_at = offset + length

    def _offset(self, seq: int) -> int:
        assert self.base is not None
        delta = ((seq - self.base) - self.next) & _MASK
        return self.next + (delta - (1 << 32) if delta >= _HALF else delta)

    def _drain(self) -> None:
        while self.pending:
            offset = min(self.pending)
            if offset > self.next:
                return
            end = offset + self.pending.pop(offset)
            if end > self.next:
                self.octets += end - self.next
                self.next = end

    def finish(self) -> None:
        """End of capture: ranges skipped over, and before the FIN, are holes."""
        while self.pending:
            offset = min(self.pending)
            if offset > self.next:
                self.holes += offset - self.next
                self.next = offset
            self._drain()
        if self.fin_at is not None and self.fin_at > self.next:
            self.holes += self.fin_at - self.next
            self.next = self.fin_at


@dataclass
class FlowCount:
    client_port: int
    server_port: int
    start: float  # the first segment's time (the SYN when captured)
    out: HalfCount = field(default_factory=HalfCount)  # client -> server
    back: HalfCount = field(default_factory=HalfCount)  # server -> client
    closed: bool = False  # a FIN or RST was seen

    @property
    def octets(self) -> int:
        return self.out.octets + self.back.octets


def count_flows(pcap: Path | str, server_ports: Iterable[int]) -> list[FlowCount]:
    """Every connection to ``server_ports`` in ``pcap``, in start order."""
    ports = frozenset(server_ports)
    current: dict[tuple[int, int], FlowCount] = {}
    flows: list[FlowCount] = []
    for time, _src, sport, _dst, dport, seq, flags, length, _payload in read_segments(pcap):
        if dport in ports:
            key, outbound = (sport, dport), True
        elif sport in ports:
            key, outbound = (dport, sport), False
        else:
            continue
        flow = current.get(key)
        opening = flags & SYN and not flags & ACK
        if flow is None or (opening and flow.closed):
            flow = current[key] = FlowCount(key[0], key[1], time)
            flows.append(flow)
        half = flow.out if outbound else flow.back
        if flags & SYN:
            half.syn(seq)
            continue
        half.feed(seq, length, bool(flags & FIN))
        if flags & (FIN | RST):
            flow.closed = True
    for flow in flows:
        flow.out.finish()
        flow.back.finish()
    return flows
