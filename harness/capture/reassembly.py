"""TCP stream reassembly: segments in capture order -> each connection's two byte streams.

Each direction of a connection is rebuilt from sequence numbers, not from the
order packets were captured in:

* a segment wholly before what was already delivered is a retransmission or
  a duplicate (loopback captures see every packet twice without ``inbound``)
  and is counted, not repeated;
* a segment after a hole waits until the hole is filled (out of order); a hole
  never filled is recorded as a ``Gap`` (the capture lost those octets) and
  the data after it is delivered anyway, so nothing captured is thrown away;
* a payload cut by the snap length delivers what was captured and records the
  rest as a gap;
* SYN fixes the stream's origin (a capture that starts mid-connection uses
  the first segment seen), FIN and RST are kept as marks with their times.

Sequence numbers are unwrapped against the next expected offset, so streams
longer than 4 GiB and wrapping ISNs work. A SYN on a 4-tuple whose previous
connection is over starts a new connection (port reuse in long runs).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple

from harness.capture.pcapfile import ACK, FIN, RST, SYN, TcpSegment
from harness.transcript import Direction, Endpoint

_HALF = 1 << 31
_MASK = 0xFFFFFFFF


class MarkKind(StrEnum):
    GAP = "gap"  # octets the capture does not have
    FIN = "fin"
    RST = "rst"


class Chunk(NamedTuple):
    """Octets delivered in order at ``time`` (when they became contiguous).

    A NamedTuple, not a frozen dataclass: one is made per data segment, and
    building a tuple costs a third of a frozen dataclass.
    """

    time: float
    direction: Direction
    offset: int
    data: bytes


@dataclass(frozen=True, slots=True)
class Mark:
    time: float
    direction: Direction
    kind: MarkKind
    offset: int
    length: int = 0  # for gaps


class HalfStream:
    """One direction of a connection, rebuilt by sequence number."""

    __slots__ = (
        "_pending",
        "base",
        "chunks",
        "direction",
        "duplicate_octets",
        "fin",
        "marks",
        "next",
        "syn_seen",
    )

    def __init__(self, direction: Direction) -> None:
        self.direction = direction
        self.base: int | None = None  # sequence number of offset 0
        self.next = 0  # the next offset to deliver
        self.syn_seen = False
        self.fin: Mark | None = None
        self.chunks: list[Chunk] = []
        self.marks: list[Mark] = []
        self.duplicate_octets = 0  # retransmitted or duplicated octets seen again
        self._pending: dict[int, tuple[float, int, bytes]] = {}  # offset -> (time, length, payload)

    @property
    def data(self) -> bytes:
        """Every captured octet in order; gaps are left out (see ``gaps``)."""
        return b"".join(chunk.data for chunk in self.chunks)

    @property
    def gaps(self) -> list[Mark]:
        return [mark for mark in self.marks if mark.kind is MarkKind.GAP]

    @property
    def missing_octets(self) -> int:
        return sum(mark.length for mark in self.gaps)

    def syn(self, seq: int) -> None:
        if self.base is None or not self.chunks:
            self.base = (seq + 1) & _MASK
            self.syn_seen = True

    def feed(self, time: float, seq: int, flags: int, length: int, payload: bytes) -> None:
        if self.base is None:
            self.base = seq
        offset = self._offset(seq)
        if length:
            if offset + length <= self.next:
                self.duplicate_octets += length
            elif offset > self.next:
                self._hold(offset, time, length, payload)
            else:
                self._deliver(time, offset, length, payload)
                if self._pending:
                    self._drain(time)
        if flags & FIN and self.fin is None:
            self.fin = Mark(time, self.direction, MarkKind.FIN, offset + length)
        if flags & RST:
            self.marks.append(Mark(time, self.direction, MarkKind.RST, offset))

    def _offset(self, seq: int) -> int:
        """The stream offset of ``seq``: the one nearest the next expected offset."""
        assert self.base is not None
        delta = ((seq - self.base) - self.next) & _MASK
        return self.next + (delta - (1 << 32) if delta >= _HALF else delta)

    def _hold(self, offset: int, time: float, length: int, payload: bytes) -> None:
        held = self._pending.get(offset)
        if held is None or held[1] < length:
            self._pending[offset] = (time, length, payload)
        else:
            self.duplicate_octets += length

    def _deliver(self, time: float, offset: int, length: int, payload: bytes) -> None:
        """Deliver a segment that starts at or before ``next`` and ends after it."""
        skip = self.next - offset
        self.duplicate_octets += skip
        fresh = payload[skip:]
        if fresh:
            if self.chunks and self.chunks[-1].time > time:
                time = self.chunks[-1].time  # keep delivery times monotonic
            self.chunks.append(Chunk(time, self.direction, self.next, fresh))
        end = offset + length
        cut = end - (self.next + len(fresh))
        if cut > 0:  # the snap length cut the payload
            self.marks.append(Mark(time, self.direction, MarkKind.GAP, end - cut, cut))
        self.next = end

    def _drain(self, time: float) -> None:
        pending = self._pending
        while pending:
            offset = min(pending)
            if offset > self.next:
                return
            held_time, length, payload = pending.pop(offset)
            if offset + length <= self.next:
                self.duplicate_octets += length
            else:
                self._deliver(max(time, held_time), offset, length, payload)

    def finish(self) -> None:
        """End of capture: holes that were never filled become gaps."""
        pending = self._pending
        while pending:
            offset = min(pending)
            held_time = pending[offset][0]
            if offset > self.next:
                self.marks.append(
                    Mark(held_time, self.direction, MarkKind.GAP, self.next, offset - self.next)
                )
                self.next = offset
            self._drain(held_time)
        if self.fin is not None:
            if self.fin.offset > self.next:
                missing = self.fin.offset - self.next
                self.marks.append(
                    Mark(self.fin.time, self.direction, MarkKind.GAP, self.next, missing)
                )
                self.next = self.fin.offset
            self.marks.append(self.fin)


@dataclass
class TcpConnection:
    """One TCP connection: who opened it, and both directions' streams."""

    client: Endpoint
    server: Endpoint
    start: float
    end: float = 0.0
    handshake_seen: bool = False  # the client's SYN is in the capture
    to_server: HalfStream = field(default_factory=lambda: HalfStream(Direction.CLIENT))
    to_client: HalfStream = field(default_factory=lambda: HalfStream(Direction.SERVER))

    def half(self, sender: Direction) -> HalfStream:
        """The stream ``sender`` wrote."""
        return self.to_server if sender is Direction.CLIENT else self.to_client

    @property
    def closed(self) -> bool:
        halves = (self.to_server, self.to_client)
        return all(h.fin is not None for h in halves) or any(
            m.kind is MarkKind.RST for h in halves for m in h.marks
        )

    def timeline(self) -> list[Chunk | Mark]:
        """Both directions' chunks and marks in time order (stable per direction)."""
        items: list[Chunk | Mark] = [
            *self.to_server.chunks,
            *self.to_server.marks,
            *self.to_client.chunks,
            *self.to_client.marks,
        ]
        items.sort(key=_timeline_key)
        return items

    def describe(self) -> str:
        return f"{self.client} -> {self.server}"


def _timeline_key(item: Chunk | Mark) -> tuple[float, int, int]:
    # at equal times: data before the marks that follow it, in stream order
    return (item.time, 1 if isinstance(item, Mark) else 0, item.offset)


_FlowKey = tuple[bytes, int, bytes, int]


class Reassembler:
    """Feed segments in capture order; ``finish()`` returns the connections."""

    def __init__(self, server_ports: Iterable[int] = ()) -> None:
        self._server_ports = frozenset(server_ports)
        self._open: dict[_FlowKey, tuple[TcpConnection, _FlowKey]] = {}
        self._done: list[TcpConnection] = []
        self.segments = 0

    def feed(self, segment: TcpSegment) -> None:
        time, src, sport, dst, dport, seq, flags, length, payload = segment
        self.segments += 1
        key = (src, sport, dst, dport)
        entry = self._open.get(key)
        if entry is None or (flags & SYN and not flags & ACK and entry[0].closed):
            entry = self._new_connection(segment)
        connection, client_key = entry
        sender = Direction.CLIENT if key == client_key else Direction.SERVER
        half = connection.to_server if sender is Direction.CLIENT else connection.to_client
        if time > connection.end:
            connection.end = time
        if flags & SYN:
            half.syn(seq)
            return
        half.feed(time, seq, flags, length, payload)

    def _new_connection(self, segment: TcpSegment) -> tuple[TcpConnection, _FlowKey]:
        src, sport, dst, dport = segment.src, segment.sport, segment.dst, segment.dport
        forward = (src, sport, dst, dport)
        backward = (dst, dport, src, sport)
        old = self._open.get(forward)
        if old is not None:
            self._done.append(old[0])
        if not self._src_is_client(segment):
            src, sport, dst, dport = dst, dport, src, sport
        connection = TcpConnection(
            client=Endpoint(_address(src), sport),
            server=Endpoint(_address(dst), dport),
            start=segment.time,
            handshake_seen=bool(segment.flags & SYN and not segment.flags & ACK),
        )
        entry = (connection, (src, sport, dst, dport))
        self._open[forward] = self._open[backward] = entry
        return entry

    def _src_is_client(self, segment: TcpSegment) -> bool:
        if segment.flags & SYN:
            return not segment.flags & ACK  # SYN opens, SYN-ACK answers
        if segment.dport in self._server_ports or segment.sport in self._server_ports:
            return segment.dport in self._server_ports
        return segment.sport > segment.dport  # ephemeral ports are the high ones

    def finish(self) -> list[TcpConnection]:
        """Every connection seen, ordered by start time, with holes recorded as gaps."""
        seen: dict[int, TcpConnection] = {id(entry[0]): entry[0] for entry in self._open.values()}
        connections = [*self._done, *seen.values()]
        for connection in connections:
            connection.to_server.finish()
            connection.to_client.finish()
        connections.sort(key=lambda c: c.start)
        return connections


def reassemble(
    segments: Iterable[TcpSegment], server_ports: Iterable[int] = ()
) -> list[TcpConnection]:
    """All TCP connections in ``segments`` (see ``Reassembler``)."""
    reassembler = Reassembler(server_ports)
    feed = reassembler.feed
    for segment in segments:
        feed(segment)
    return reassembler.finish()


def _address(raw: bytes) -> str:
    return str(ipaddress.ip_address(raw))
