"""Group commit: one thread owns the write connection and batches requests.

Sessions submit write operations (functions of a connection and a ChangeLog)
and get a ``concurrent.futures.Future``. The writer takes the first queued
request, drains everything else already queued, runs the whole batch in ONE
transaction with a SAVEPOINT per request, and commits once: one fsync for the
batch. Only then are change events published and the futures completed, so a
caller that sees its result knows the write is durable.

A request that raises is rolled back to its savepoint and fails alone. If its
error aborted the whole transaction (SQLite does that for I/O errors, disk
full and the like), the rest of the batch is run again without it.
"""

from __future__ import annotations

import queue
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, TypeVar

from harness.server.store.changes import ChangeHub, ChangeLog
from harness.server.store.errors import CommitFailed, StoreClosed
from harness.server.store.models import WriterStats

T = TypeVar("T")
WriteOp = Callable[[sqlite3.Connection, ChangeLog], T]


@dataclass
class _Request:
    op: WriteOp[Any]
    future: Future[Any]


@dataclass
class _Outcome:
    request: _Request
    value: Any = None
    error: BaseException | None = None


class _TransactionAborted(Exception):
    """A request's error rolled back the whole transaction, not just its savepoint."""

    def __init__(self, index: int, error: BaseException) -> None:
        super().__init__(str(error))
        self.index = index
        self.error = error


class GroupCommitWriter:
    def __init__(
        self, connect: Callable[[], sqlite3.Connection], hub: ChangeHub, *, max_batch: int = 1000
    ) -> None:
        self._connect = connect
        self._hub = hub
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[_Request | None] = queue.SimpleQueue()
        self._closed = False
        self._close_lock = threading.Lock()
        self._stats_lock = threading.Lock()
        self._stats = WriterStats(commits=0, requests=0, failed_requests=0, largest_batch=0)
        self._ready: Future[None] = Future()
        self._thread = threading.Thread(target=self._run, name="mailstore-writer", daemon=True)

    def start(self) -> None:
        """Start the thread and wait until the connection is open (or raise why not)."""
        self._thread.start()
        self._ready.result()

    def submit(self, op: WriteOp[T]) -> Future[T]:
        future: Future[T] = Future()
        with self._close_lock:
            if self._closed:
                raise StoreClosed("the mail store is closed")
            self._queue.put(_Request(op, future))
        return future

    def pending(self) -> int:
        """Requests queued and not yet taken into a batch (approximate)."""
        return self._queue.qsize()

    def stats(self) -> WriterStats:
        with self._stats_lock:
            return self._stats

    def close(self) -> None:
        """Finish every request submitted before this call, then stop the thread."""
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
            self._queue.put(None)
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        try:
            conn = self._connect()
        except BaseException as exc:
            self._ready.set_exception(exc)
            return
        self._ready.set_result(None)
        try:
            while (batch := self._next_batch()) is not None:
                self._run_batch(conn, batch)
        finally:
            conn.close()

    def _next_batch(self) -> list[_Request] | None:
        """Block for one request, then take whatever else is already queued."""
        first = self._queue.get()
        if first is None:
            return None
        batch = [first]
        while len(batch) < self._max_batch:
            try:
                request = self._queue.get_nowait()
            except queue.Empty:
                break
            if request is None:  # close() came in: finish this batch, then stop
                self._queue.put(None)
                break
            batch.append(request)
        return batch

    def _run_batch(self, conn: sqlite3.Connection, batch: list[_Request]) -> None:
        # A future cancelled before it ran is dropped: its caller stopped waiting.
        live = [request for request in batch if request.future.set_running_or_notify_cancel()]
        try:
            self._commit_batch(conn, live)
        except BaseException as exc:  # a bug here must not leave callers waiting forever
            for request in live:
                if not request.future.done():
                    request.future.set_exception(exc)
            if conn.in_transaction:
                conn.execute("ROLLBACK")

    def _commit_batch(self, conn: sqlite3.Connection, batch: list[_Request]) -> None:
        executed = self._execute_dropping_aborters(conn, batch)
        if executed is None:
            return
        outcomes, changes = executed
        try:
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            self._count(requests=len(batch), failed=len(batch))
            for request in batch:
                request.future.set_exception(CommitFailed(f"commit failed: {exc}"))
            return
        self._count(
            requests=len(batch), failed=sum(o.error is not None for o in outcomes), commits=1
        )
        self._hub.publish(changes.batches())
        for outcome in outcomes:
            if outcome.error is None:
                outcome.request.future.set_result(outcome.value)
            else:
                outcome.request.future.set_exception(outcome.error)

    def _execute_dropping_aborters(
        self, conn: sqlite3.Connection, batch: list[_Request]
    ) -> tuple[list[_Outcome], ChangeLog] | None:
        """Execute the batch; a request that aborts the transaction fails alone."""
        while batch:
            try:
                return self._execute(conn, batch)
            except _TransactionAborted as aborted:
                failed = batch.pop(aborted.index)
                self._count(requests=1, failed=1)
                failed.future.set_exception(aborted.error)
        return None

    def _execute(
        self, conn: sqlite3.Connection, batch: list[_Request]
    ) -> tuple[list[_Outcome], ChangeLog]:
        """Run every request under its own savepoint inside one open transaction."""
        conn.execute("BEGIN IMMEDIATE")
        merged = ChangeLog()
        outcomes = []
        for index, request in enumerate(batch):
            log = ChangeLog()
            conn.execute("SAVEPOINT request")
            try:
                value = request.op(conn, log)
            except Exception as exc:
                if not conn.in_transaction:
                    raise _TransactionAborted(index, exc) from exc
                conn.execute("ROLLBACK TO request")
                conn.execute("RELEASE request")
                outcomes.append(_Outcome(request, error=exc))
                continue
            conn.execute("RELEASE request")
            merged.absorb(log)
            outcomes.append(_Outcome(request, value=value))
        return outcomes, merged

    def _count(self, *, requests: int, failed: int, commits: int = 0) -> None:
        with self._stats_lock:
            old = self._stats
            self._stats = WriterStats(
                commits=old.commits + commits,
                requests=old.requests + requests,
                failed_requests=old.failed_requests + failed,
                largest_batch=max(old.largest_batch, requests if commits else 0),
            )
