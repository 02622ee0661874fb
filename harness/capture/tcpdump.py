"""The tcpdump backend: kernel-level capture that keeps up with load runs.

``tcpdump -i lo -B 32768 -U -w FILE FILTER`` measured here lost nothing at
126k packets/s where scapy lost most. tcpdump prints "listening on ..." once
its filter is installed, so ``start()`` waits for that line (a bad filter
makes it exit with the reason, which is raised). ``stop()`` sends SIGINT,
as a user at a terminal would, and reads tcpdump's own account of the run
("N packets captured", "N packets dropped by kernel").

Not ``--immediate-mode``: libpcap then falls back to a ring of one
snaplen-sized slot per packet (some 500 slots in 32 MiB on loopback, whose
MTU is 64 KiB), and a burst while tcpdump is descheduled overflows it (seen
here: 7% of a 6000-packet burst lost). The default ring packs packets into
blocks that reach user space when full or after libpcap's 1 s timeout, and
anything still in a block at SIGINT is lost, so ``stop()`` waits until the
file has not grown for longer than that timeout: stopping costs 1.2-2.2 s, which
is why per-case captures prefer scapy and tcpdump serves whole runs.
"""

from __future__ import annotations

import os
import re
import selectors
import signal
import subprocess
import time
import weakref

from harness.capture.backend import START_TIMEOUT, Capture, CaptureError
from harness.capture.capability import tcpdump_path

BUFFER_KIB = 32768  # -B: 32 MiB of kernel ring, enough for bursts of a load run
STOP_TIMEOUT = 10.0
_COUNTER = re.compile(rb"^(\d+) packets? (captured|received by filter|dropped by kernel)", re.M)


class TcpdumpCapture(Capture):
    """A tcpdump child process writing the pcap file."""

    name = "tcpdump"
    settle_quiet_s = 1.2  # > libpcap's 1 s block timeout: the last block is written

    def _start(self) -> None:
        binary = tcpdump_path()
        if binary is None:
            raise CaptureError("tcpdump is not on PATH (Debian: apt-get install tcpdump)")
        self._process = subprocess.Popen(
            self._command(binary),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        # Never leave a tcpdump behind, even if the caller forgets stop().
        self._finalizer = weakref.finalize(self, _terminate, self._process)
        self._stderr = b""
        try:
            self._await_listening()
        except BaseException:
            self._stop()
            raise

    def _command(self, binary: str) -> list[str]:
        command = [binary, "-i", self.interface, "-B", str(BUFFER_KIB), "-U", "-n"]
        if os.geteuid() == 0:
            # tcpdump drops root for user "tcpdump" by default, which then
            # cannot write into a private (0700) output directory.
            command += ["-Z", "root"]
        return [*command, "-w", str(self.path), self.filter]

    def _await_listening(self) -> None:
        stream = self._process.stderr
        assert stream is not None
        deadline = time.monotonic() + START_TIMEOUT
        with selectors.DefaultSelector() as selector:
            selector.register(stream, selectors.EVENT_READ)
            while b"listening on" not in self._stderr:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise CaptureError(f"tcpdump did not start within {START_TIMEOUT:.0f}s")
                if not selector.select(left):
                    continue
                chunk = os.read(stream.fileno(), 4096)
                if not chunk:
                    self._process.wait(timeout=STOP_TIMEOUT)
                    raise CaptureError(f"tcpdump failed: {self._stderr_text()}")
                self._stderr += chunk

    def _packet_count(self) -> int:
        try:
            return self.path.stat().st_size
        except FileNotFoundError:
            return 0

    def _stop(self) -> tuple[int, int | None]:
        process = self._process
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
        try:
            _, rest = process.communicate(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            _, rest = process.communicate()
        self._finalizer.detach()
        self._stderr += rest or b""
        counters = {kind: int(n) for n, kind in _COUNTER.findall(self._stderr)}
        if b"captured" not in counters:
            raise CaptureError(f"tcpdump ended without its summary: {self._stderr_text()}")
        return counters[b"captured"], counters.get(b"dropped by kernel")

    def _stderr_text(self) -> str:
        return self._stderr.decode("utf-8", "replace").strip() or "(no message)"


def _terminate(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
