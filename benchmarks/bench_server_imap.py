"""IMAP with imaplib: FETCH, APPEND and LOGIN/LOGOUT, the reference server against Dovecot.

    .venv/bin/python -m benchmarks.bench_server_imap [--quick] [--messages N] [--rounds R]

One imaplib client, one command at a time (imaplib does not pipeline), runs
the same steps against each peer; peers take turns within each round and the
figures are medians over rounds, compared as ratios:

* APPEND: N messages of 1 KB into an emptied INBOX (each acknowledged only once
  stored: the reference server fsyncs, Dovecot writes a maildir file);
* FETCH, one message per command: ``FETCH n (BODY.PEEK[])`` for every n;
* FETCH, a range: ``FETCH 1:N (BODY.PEEK[])``, messages per second;
* LOGIN/LOGOUT: connect, LOGIN, LOGOUT, close, per second.

The reference server is ``mailharness serve`` in a subprocess with a fresh data
dir (account load1); Dovecot is the private stack's (examples/dovecot-postfix,
account load78, emptied before and after). Target (issue 3): FETCH >= 1x
Dovecot.

What limits it: the client is Python (imaplib parses every response line and
literal), so it costs about as much CPU per command as a fast server, and caps
what any server can show; both servers share 2 cores with it. LOGIN on the
reference server checks the password against a SCRAM-SHA-256 verifier
(PBKDF2, 4096 iterations: about a millisecond of CPU by design), while the
stack's Dovecot compares a plaintext password.
"""

from __future__ import annotations

import argparse
import imaplib
import itertools
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.peers import (
    HOST,
    REFERENCE_PASSWORD,
    STACK_IMAP,
    STACK_LOAD_USERS,
    STACK_PASSWORD,
    MailStack,
    machine_note,
    median,
    open_stack,
    print_table,
    reference_server,
    stack_unavailable,
)

SIZE = 1024
LOGINS = 200  # connect + LOGIN + LOGOUT per round
STEPS = ("FETCH 1 msg/command", "FETCH 1:N range", "APPEND", "LOGIN+LOGOUT")
_serial = itertools.count()


@dataclass(frozen=True)
class Account:
    port: int
    user: str
    password: str


@dataclass
class Peer:
    name: str
    command: str
    rates: dict[str, list[float]] = field(default_factory=dict)

    def record(self, step: str, rate: float) -> None:
        self.rates.setdefault(step, []).append(rate)

    def rate(self, step: str) -> float | None:
        values = self.rates.get(step)
        return median(values) if values else None


def message(size: int = SIZE) -> bytes:
    """A distinct 1 KB message with CRLF line ends."""
    head = (
        f"From: bench@example.test\r\nTo: load@example.test\r\n"
        f"Subject: bench {next(_serial)}\r\nMessage-ID: <{next(_serial)}@bench.test>\r\n\r\n"
    ).encode()
    body = (b"x" * 76 + b"\r\n") * (size // 78 + 1)
    return (head + body)[: size - 2] + b"\r\n"


@contextmanager
def logged_in(account: Account) -> Iterator[imaplib.IMAP4]:
    imap = imaplib.IMAP4(HOST, account.port)
    try:
        imap.login(account.user, account.password)
        yield imap
    finally:
        try:
            imap.logout()
        except (imaplib.IMAP4.error, OSError):
            pass


def _check(result: tuple[str, object], what: str) -> None:
    if result[0] != "OK":
        raise RuntimeError(f"{what} failed: {result!r}")


def expunge_all(imap: imaplib.IMAP4) -> None:
    _check(imap.select("INBOX"), "SELECT")
    if _count(imap):
        _check(imap.store("1:*", "+FLAGS.SILENT", "(\\Deleted)"), "STORE")
        _check(imap.expunge(), "EXPUNGE")


def _count(imap: imaplib.IMAP4) -> int:
    _, data = imap.status("INBOX", "(MESSAGES)")
    raw = data[0]
    text = raw.decode() if isinstance(raw, bytes) else str(raw)
    return int(text.rsplit("MESSAGES", 1)[1].strip(" )"))


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


# -- one round against one peer ------------------------------------------------


def measure(account: Account, messages: int, peer: Peer) -> None:
    with logged_in(account) as imap:
        expunge_all(imap)
        corpus = [message() for _ in range(messages)]
        seconds = timed(lambda: _append_all(imap, corpus))
        peer.record("APPEND", messages / seconds)
        _check(imap.select("INBOX", readonly=True), "SELECT")
        seconds = timed(lambda: _fetch_each(imap, messages))
        peer.record("FETCH 1 msg/command", messages / seconds)
        rounds = max(1, 2000 // messages)
        seconds = timed(lambda: _fetch_range(imap, messages, rounds))
        peer.record("FETCH 1:N range", messages * rounds / seconds)
        expunge_all(imap)
    logins = max(20, LOGINS * messages // 500)
    seconds = timed(lambda: _login_logout(account, logins))
    peer.record("LOGIN+LOGOUT", logins / seconds)


def _append_all(imap: imaplib.IMAP4, corpus: list[bytes]) -> None:
    for data in corpus:
        _check(imap.append("INBOX", None, None, data), "APPEND")


def _fetch_each(imap: imaplib.IMAP4, messages: int) -> None:
    for n in range(1, messages + 1):
        status, data = imap.fetch(str(n), "(BODY.PEEK[])")
        if status != "OK" or not isinstance(data[0], tuple) or len(data[0][1]) < SIZE - 2:
            raise RuntimeError(f"FETCH {n}: {status} {data!r:.200}")


def _fetch_range(imap: imaplib.IMAP4, messages: int, rounds: int) -> None:
    for _ in range(rounds):
        status, data = imap.fetch(f"1:{messages}", "(BODY.PEEK[])")
        got = sum(1 for item in data if isinstance(item, tuple))
        if status != "OK" or got != messages:
            raise RuntimeError(f"FETCH 1:{messages}: {status}, {got} messages")


def _login_logout(account: Account, count: int) -> None:
    for _ in range(count):
        imap = imaplib.IMAP4(HOST, account.port)
        _check(imap.login(account.user, account.password), "LOGIN")
        imap.logout()


# -- the run ---------------------------------------------------------------------


def run(messages: int, rounds: int, workdir: Path, stack_root: Path) -> list[Peer]:
    peers: list[tuple[Peer, Account]] = []
    with ExitStack() as stack:
        server = stack.enter_context(reference_server(workdir / "reference"))
        reference = Peer("reference", server.command)
        user = "load1@example.test"
        peers.append((reference, Account(server.ports["imap"], user, REFERENCE_PASSWORD)))
        why_not = stack_unavailable()
        if why_not is None:
            mail_stack = open_stack(stack_root)
            dovecot_user = STACK_LOAD_USERS[1]
            stack.callback(_leave_empty, mail_stack, dovecot_user)
            dovecot = Peer("dovecot", f"Dovecot on {HOST}:{STACK_IMAP} ({mail_stack.root})")
            peers.append((dovecot, Account(STACK_IMAP, dovecot_user, STACK_PASSWORD)))
        else:
            print(f"dovecot skipped: {why_not}")
        for round_no in range(rounds):
            for peer, account in peers:
                measure(account, messages, peer)
                figures = ", ".join(f"{step} {peer.rates[step][-1]:.0f}/s" for step in STEPS)
                print(f"  round {round_no + 1}: {peer.name:<10} {figures}")
    return [peer for peer, _ in peers]


def _leave_empty(stack: MailStack, user: str) -> None:
    stack.empty_inbox(user)


def report(peers: list[Peer], messages: int, rounds: int) -> None:
    reference = peers[0]
    dovecot = peers[1] if len(peers) > 1 else None
    print()
    print(
        f"IMAP with imaplib, {messages} x {SIZE} B messages, one client, median of "
        f"{rounds} round(s); {machine_note()}"
    )
    rows = []
    for step in STEPS:
        ours, theirs = reference.rate(step), dovecot.rate(step) if dovecot else None
        ratio = ours / theirs if ours and theirs else None
        rows.append([step, ours, theirs, ratio])
    print_table(["per second", "reference", "dovecot", "x dovecot"], rows)
    if dovecot is not None:
        for step in STEPS[:2]:
            ours, theirs = reference.rate(step), dovecot.rate(step)
            assert ours is not None and theirs is not None
            verdict = "MET" if ours >= theirs else "MISSED"
            print(f"target {step} >= 1x dovecot: {ours / theirs:.2f}x {verdict}")
    print("commands:")
    for peer in peers:
        print(f"  {peer.name}: {peer.command}")
    print(
        "  client: imaplib, FETCH n (BODY.PEEK[]) for each n; FETCH 1:N (BODY.PEEK[]); "
        "APPEND INBOX {1024}; connect + LOGIN + LOGOUT"
    )
    print(
        "limits: one imaplib client (Python, no pipelining) drives both servers and costs "
        "about as much CPU per command as the server does; 2 shared cores. Reference LOGIN "
        "runs PBKDF2 (SCRAM verifier, 4096 iterations), Dovecot's stack compares plaintext."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 messages, 1 round")
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=None, help="scratch space (default: /tmp)")
    parser.add_argument(
        "--stack-root", type=Path, default=Path("/tmp/bench-stack"), help="ROOT if we start it"
    )
    args = parser.parse_args()
    messages, rounds = (100, 1) if args.quick else (args.messages, args.rounds)
    with tempfile.TemporaryDirectory(dir=args.dir, prefix="bench-imap-") as tmp:
        peers = run(messages, rounds, Path(tmp), args.stack_root)
    report(peers, messages, rounds)


if __name__ == "__main__":
    main()
