"""Read connections: each reading thread borrows its own for one transaction.

WAL readers never block the writer nor each other, but one sqlite3
connection must not be used by two threads at once. A pool (rather than a
thread-local) bounds the number of open connections even when worker threads
come and go, as trio's thread cache makes them do.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from harness.server.store.errors import StoreClosed

T = TypeVar("T")
ReadOp = Callable[[sqlite3.Connection], T]


class ReaderPool:
    def __init__(self, connect: Callable[[], sqlite3.Connection], *, max_idle: int = 8) -> None:
        self._connect = connect
        self._max_idle = max_idle
        self._idle: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._closed = False

    def run(self, op: ReadOp[T]) -> T:
        """Run ``op`` in one read transaction: every query in it sees one snapshot."""
        with self._borrow() as conn:
            conn.execute("BEGIN")
            try:
                return op(conn)
            finally:
                conn.execute("COMMIT")

    @contextmanager
    def _borrow(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            if self._closed:
                raise StoreClosed("the mail store is closed")
            conn = self._idle.pop() if self._idle else None
        if conn is None:
            conn = self._connect()
        try:
            yield conn
        finally:
            self._give_back(conn)

    def _give_back(self, conn: sqlite3.Connection) -> None:
        with self._lock:
            if not self._closed and len(self._idle) < self._max_idle:
                self._idle.append(conn)
                return
        conn.close()

    def close(self) -> None:
        """Close idle connections; borrowed ones close when they come back."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()
