"""Reading and reassembling a pcap must keep up with load-run captures (>= 100k packets/s)."""

from __future__ import annotations

import struct
import time
from pathlib import Path

from harness.capture import read_segments, reassemble

PACKETS = 60_000
REQUIRED_RATE = 100_000  # packets/s, the figure the capture design promises
IPV4_TCP = struct.Struct("!6s6sH BBHHHBBH4s4s HHIIBBHHH")


def write_bulk_pcap(path: Path, packets: int, connections: int = 100) -> None:
    """A realistic load-run shape: many connections, small request/response segments."""
    records = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]
    seqs = [[1000, 9000] for _ in range(connections)]
    payloads = [b"a1 NOOP\r\n", b"a1 OK NOOP completed\r\n"]
    for n in range(packets):
        conn, from_client = n // 2 % connections, n % 2 == 0
        payload = payloads[0 if from_client else 1]
        ports = (40000 + conn, 143) if from_client else (143, 40000 + conn)
        side = 0 if from_client else 1
        seq = seqs[conn][side]
        seqs[conn][side] += len(payload)
        frame = (
            IPV4_TCP.pack(
                b"\x02" * 6,
                b"\x02" * 6,
                0x0800,
                0x45,
                0,
                40 + len(payload),
                0,
                0x4000,
                64,
                6,
                0,
                b"\x7f\x00\x00\x01",
                b"\x7f\x00\x00\x01",
                *ports,
                seq,
                0,
                0x50,
                0x18,
                65535,
                0,
                0,
            )
            + payload
        )
        records.append(
            struct.pack("<IIII", 1_700_000_000 + n // 1000, n % 1000, len(frame), len(frame))
        )
        records.append(frame)
    path.write_bytes(b"".join(records))


def test_read_and_reassemble_at_least_100k_packets_per_second(tmp_path: Path) -> None:
    path = tmp_path / "bulk.pcap"
    write_bulk_pcap(path, PACKETS)
    best = float("inf")
    for _ in range(3):  # best of three: the figure is the code's, not the machine's load
        started = time.perf_counter()
        connections = reassemble(read_segments(path))
        best = min(best, time.perf_counter() - started)
    rate = PACKETS / best
    print(f"pcap read + reassembly: {rate:,.0f} packets/s")
    assert len(connections) == 100
    assert all(len(c.to_server.data) == PACKETS // 200 * 9 for c in connections)
    assert rate >= REQUIRED_RATE, f"{rate:,.0f} packets/s"
