"""What every capture backend shares: the interface, its result, the filter, settling.

A capture is a context manager around the traffic it must see::

    with open_capture("auto", pcap_path, ports=[2525, 1143]) as capture:
        ...                      # connections made here are in the file
    capture.stats                # packets written, kernel drops, backend

``start()`` returns only once packets are being captured (no start-up lag
eats the first SYN); ``stop()`` first waits until the packet count stops
growing (the reader may still be behind the kernel), then stops the backend
and reports what it knows about loss. Both are blocking calls: a trio caller
runs them with ``trio.to_thread.run_sync``.
"""

from __future__ import annotations

import abc
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

LOOPBACK = "lo"
SETTLE_POLL = 0.05  # seconds between looks at the packet count
SETTLE_LIMIT = 5.0  # seconds beyond the quiet time: a reader still growing is stopped anyway
START_TIMEOUT = 10.0


class CaptureError(RuntimeError):
    """The capture could not start or failed while running (bad filter, no rights...)."""


@dataclass(frozen=True)
class CaptureStats:
    """What one capture wrote and what it knows about loss.

    ``dropped`` counts packets the kernel dropped before the backend read
    them (None: the backend cannot tell). Loss in the file is measured
    independently by the completeness check (``harness.capture.completeness``).
    """

    backend: str
    path: Path
    filter: str
    packets: int
    dropped: int | None
    duration_s: float

    def describe(self) -> str:
        drops = "drops unknown" if self.dropped is None else f"{self.dropped} dropped by kernel"
        return f"{self.backend}: {self.packets} packets to {self.path} ({drops})"


def capture_filter(ports: Iterable[int] = (), bpf: str | None = None) -> str:
    """The BPF filter for TCP on ``ports`` (and/or a caller's own expression)."""
    port_list = sorted(set(ports))
    parts = []
    if port_list:
        alternatives = " or ".join(f"port {port}" for port in port_list)
        parts.append(f"tcp and ({alternatives})")
    if bpf:
        parts.append(f"({bpf})")
    if not parts:
        raise ValueError("a capture needs ports or a BPF filter (never capture all of lo)")
    return " and ".join(parts)


class Capture(abc.ABC):
    """One running packet capture into one pcap file."""

    name = "capture"
    settle_quiet_s = 0.15  # no growth for this long means the reader has caught up

    def __init__(
        self,
        path: Path | str,
        *,
        ports: Iterable[int] = (),
        bpf: str | None = None,
        interface: str = LOOPBACK,
    ) -> None:
        self.path = Path(path)
        self.filter = capture_filter(ports, bpf)
        self.interface = interface
        self.stats: CaptureStats | None = None
        self._started_at = 0.0
        self._running = False

    def start(self) -> None:
        """Begin capturing; returns once packets sent from now on are seen."""
        if self._running:
            raise CaptureError(f"{self.name} capture to {self.path} is already running")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._started_at = time.monotonic()
        self._start()
        self._running = True

    def stop(self) -> CaptureStats:
        """Wait for the reader to catch up, stop, and return the statistics."""
        if not self._running:
            if self.stats is None:
                raise CaptureError(f"{self.name} capture to {self.path} was never started")
            return self.stats
        self._running = False
        try:
            settle(self._packet_count, self.settle_quiet_s)
        finally:
            packets, dropped = self._stop()
        self.stats = CaptureStats(
            self.name,
            self.path,
            self.filter,
            packets,
            dropped,
            round(time.monotonic() - self._started_at, 3),
        )
        return self.stats

    def __enter__(self) -> Capture:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._running:
            self.stop()

    @abc.abstractmethod
    def _start(self) -> None: ...

    @abc.abstractmethod
    def _packet_count(self) -> int:
        """A number that grows while packets are still being written."""

    @abc.abstractmethod
    def _stop(self) -> tuple[int, int | None]:
        """Stop for good, always releasing the backend: (packets written, kernel drops)."""


def settle(
    count: Callable[[], int], quiet_s: float, *, clock: Callable[[], float] = time.monotonic
) -> int:
    """Poll ``count`` until it has not grown for ``quiet_s`` (bounded in time)."""
    deadline = clock() + quiet_s + SETTLE_LIMIT
    last, quiet_since = count(), clock()
    while clock() - quiet_since < quiet_s and clock() < deadline:
        time.sleep(SETTLE_POLL)
        now = count()
        if now != last:
            last, quiet_since = now, clock()
    return last
