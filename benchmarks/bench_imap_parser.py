"""How fast the IMAP sans-IO core goes: small FETCH responses, big literals.

Run: .venv/bin/python -m benchmarks.bench_imap_parser [--quick]

Every figure drives the real ``IMAPConnection`` with bytes in 64 KiB reads;
nothing touches a socket, so these are the core's ceilings.

* client role, ``* n FETCH (FLAGS (\\Seen) UID n)`` responses parsed per second
  (the load users' and conformance decoder's hot path; target >= 50,000/s);
* client role, MB/s through one large ``BODY[]`` literal (target >= 200 MB/s);
* server role, MB/s through a large APPEND literal (after "+" is granted);
* server role, pipelined commands (UID FETCH/STORE/SEARCH, NOOP) parsed per second;
* server role, FETCH responses written per second (the reference server's side).

Each figure is the best of three runs: the first run of a big-literal figure
also pays the kernel for fresh pages (first touch of a few hundred MB), which
is the machine's cost, not the parser's.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from harness.protocols.common import NEED_DATA, Role
from harness.protocols.imap import (
    BodySection,
    Continuation,
    FetchResponse,
    IMAPConnection,
    IMAPLimits,
    Section,
    State,
    TaggedResponse,
)

_FEED = 65536


def _feed_all(conn: IMAPConnection, blob: bytes) -> int:
    """Deliver ``blob`` in 64 KiB reads, draining events after each; count them."""
    next_event, receive = conn.next_event, conn.receive_data
    count = 0
    for offset in range(0, len(blob), _FEED):
        receive(blob[offset : offset + _FEED])
        while next_event() is not NEED_DATA:
            count += 1
    return count


def bench_fetch_responses(count: int) -> float:
    """Client role: small FETCH responses parsed per second."""
    blob = b"".join(
        b"* %d FETCH (FLAGS (\\Seen) UID %d)\r\n" % (n, n + 1000) for n in range(1, count + 1)
    )
    client = IMAPConnection(Role.CLIENT)
    start = time.perf_counter()
    parsed = _feed_all(client, blob)
    elapsed = time.perf_counter() - start
    assert parsed == count
    return count / elapsed


def bench_literal_client(size: int) -> float:
    """Client role: MB/s through one BODY[] literal of ``size`` octets."""
    body = (b"0123456789abcdef" * (size // 16 + 1))[:size]
    blob = b"* 1 FETCH (UID 7 BODY[] {%d}\r\n" % size + body + b")\r\n"
    client = IMAPConnection(Role.CLIENT)
    start = time.perf_counter()
    events = []
    next_event = client.next_event
    for offset in range(0, len(blob), _FEED):
        client.receive_data(blob[offset : offset + _FEED])
        event = next_event()
        if event is not NEED_DATA:
            events.append(event)
    elapsed = time.perf_counter() - start
    assert len(events) == 1 and isinstance(events[0], FetchResponse)
    assert events[0].data("BODY[]") == body
    return size / elapsed / 1e6


def bench_literal_server(size: int) -> float:
    """Server role: MB/s through an APPEND's synchronising literal."""
    line = b"From: a@b\r\n\r\n" + b"x" * 62 + b"\r\n"
    body = (line * (size // len(line) + 1))[:size]
    server = IMAPConnection(Role.SERVER, IMAPLimits(max_literal=1 << 30, max_unit=1 << 30))
    server.state = State.AUTHENTICATED
    blob = body + b"\r\n"
    start = time.perf_counter()
    server.receive_data(b"a APPEND INBOX (\\Seen) {%d}\r\n" % size)
    server.next_event()
    server.send(Continuation("go"))
    events = _feed_all(server, blob)
    elapsed = time.perf_counter() - start
    assert events == 1
    return size / elapsed / 1e6


def bench_server_commands(rounds: int) -> float:
    """Server role: pipelined selected-state commands parsed (and answered) per second."""
    commands = (
        b"a1 UID FETCH 1:* (FLAGS UID BODY.PEEK[HEADER.FIELDS (FROM SUBJECT)])\r\n"
        b"a2 UID STORE 5:9 +FLAGS.SILENT (\\Seen $Label1)\r\n"
        b'a3 UID SEARCH UNSEEN SINCE 1-Feb-2024 NOT FROM "smith"\r\n'
        b"a4 NOOP\r\n"
    )
    server = IMAPConnection(Role.SERVER)
    server.state = State.SELECTED
    blob = commands * rounds
    next_event, send, receive = server.next_event, server.send, server.receive_data
    count = 0
    start = time.perf_counter()
    for offset in range(0, len(blob), _FEED):
        receive(blob[offset : offset + _FEED])
        while (event := next_event()) is not NEED_DATA:
            send(TaggedResponse(event.tag, "OK", "done"))  # type: ignore[attr-defined]
            count += 1
    elapsed = time.perf_counter() - start
    assert count == rounds * 4
    return count / elapsed


def bench_write_fetch(count: int) -> float:
    """Server role: FETCH responses (FLAGS, UID, a small BODY[HEADER]) written per second."""
    server = IMAPConnection(Role.SERVER)
    header = Section((), "HEADER")
    events = [
        FetchResponse(
            n,
            flags=("\\Seen",),
            uid=n,
            sections=(BodySection("BODY", header, b"Subject: x\r\n\r\n"),),
        )
        for n in range(1, count + 1)
    ]
    send = server.send
    start = time.perf_counter()
    total = sum(len(send(event)) for event in events)
    elapsed = time.perf_counter() - start
    assert total > count
    return count / elapsed


def best(bench: Callable[[int], float], size: int, runs: int = 3) -> float:
    return max(bench(size) for _ in range(runs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller runs (CI smoke)")
    args = parser.parse_args()
    scale = 10 if args.quick else 1
    figures = [
        (
            "client FETCH (FLAGS (\\Seen) UID n) responses/s",
            best(bench_fetch_responses, 200_000 // scale),
            50_000,
        ),
        ("client BODY[] literal MB/s", best(bench_literal_client, (64 << 20) // scale), 200),
        ("server APPEND literal MB/s", best(bench_literal_server, (64 << 20) // scale), 200),
        (
            "server commands parsed and answered/s",
            best(bench_server_commands, 25_000 // scale),
            None,
        ),
        ("server FETCH responses written/s", best(bench_write_fetch, 100_000 // scale), None),
    ]
    for label, value, target in figures:
        goal = f"  (target >= {target:,})" if target else ""
        verdict = "" if target is None else ("  ok" if value >= target else "  BELOW TARGET")
        print(f"{label:<50} {value:>14,.0f}{goal}{verdict}")


if __name__ == "__main__":
    main()
