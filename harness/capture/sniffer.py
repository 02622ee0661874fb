"""The scapy backend: an in-process AsyncSniffer on loopback.

Cheap to start for each conformance case, but it loses packets at high rates
(over 50% above ~10k packets/s here): load runs use tcpdump. The pitfalls
measured on this kind of machine, and what is done about each:

* every loopback packet is seen twice (once going out, once coming in) by a
  packet socket: the filter gets ``and inbound``;
* a bad BPF filter raised inside scapy's sniffer thread is otherwise only
  stored on the sniffer: the listening socket is opened here, in the
  caller's thread, so the filter is compiled and any error raised at once,
  and the thread's stored exception is re-raised on start and stop;
* start-up lag: ``start()`` returns after ``started_callback`` has run;
* the reader lags the kernel: ``stop()`` waits until the count settles;
* bursts overflow the default socket buffer: it is raised to 64 MiB;
* the reader is slow because scapy dissects every packet: the socket hands
  over raw frames (its link-layer class is set to ``Raw``), written as they
  came with their kernel timestamps;
* loss is read from the kernel's PACKET_STATISTICS for the socket.

scapy is imported only when a capture starts, so ``harness`` imports without
the ``capture`` extra.
"""

from __future__ import annotations

import logging
import socket
import struct
import threading
from typing import Any

from harness.capture.backend import START_TIMEOUT, Capture, CaptureError

SOL_PACKET = 263  # linux/socket.h
PACKET_STATISTICS = 6  # linux/if_packet.h: struct tpacket_stats {packets, drops}
SO_RCVBUFFORCE = 33  # asm-generic/socket.h: root may exceed net.core.rmem_max
RECEIVE_BUFFER = 64 << 20
ETHERNET = 1


class ScapyCapture(Capture):
    """scapy's AsyncSniffer writing every packet to a PcapWriter."""

    name = "scapy"

    def _start(self) -> None:
        try:
            from scapy.config import conf
            from scapy.packet import Raw
            from scapy.sendrecv import AsyncSniffer
            from scapy.utils import PcapWriter
        except ImportError as error:
            raise CaptureError(
                f"scapy is not installed (pip install 'mailharness[capture]'): {error}"
            ) from None
        self._socket = self._open_socket(conf)
        self._tune_socket(Raw)
        self._writer = PcapWriter(str(self.path), linktype=ETHERNET, sync=False)
        self._writer.write_header(None)  # a capture of nothing is still a pcap
        started = threading.Event()
        self._sniffer: Any = AsyncSniffer(
            opened_socket=self._socket,
            prn=self._write,
            store=False,
            started_callback=started.set,
        )
        self._sniffer.start()
        self._await_start(started)

    def _open_socket(self, conf: Any) -> Any:
        # scapy warns it cannot guess lo's link type; frames are not dissected anyway
        scapy_log = logging.getLogger("scapy.runtime")
        level = scapy_log.level
        scapy_log.setLevel(logging.ERROR)
        try:
            return conf.L2listen(iface=self.interface, filter=f"({self.filter}) and inbound")
        except Exception as error:  # scapy raises Scapy_Exception, OSError, ImportError
            raise CaptureError(f"scapy cannot capture on {self.interface}: {error}") from None
        finally:
            scapy_log.setLevel(level)

    def _tune_socket(self, raw_class: Any) -> None:
        raw = self._socket.ins
        for option in (SO_RCVBUFFORCE, socket.SO_RCVBUF):
            try:
                raw.setsockopt(socket.SOL_SOCKET, option, RECEIVE_BUFFER)
                break
            except OSError:
                continue
        if hasattr(self._socket, "LL"):
            self._socket.LL = raw_class  # no dissection: frames are only written
        # Reading the statistics resets them: drops of unfiltered traffic before
        # the filter was attached are not this capture's loss.
        self._kernel_drops()

    def _write(self, packet: Any) -> None:
        """Runs in the sniffer thread: the frame as captured, with its kernel timestamp."""
        stamp = float(packet.time)
        seconds = int(stamp)
        micros = min(int((stamp - seconds) * 1e6), 999_999)
        self._writer.write_packet(bytes(packet), sec=seconds, usec=micros)

    def _await_start(self, started: threading.Event) -> None:
        thread = self._sniffer.thread
        deadline_step = 0.01
        waited = 0.0
        while not started.wait(deadline_step):
            waited += deadline_step
            if not thread.is_alive() or waited >= START_TIMEOUT:
                self._release()
                error = self._sniffer.exception
                raise CaptureError(f"scapy sniffer did not start: {error or 'timed out'}")

    def _packet_count(self) -> int:
        return int(getattr(self._sniffer, "count", 0))

    def _stop(self) -> tuple[int, int | None]:
        sniffer = self._sniffer
        try:
            if sniffer.running:
                sniffer.stop(join=False)
            sniffer.thread.join(START_TIMEOUT)
        finally:
            dropped = self._kernel_drops()
            self._release()
        if sniffer.exception is not None:
            raise CaptureError(f"scapy sniffer failed: {sniffer.exception}")
        return self._packet_count(), dropped

    def _kernel_drops(self) -> int | None:
        """tp_drops of the packet socket (reading the counters also resets them)."""
        raw = getattr(self._socket, "ins", None)
        try:
            packed = raw.getsockopt(SOL_PACKET, PACKET_STATISTICS, 8)  # type: ignore[union-attr]
        except (AttributeError, OSError):
            return None
        _received, drops = struct.unpack("II", packed)
        return int(drops)

    def _release(self) -> None:
        self._writer.close()
        self._socket.close()
