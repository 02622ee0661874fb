"""How fast the SMTP sans-IO core parses: command lines, replies, DATA text.

Run: .venv/bin/python -m benchmarks.bench_smtp_parser [--quick]

Times are CPU seconds of this process (time.process_time), so other load on
the machine does not distort them. Each figure drives the real ``SMTPConnection`` (server role: the application
side answers every command with a prepared ``Reply``, exactly as a server
does; client role: pipelined commands, one reply read per command). Nothing
touches a socket, so these are the core's own ceilings.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from harness.protocols.common import NEED_DATA, Role
from harness.protocols.smtp import (
    Data,
    Ehlo,
    MessageData,
    MessageEnd,
    Noop,
    SMTPConnection,
    SMTPLimits,
    ehlo_reply,
    reply,
)

_FEED = 65536
_EXTENSIONS = {"PIPELINING": (), "8BITMIME": (), "SIZE": ("0",), "ENHANCEDSTATUSCODES": ()}
_TRANSACTION = (
    b"MAIL FROM:<sender.name@example.com> SIZE=4096\r\n"
    b"RCPT TO:<first.recipient@example.net>\r\n"
    b"RCPT TO:<second.recipient@example.net>\r\n"
    b"RSET\r\n"
    b"NOOP\r\n"
)
_LINES_PER_TRANSACTION = 5


def _ready_server(limits: SMTPLimits | None = None) -> SMTPConnection:
    server = SMTPConnection(Role.SERVER, limits=limits)
    server.send(reply(220, "bench.example ESMTP"))
    server.receive_data(b"EHLO client.example\r\n")
    server.next_event()
    server.send(ehlo_reply("bench.example", _EXTENSIONS))
    return server


def bench_commands(transactions: int) -> float:
    """Server role: command lines parsed and answered per second."""
    server = _ready_server()
    blob = _TRANSACTION * transactions
    ok = reply(250, "OK", "2.0.0")
    next_event, send, receive = server.next_event, server.send, server.receive_data
    count = 0
    start = time.process_time()
    for offset in range(0, len(blob), _FEED):
        receive(blob[offset : offset + _FEED])
        while next_event() is not NEED_DATA:
            send(ok)
            count += 1
    elapsed = time.process_time() - start
    assert count == transactions * _LINES_PER_TRANSACTION, count
    return count / elapsed


def bench_replies(count: int) -> tuple[float, float]:
    """Client role: replies read per second (single-line and 3-line EHLO-like)."""
    results = []
    for wire in (
        b"250 2.1.0 Sender OK\r\n",
        b"250-mx.example\r\n250-PIPELINING\r\n250 8BITMIME\r\n",
    ):
        client = SMTPConnection(Role.CLIENT)
        client.receive_data(b"220 mx.example ESMTP\r\n")
        client.next_event()
        noop = Noop()
        for _ in range(count):
            client.send(noop)
        blob = wire * count
        next_event, receive = client.next_event, client.receive_data
        read = 0
        start = time.process_time()
        for offset in range(0, len(blob), _FEED):
            receive(blob[offset : offset + _FEED])
            while next_event() is not NEED_DATA:
                read += 1
        elapsed = time.process_time() - start
        assert read == count, read
        results.append(count / elapsed)
    return results[0], results[1]


def _body(megabytes: int) -> bytes:
    line = b"Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod.\r\n"
    block = line * 200 + b".a line that starts with a dot (stuffed on the wire)\r\n"
    return block * (megabytes * 1024 * 1024 // len(block) + 1)


def bench_data(megabytes: int) -> float:
    """Server role: DATA text un-stuffed per second (MB/s of wire octets)."""
    server = _ready_server(SMTPLimits(max_message_size=None))
    for line, answer in (
        (b"MAIL FROM:<a@example.com>\r\n", reply(250, "OK", "2.1.0")),
        (b"RCPT TO:<b@example.net>\r\n", reply(250, "OK", "2.1.5")),
        (b"DATA\r\n", reply(354, "End data with <CR><LF>.<CR><LF>")),
    ):
        server.receive_data(line)
        server.next_event()
        server.send(answer)
    wire = _body(megabytes).replace(b"\r\n.", b"\r\n..") + b".\r\n"
    received = 0
    start = time.process_time()
    for offset in range(0, len(wire), _FEED):
        server.receive_data(wire[offset : offset + _FEED])
        while True:
            event = server.next_event()
            if event is NEED_DATA or isinstance(event, MessageEnd):
                break
            received += len(event.data)  # type: ignore[union-attr]
    elapsed = time.process_time() - start
    assert isinstance(event, MessageEnd), event
    return len(wire) / elapsed / 1e6


def bench_client_data(megabytes: int) -> float:
    """Client role: message text dot-stuffed per second (MB/s)."""
    client = SMTPConnection(Role.CLIENT)
    client.receive_data(b"220 mx\r\n250 mx\r\n")
    client.next_event()
    client.send(Ehlo("client.example"))
    client.next_event()
    client.send(Data())
    client.receive_data(b"354 go\r\n")
    client.next_event()
    body = _body(megabytes)
    send = client.send
    start = time.process_time()
    for offset in range(0, len(body), _FEED):
        send(MessageData(body[offset : offset + _FEED]))
    send(MessageEnd())
    return len(body) / (time.process_time() - start) / 1e6


def _best(runs: int, func: Callable[[], float]) -> float:
    return max(func() for _ in range(runs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller inputs, one run")
    args = parser.parse_args()
    runs, scale = (1, 1) if args.quick else (3, 4)
    commands = _best(runs, lambda: bench_commands(10_000 * scale))
    single, multi = bench_replies(50_000 * scale)
    data = _best(runs, lambda: bench_data(16 * scale))
    stuff = _best(runs, lambda: bench_client_data(16 * scale))
    print(f"server command lines parsed+answered : {commands:12,.0f} lines/s   (target >= 200,000)")
    print(f"client replies read, single-line     : {single:12,.0f} replies/s")
    print(f"client replies read, 3-line          : {multi:12,.0f} replies/s")
    print(f"server DATA text un-stuffed          : {data:12,.1f} MB/s      (target >= 200)")
    print(f"client DATA text dot-stuffed         : {stuff:12,.1f} MB/s")


if __name__ == "__main__":
    main()
