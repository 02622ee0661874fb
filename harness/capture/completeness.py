"""Is the capture complete? Each recorded connection against its reassembled TCP stream.

Loss is measured, not assumed: for every Transcript the harness recorded, the
TCP connection with the same 4-tuple (and the nearest start time, since a
long run may reuse ports) is found in the pcap, and the octets each side sent
are compared with what the capture holds:

* ``complete``: every octet the transcript says was sent is in the capture,
  equal to it;
* ``incomplete``: some are missing (capture loss: gaps, a cut tail) or differ;
* ``not found``: no such connection in the capture (started too late, wrong
  filter, or every packet lost).

For TLS the plaintext before the handshake is compared octet for octet; after
it the capture is checked on the record layer only (the records follow one
another to the end and carry at least the recorded plaintext), because
without the keys the payload cannot be compared.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from harness.capture.pcapfile import read_segments
from harness.capture.reassembly import HalfStream, TcpConnection, reassemble
from harness.capture.tlsrecords import walk_records
from harness.transcript import Direction, EventKind, Transcript

MATCH_SLACK_S = 2.0  # clock and scheduling slack when matching a transcript to a connection


class Completeness(StrEnum):
    COMPLETE = "complete"
    INCOMPLETE = "incomplete"
    NOT_FOUND = "not found"


@dataclass(frozen=True)
class ConnectionCheck:
    """The verdict on one recorded connection."""

    connection_id: str
    status: Completeness
    expected_octets: int  # what the transcript says was sent, both ways
    missing_octets: int
    detail: str
    tls: bool = False

    def describe(self) -> str:
        return f"{self.connection_id}: {self.status.value} ({self.detail})"


@dataclass(frozen=True)
class CompletenessReport:
    checks: tuple[ConnectionCheck, ...]

    @property
    def complete(self) -> bool:
        return all(check.status is Completeness.COMPLETE for check in self.checks)

    @property
    def expected_octets(self) -> int:
        return sum(check.expected_octets for check in self.checks)

    @property
    def missing_octets(self) -> int:
        return sum(check.missing_octets for check in self.checks)

    @property
    def loss(self) -> float:
        """The share of recorded octets the capture lacks (0.0 to 1.0)."""
        expected = self.expected_octets
        return self.missing_octets / expected if expected else 0.0

    def summary(self) -> str:
        whole = sum(check.status is Completeness.COMPLETE for check in self.checks)
        lost = sum(check.status is Completeness.NOT_FOUND for check in self.checks)
        text = (
            f"{whole}/{len(self.checks)} connections complete, {self.missing_octets:,} of "
            f"{self.expected_octets:,} octets missing ({self.loss:.2%} loss)"
        )
        return text + (f", {lost} not found" if lost else "")


def check_completeness(pcap: Path | str, transcripts: Iterable[Transcript]) -> CompletenessReport:
    """Compare each transcript with the pcap (see the module docstring)."""
    recorded = list(transcripts)
    ports = {t.server.port for t in recorded if t.server is not None}
    connections = reassemble(read_segments(pcap), server_ports=ports)
    return check_connections(connections, recorded)


def check_connections(
    connections: list[TcpConnection], transcripts: Iterable[Transcript]
) -> CompletenessReport:
    return CompletenessReport(tuple(_check(connections, t) for t in transcripts))


def _check(connections: list[TcpConnection], transcript: Transcript) -> ConnectionCheck:
    expected = len(transcript.sent_by(Direction.CLIENT)) + len(transcript.sent_by(Direction.SERVER))
    connection = find_connection(connections, transcript)
    if connection is None:
        where = f"{transcript.client} -> {transcript.server}"
        detail = f"no TCP connection {where} in the capture"
        return ConnectionCheck(
            transcript.connection_id, Completeness.NOT_FOUND, expected, expected, detail
        )
    problems: list[str] = []
    missing = 0
    for direction in (Direction.CLIENT, Direction.SERVER):
        plain, encrypted = _split_at_tls(transcript, direction)
        comparison = _compare_half(connection.half(direction), plain, encrypted, direction)
        missing += comparison[0]
        problems += comparison[1]
    tls = transcript.tls_started
    status = Completeness.INCOMPLETE if problems else Completeness.COMPLETE
    detail = "; ".join(problems) or "every recorded octet is in the capture"
    if tls:
        detail += "; after TLS started: record layer checked only"
    return ConnectionCheck(transcript.connection_id, status, expected, missing, detail, tls)


def find_connection(
    connections: Iterable[TcpConnection], transcript: Transcript
) -> TcpConnection | None:
    """The connection with the transcript's 4-tuple that started nearest its first event."""
    if transcript.client is None or transcript.server is None:
        return None
    client, server = transcript.client, transcript.server
    candidates = [
        c
        for c in connections
        if (c.client.port, c.server.port) == (client.port, server.port)
        and _same_host(c.client.host, client.host)
        and _same_host(c.server.host, server.host)
    ]
    if not candidates or not transcript.events:
        return candidates[0] if candidates else None
    began = transcript.events[0].wall
    near = [c for c in candidates if c.start - MATCH_SLACK_S <= began <= c.end + MATCH_SLACK_S]
    return min(near or candidates, key=lambda c: abs(c.start - began))


def _same_host(captured: str, recorded: str) -> bool:
    return captured == recorded.strip("[]").removeprefix("::ffff:")


def _split_at_tls(transcript: Transcript, direction: Direction) -> tuple[bytes, bytes | None]:
    """(octets sent before TLS started, plaintext sent after it, or None without TLS)."""
    before: list[bytes] = []
    after: list[bytes] | None = None
    for event in transcript.events:
        if event.kind is EventKind.TLS:
            after = []
        elif event.kind is EventKind.DATA and event.direction is direction:
            (before if after is None else after).append(event.data)
    return b"".join(before), None if after is None else b"".join(after)


def _compare_half(
    half: HalfStream, plain: bytes, encrypted: bytes | None, direction: Direction
) -> tuple[int, list[str]]:
    """(missing octets, problems) for one direction."""
    who = direction.value
    missing, problems = _compare_plain(half, plain, who)
    if encrypted is None:
        return missing, problems
    tls_missing, tls_problem = _compare_records(half, len(plain), len(encrypted), who)
    if tls_problem:
        problems.append(tls_problem)
    return missing + tls_missing, problems


def _compare_plain(half: HalfStream, expected: bytes, who: str) -> tuple[int, list[str]]:
    covered = 0
    problems: list[str] = []
    for chunk in half.chunks:
        start, end = chunk.offset, min(chunk.offset + len(chunk.data), len(expected))
        if start >= end:
            continue
        covered += end - start
        if chunk.data[: end - start] != expected[start:end] and not problems:
            problems.append(f"{who} octets differ from the transcript at offset {start}")
    missing = len(expected) - covered
    if missing:
        problems.insert(0, f"{who} sent {missing:,} octets the capture lacks")
    return missing, problems


def _compare_records(
    half: HalfStream, start: int, plaintext: int, who: str
) -> tuple[int, str | None]:
    gaps = sum(g.length for g in half.gaps if g.offset + g.length > start)
    if gaps:
        return min(gaps, plaintext), f"{who} TLS stream has {gaps:,} octets missing"
    stream = b"".join(
        c.data[max(0, start - c.offset) :] for c in half.chunks if c.offset + len(c.data) > start
    )
    walk = walk_records(stream)
    if walk.problem is not None:
        return 0, f"{who} TLS records: {walk.problem}"
    if walk.application_octets < plaintext:
        short = plaintext - walk.application_octets
        return short, f"{who} TLS records carry {short:,} octets less than the recorded plaintext"
    return 0, None
