"""Durable SMTP ingest: smtp-source into the reference server, Postfix -> Dovecot, aiosmtpd.

    .venv/bin/python -m benchmarks.bench_server_smtp [--quick] [--messages N] [--rounds R]

Postfix's load generator sends the same load to each peer: 1 KB messages over
20 sessions that reuse their connection (``smtp-source -d -s 20 -l 1024``; no
pipelining, so each message is four round trips). The peers:

* reference: ``mailharness serve`` in a subprocess with a fresh data dir. Its
  250 after DATA comes only once the message is committed with fsync (group
  commit across sessions), so the clock stops when smtp-source has its last
  250; the INBOX is then checked (IMAP STATUS) to hold every message.
* postfix -> dovecot: the private stack (examples/dovecot-postfix). Postfix
  queues each message (fsync), then delivers over LMTP into Dovecot (fsync);
  the clock stops when Dovecot's INBOX holds them all (IMAP STATUS, polled):
  end to end. What smtp-source alone saw is shown as "accepted/s".
* aiosmtpd: its ``Sink`` handler accepts and discards: no storage, no fsync,
  just the SMTP dialogue in asyncio Python. aiosmtpd is a benchmark-only
  peer, not a project dependency: ``.venv/bin/pip install aiosmtpd``; without
  it that column is skipped.

Peers take turns within each round, so the noise of a shared machine falls on
all of them; figures are medians over rounds, compared as ratios. CPU per
message counts every thread of the server process (the writer's fsyncs too);
Postfix and Dovecot spread over many short-lived processes, so theirs is not
shown. Targets (issue 3): reference >= 3x Postfix -> Dovecot end to end, and
faster than aiosmtpd.
"""

from __future__ import annotations

import argparse
import imaplib
import importlib.util
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from benchmarks.peers import (
    HOST,
    REFERENCE_PASSWORD,
    STACK_IMAP,
    STACK_LOAD_USERS,
    STACK_PASSWORD,
    STACK_SMTP,
    MailStack,
    cpu_seconds,
    free_port,
    machine_note,
    median,
    open_stack,
    print_table,
    reference_server,
    stack_unavailable,
    stop_process,
    wait_for_port,
)

SESSIONS = 20
SIZE = 1024
SENDER = "bench-sender@example.test"
DELIVERY_TIMEOUT = 300.0  # seconds for Postfix to hand the last message to Dovecot
POLL_INTERVAL = 0.05


@dataclass
class Run:
    """One peer, one round."""

    seconds: float  # until every message was stored (or, for aiosmtpd, accepted)
    accepted_seconds: float  # until smtp-source had its last 250
    cpu: float | None  # CPU seconds of the server process, where there is one


@dataclass
class Peer:
    name: str
    note: str
    command: str = ""
    runs: list[Run] = field(default_factory=list)

    def rate(self, messages: int) -> float:
        return messages / median([run.seconds for run in self.runs])

    def accepted_rate(self, messages: int) -> float:
        return messages / median([run.accepted_seconds for run in self.runs])

    def cpu_per_message(self, messages: int) -> float | None:
        cpus = [run.cpu for run in self.runs if run.cpu is not None]
        return median(cpus) / messages * 1e6 if cpus else None


Measure = Callable[[int, int], Run]  # (messages, round number) -> Run


class Runner(Protocol):
    def running(self, peer: Peer) -> AbstractContextManager[Measure]: ...


def smtp_source(port: int, messages: int, recipient: str, subject: str = "bench") -> list[str]:
    return [
        "smtp-source",
        "-d",  # one connection per session for all its messages
        "-S",
        subject,
        "-s",
        str(SESSIONS),
        "-l",
        str(SIZE),
        "-m",
        str(messages),
        "-f",
        SENDER,
        "-t",
        recipient,
        f"{HOST}:{port}",
    ]


def run_source(port: int, messages: int, recipient: str, subject: str = "bench") -> float:
    """Seconds smtp-source took; raises if it failed (a refused message, say)."""
    started = time.perf_counter()
    done = subprocess.run(
        smtp_source(port, messages, recipient, subject),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        timeout=DELIVERY_TIMEOUT,
    )
    if done.returncode != 0:
        raise RuntimeError(f"smtp-source failed ({done.returncode}): {done.stderr.strip()}")
    return time.perf_counter() - started


def inbox_count(port: int, user: str, password: str) -> int:
    with imaplib.IMAP4(HOST, port) as imap:
        imap.login(user, password)
        return _status_messages(imap)


def _status_messages(imap: imaplib.IMAP4) -> int:
    _, data = imap.status("INBOX", "(MESSAGES)")
    text = data[0].decode() if isinstance(data[0], bytes) else str(data[0])
    return int(text.rsplit("MESSAGES", 1)[1].strip(" )"))


# -- the peers -----------------------------------------------------------------


class ReferencePeer:
    """A fresh server per benchmark; each round delivers to another account."""

    def __init__(self, workdir: Path) -> None:
        self._workdir = workdir

    @contextmanager
    def running(self, peer: Peer) -> Iterator[Measure]:
        with reference_server(self._workdir) as server:
            peer.command = server.command

            def measure(messages: int, round_no: int) -> Run:
                user = f"load{round_no + 1}@example.test"
                before = cpu_seconds(server.pid)
                seconds = run_source(server.ports["smtp"], messages, user)
                cpu = cpu_seconds(server.pid) - before
                stored = inbox_count(server.ports["imap"], user, REFERENCE_PASSWORD)
                if stored != messages:
                    raise RuntimeError(f"reference stored {stored} of {messages} messages")
                return Run(seconds, seconds, cpu)

            yield measure


class StackPeer:
    """Postfix on 10025 -> LMTP -> Dovecot; each round uses another load50+ account."""

    def __init__(self, stack: MailStack) -> None:
        self._stack = stack

    @contextmanager
    def running(self, peer: Peer) -> Iterator[Measure]:
        used: list[str] = []
        try:

            def measure(messages: int, round_no: int) -> Run:
                user = STACK_LOAD_USERS[round_no % len(STACK_LOAD_USERS)]
                used.append(user)
                return self._measure(messages, user)

            yield measure
        finally:
            for user in used:  # leave the shared accounts empty
                self._stack.empty_inbox(user)

    def _measure(self, messages: int, user: str) -> Run:
        self._stack.empty_inbox(user)
        subject = f"bench-{uuid.uuid4().hex}"  # ours, whatever else lands in the INBOX
        with imaplib.IMAP4(HOST, STACK_IMAP) as imap:
            imap.login(user, STACK_PASSWORD)
            started = time.perf_counter()
            accepted = run_source(STACK_SMTP, messages, user, subject)
            deadline = started + DELIVERY_TIMEOUT
            while _status_messages(imap) < messages:
                if time.perf_counter() > deadline:
                    raise TimeoutError(f"{user}: Dovecot did not get {messages} messages in time")
                time.sleep(POLL_INTERVAL)
            seconds = time.perf_counter() - started
            _check_subjects(imap, subject, messages)
        return Run(seconds, accepted, None)


def _check_subjects(imap: imaplib.IMAP4, subject: str, expected: int) -> None:
    imap.select("INBOX", readonly=True)
    _, data = imap.search(None, "SUBJECT", subject)
    found = len(data[0].split())
    if found != expected:
        raise RuntimeError(f"Dovecot holds {found} of our {expected} messages")


class AiosmtpdPeer:
    """``python -m aiosmtpd -c aiosmtpd.handlers.Sink``: accepts, stores nothing."""

    @contextmanager
    def running(self, peer: Peer) -> Iterator[Measure]:
        port = free_port()
        command = [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"{HOST}:{port}"]
        command += ["-c", "aiosmtpd.handlers.Sink"]
        peer.command = " ".join(command)
        process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            wait_for_port(port, 30.0, process)

            def measure(messages: int, round_no: int) -> Run:
                before = cpu_seconds(process.pid)
                seconds = run_source(port, messages, "sink@example.test")
                return Run(seconds, seconds, cpu_seconds(process.pid) - before)

            yield measure
        finally:
            stop_process(process)


# -- the run -------------------------------------------------------------------


def run_rounds(messages: int, rounds: int, workdir: Path, stack_root: Path) -> list[Peer]:
    reference = Peer("reference (durable)", "250 after fsync; INBOX checked")
    stack = Peer("postfix -> dovecot (e2e)", "until Dovecot's INBOX has them all")
    sink = Peer("aiosmtpd Sink (no storage)", "accepts and discards")
    peers: list[tuple[Peer, Runner]] = [(reference, ReferencePeer(workdir / "reference"))]
    why_no_stack = stack_unavailable()
    if why_no_stack is None:
        peers.append((stack, StackPeer(open_stack(stack_root))))
        stack.command = " ".join(smtp_source(STACK_SMTP, messages, STACK_LOAD_USERS[0]))
    else:
        print(f"postfix -> dovecot skipped: {why_no_stack}")
    if importlib.util.find_spec("aiosmtpd") is not None:
        peers.append((sink, AiosmtpdPeer()))
    else:
        print("aiosmtpd skipped: not installed (benchmark-only: .venv/bin/pip install aiosmtpd)")
    _alternate(peers, messages, rounds)
    return [peer for peer, _ in peers]


def _alternate(peers: list[tuple[Peer, Runner]], messages: int, rounds: int) -> None:
    """Round by round, each peer in turn (every peer stays up for the whole run)."""
    with ExitStack() as stack:
        measures = [(peer, stack.enter_context(runner.running(peer))) for peer, runner in peers]
        for round_no in range(rounds):
            for peer, measure in measures:
                run = measure(messages, round_no)
                peer.runs.append(run)
                print(
                    f"  round {round_no + 1}: {peer.name:<28} {messages / run.seconds:8.0f} msgs/s"
                )


def report(peers: list[Peer], messages: int, rounds: int) -> None:
    by_name = {peer.name.split()[0]: peer for peer in peers if peer.runs}
    stack, sink = by_name.get("postfix"), by_name.get("aiosmtpd")
    print()
    print(
        f"SMTP ingest: {messages} x {SIZE} B messages, {SESSIONS} sessions reusing their "
        f"connection, median of {rounds} round(s); {machine_note()}"
    )
    rows = []
    for peer in peers:
        if not peer.runs:
            continue
        rate = peer.rate(messages)
        accepted = peer.accepted_rate(messages) if peer is stack else None
        cpu = peer.cpu_per_message(messages)
        vs_stack = rate / stack.rate(messages) if stack else None
        vs_sink = rate / sink.rate(messages) if sink else None
        rows.append([peer.name, rate, accepted, cpu, vs_stack, vs_sink, peer.note])
    print_table(
        ["peer", "msgs/s", "accepted/s", "CPU us/msg", "x postfix", "x aiosmtpd", "how"], rows
    )
    _verdicts(by_name.get("reference"), stack, sink, messages)
    print("commands:")
    for peer in peers:
        if peer.command:
            print(f"  {peer.name}: {peer.command}")
    print(f"  load: {' '.join(smtp_source(0, messages, 'RCPT'))}  (PORT and RCPT per peer)")
    print(
        "limits: a 2-core machine shared by smtp-source, the peer and whatever else runs; "
        "the reference is one Python process (its event loop thread plus the store's "
        "writer thread), so its CPU per message sets its rate; Postfix -> Dovecot waits "
        "on its queue manager and LMTP delivery, not on CPU."
    )


def _verdicts(reference: Peer | None, stack: Peer | None, sink: Peer | None, n: int) -> None:
    if reference is None:
        return
    if stack is not None:
        ratio = reference.rate(n) / stack.rate(n)
        print(f"target reference >= 3x postfix -> dovecot: {ratio:.2f}x {_verdict(ratio >= 3)}")
    if sink is not None:
        ratio = reference.rate(n) / sink.rate(n)
        print(f"target reference faster than aiosmtpd: {ratio:.2f}x {_verdict(ratio > 1)}")


def _verdict(met: bool) -> str:
    return "MET" if met else "MISSED"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1000 messages, 1 round")
    parser.add_argument("--messages", type=int, default=5000, help="messages per peer per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=None, help="scratch space (default: /tmp)")
    parser.add_argument(
        "--stack-root", type=Path, default=Path("/tmp/bench-stack"), help="ROOT if we start it"
    )
    args = parser.parse_args()
    messages, rounds = (1000, 1) if args.quick else (args.messages, args.rounds)
    with tempfile.TemporaryDirectory(dir=args.dir, prefix="bench-smtp-") as tmp:
        peers = run_rounds(messages, rounds, Path(tmp), args.stack_root)
    report(peers, messages, rounds)


if __name__ == "__main__":
    main()
