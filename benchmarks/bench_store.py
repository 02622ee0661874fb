"""Durable appends per second into the mail store, 1 writer against 20.

    .venv/bin/python -m benchmarks.bench_store [--messages N] [--size BYTES] [--dir PATH]

Every append is acknowledged only after its transaction is fsynced
(synchronous=FULL). With one writer each append pays a whole fsync; with many
concurrent writers the group-commit writer puts every request that queued
during the previous fsync into the next transaction, so one fsync
acknowledges many appends. The raw fsync rate of the same disk is printed as
the ceiling for the one-writer case.
"""

from __future__ import annotations

import argparse
import itertools
import os
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import trio

from harness.server.store import Mailstore, open_mailstore


@dataclass(frozen=True)
class Result:
    label: str
    appends: int
    seconds: float
    commits: int

    def row(self) -> str:
        rate = self.appends / self.seconds
        batch = self.appends / max(1, self.commits)
        return f"{self.label:<22} {rate:>10.0f} {self.commits:>9} {batch:>10.1f}"


_serial = itertools.count()


def unique_message(size: int) -> bytes:
    """Distinct bytes each time, so content de-duplication cannot flatter the figures."""
    head = b"Message-ID: <%d@bench.test>\r\n\r\n" % next(_serial)
    return (head + b"x" * size)[:size]


def raw_fsyncs_per_second(directory: Path, rounds: int = 200) -> float:
    path = directory / "fsync-probe"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    try:
        started = time.perf_counter()
        for _ in range(rounds):
            os.write(fd, b"x" * 1024)
            os.fsync(fd)
        return rounds / (time.perf_counter() - started)
    finally:
        os.close(fd)
        path.unlink()


def run_threads(directory: Path, writers: int, messages: int, size: int) -> Result:
    with Mailstore(directory) as store:
        inbox = store.inbox(store.create_user("bench@example.test").name)
        per_writer = messages // writers
        start = threading.Barrier(writers + 1)

        def write() -> None:
            start.wait()
            for _ in range(per_writer):
                store.append(inbox.id, unique_message(size))

        threads = [threading.Thread(target=write) for _ in range(writers)]
        for thread in threads:
            thread.start()
        before = store.stats().commits
        start.wait()
        started = time.perf_counter()
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - started
        commits = store.stats().commits - before
    return Result(f"{writers} writer thread(s)", per_writer * writers, seconds, commits)


def run_trio_tasks(directory: Path, tasks: int, messages: int, size: int) -> Result:
    async def main() -> Result:
        async with open_mailstore(directory) as store:
            inbox = await store.inbox((await store.create_user("bench@example.test")).name)
            per_task = messages // tasks
            before = store.sync.stats().commits

            async def write() -> None:
                for _ in range(per_task):
                    await store.append(inbox.id, unique_message(size))

            started = time.perf_counter()
            async with trio.open_nursery() as nursery:
                for _ in range(tasks):
                    nursery.start_soon(write)
            seconds = time.perf_counter() - started
            commits = store.sync.stats().commits - before
        return Result(f"{tasks} trio tasks", per_task * tasks, seconds, commits)

    return trio.run(main)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=4000, help="appends per run")
    parser.add_argument("--size", type=int, default=1024, help="message size in bytes")
    parser.add_argument("--dir", type=Path, default=None, help="where to put the stores")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir, prefix="bench-store-") as tmp:
        root = Path(tmp)
        print(f"store under {root} ({args.messages} appends of {args.size} bytes per run)")
        print(f"raw fsync ceiling: {raw_fsyncs_per_second(root):.0f} fsyncs/s")
        print(f"{'writers':<22} {'appends/s':>10} {'commits':>9} {'per commit':>10}")
        one = run_threads(root / "one", 1, args.messages // 4, args.size)
        print(one.row())
        many = run_threads(root / "twenty", 20, args.messages, args.size)
        print(many.row())
        print(run_trio_tasks(root / "trio", 20, args.messages, args.size).row())
        speedup = (many.appends / many.seconds) / (one.appends / one.seconds)
        print(f"group commit: {speedup:.1f}x the single-writer rate")


if __name__ == "__main__":
    main()
