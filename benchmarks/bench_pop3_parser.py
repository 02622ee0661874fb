"""How fast the POP3 sans-IO core goes: server command lines, client RETR bodies.

Run: .venv/bin/python -m benchmarks.bench_pop3_parser [--quick]

Each figure drives the real ``POP3Connection``. Server role: a logged-in
session receives pipelined commands in 64 KiB reads and the application side
answers every one with a prepared ``Ok`` (so the figure includes the
one-command-at-a-time gate and reply encoding). Client role: RETR responses
(byte-stuffed, ~76-octet lines, one in 40 dot-led) arrive in 64 KiB reads and are
un-stuffed into ``MessageData`` chunks; the server-side writer (stuffing) is
measured the same way. Nothing touches a socket: these are the core's ceilings.
"""

from __future__ import annotations

import argparse
import time

from harness.protocols.common import NEED_DATA, Role
from harness.protocols.pop3 import (
    MessageData,
    MultilineEnd,
    Ok,
    Pass,
    POP3Connection,
    Retr,
    User,
)

_FEED = 65536
_COMMANDS = b"STAT\r\nLIST 1\r\nUIDL 1\r\nDELE 1\r\nNOOP\r\nRSET\r\n"
_COMMANDS_PER_ROUND = 6


def _logged_in_server() -> POP3Connection:
    server = POP3Connection(Role.SERVER)
    server.send(Ok("bench ready"))
    server.receive_data(b"USER bench\r\nPASS pw\r\n")
    for _ in range(2):
        server.next_event()
        server.send(Ok())
    return server


def bench_server_commands(rounds: int) -> float:
    """Server role: command lines parsed, gated and answered per second."""
    server = _logged_in_server()
    blob = _COMMANDS * rounds
    ok = Ok("1 120")
    next_event, send, receive = server.next_event, server.send, server.receive_data
    count = 0
    start = time.perf_counter()
    for offset in range(0, len(blob), _FEED):
        receive(blob[offset : offset + _FEED])
        while next_event() is not NEED_DATA:
            send(ok)
            count += 1
    elapsed = time.perf_counter() - start
    assert count == rounds * _COMMANDS_PER_ROUND
    return count / elapsed


def _message(size: int) -> bytes:
    line = b"The quick brown fox jumps over the lazy dog; 0123456789 abcdefghijklmnopq\r\n"
    dotted = b".A line that starts with a dot and must be stuffed on the wire......\r\n"
    head = b"From: a@example.test\r\nTo: b@example.test\r\nSubject: bench\r\n\r\n"
    body = bytearray(head)
    lines = 0
    while len(body) < size:
        lines += 1
        body += dotted if lines % 40 == 0 else line  # one dot-led line in 40
    return bytes(body)


def _retr_wire(message: bytes, count: int) -> bytes:
    server = _logged_in_server()
    parts = []
    for _ in range(count):
        server.receive_data(b"RETR 1\r\n")
        server.next_event()
        parts += [server.send(Ok()), server.send(MessageData(message)), server.send(MultilineEnd())]
    return b"".join(parts)


def bench_server_retr(message: bytes, count: int) -> float:
    """Server role: RETR bodies stuffed and framed, MB/s of message octets."""
    server = _logged_in_server()
    chunks = [message[i : i + _FEED] for i in range(0, len(message), _FEED)]
    start = time.perf_counter()
    for _ in range(count):
        server.receive_data(b"RETR 1\r\n")
        server.next_event()
        server.send(Ok())
        for chunk in chunks:
            server.send(MessageData(chunk))
        server.send(MultilineEnd())
    return len(message) * count / (time.perf_counter() - start) / 1e6


def bench_client_retr(message: bytes, count: int) -> float:
    """Client role: RETR responses framed and un-stuffed, MB/s of message octets."""
    wire = _retr_wire(message, count)
    client = POP3Connection(Role.CLIENT)
    client.receive_data(b"+OK hi\r\n")
    client.next_event()
    client.send(User("bench"))
    client.send(Pass("pw"))
    client.receive_data(b"+OK\r\n+OK\r\n")
    client.next_event()
    client.next_event()
    for _ in range(count):
        client.send(Retr(1))
    received = 0
    next_event, receive = client.next_event, client.receive_data
    start = time.perf_counter()
    for offset in range(0, len(wire), _FEED):
        receive(wire[offset : offset + _FEED])
        while (event := next_event()) is not NEED_DATA:
            if type(event) is MessageData:
                received += len(event.data)
    elapsed = time.perf_counter() - start
    assert received == len(message) * count
    return received / elapsed / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for CI smoke runs")
    args = parser.parse_args()
    rounds, size, count = (2_000, 200_000, 5) if args.quick else (50_000, 2_000_000, 25)
    message = _message(size)
    print(f"server commands/s   {bench_server_commands(rounds):>12,.0f}")
    print(f"server RETR MB/s    {bench_server_retr(message, count):>12,.1f}")
    print(f"client RETR MB/s    {bench_client_retr(message, count):>12,.1f}")


if __name__ == "__main__":
    main()
