"""Synthesized TCP conversations written as pcap files with scapy.

``Conversation`` tracks both sides' sequence numbers, so a test can say
"the client sends these octets" and then reorder, duplicate or drop the
packets before writing them, exactly as a lossy or racy capture would.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scapy.layers.inet import IP, TCP
from scapy.layers.inet6 import IPv6
from scapy.layers.l2 import CookedLinux, Ether
from scapy.packet import Packet, Raw
from scapy.utils import PcapNgWriter, wrpcap

MAC = "02:00:00:00:00:01"
CLIENT, SERVER = ("10.0.0.1", 40000), ("10.0.0.2", 25)


@dataclass
class Conversation:
    client: tuple[str, int] = CLIENT
    server: tuple[str, int] = SERVER
    client_isn: int = 1000
    server_isn: int = 5000
    ipv6: bool = False
    packets: list[Packet] = field(default_factory=list)
    clock: float = 1_700_000_000.0

    def __post_init__(self) -> None:
        self.seq = {True: self.client_isn, False: self.server_isn}

    def _packet(self, from_client: bool, flags: str, payload: bytes, seq: int) -> Packet:
        src, dst = (self.client, self.server) if from_client else (self.server, self.client)
        layer: Any = IPv6(src=src[0], dst=dst[0]) if self.ipv6 else IP(src=src[0], dst=dst[0])
        packet = (
            Ether(src=MAC, dst=MAC) / layer / TCP(sport=src[1], dport=dst[1], flags=flags, seq=seq)
        )
        if payload:
            packet = packet / Raw(payload)
        self.clock += 0.001
        packet.time = self.clock
        return packet

    def handshake(self) -> Conversation:
        self.packets.append(self._packet(True, "S", b"", self.seq[True]))
        self.packets.append(self._packet(False, "SA", b"", self.seq[False]))
        self.seq[True] += 1
        self.seq[False] += 1
        self.packets.append(self._packet(True, "A", b"", self.seq[True]))
        return self

    def send(self, from_client: bool, data: bytes, segment: int = 0) -> list[Packet]:
        """Append data segments (``segment`` octets each; 0: one segment) and return them."""
        size = segment or len(data) or 1
        sent = []
        for start in range(0, len(data), size):
            piece = data[start : start + size]
            sent.append(self._packet(from_client, "PA", piece, self.seq[from_client] & 0xFFFFFFFF))
            self.seq[from_client] += len(piece)
        self.packets += sent
        return sent

    def fin(self, from_client: bool) -> Packet:
        packet = self._packet(from_client, "FA", b"", self.seq[from_client] & 0xFFFFFFFF)
        self.seq[from_client] += 1
        self.packets.append(packet)
        return packet

    def write(self, path: Path, packets: list[Packet] | None = None) -> Path:
        wrpcap(str(path), packets if packets is not None else self.packets)
        return path

    def write_pcapng(self, path: Path) -> Path:
        with PcapNgWriter(str(path)) as writer:
            for packet in self.packets:
                writer.write(packet)
        return path

    def write_cooked(self, path: Path) -> Path:
        """As ``tcpdump -i any`` would: Linux cooked (SLL) frames."""
        cooked = []
        for packet in self.packets:
            frame = CookedLinux(proto=0x0800) / packet[IP]
            frame.time = packet.time
            cooked.append(frame)
        wrpcap(str(path), cooked)
        return path


def conversation_pcap(
    path: Path, exchanges: list[tuple[str, bytes]], server_port: int = 25, close: bool = True
) -> Path:
    """A pcap of one connection: ("C", bytes) and ("S", bytes) in order, then FINs."""
    talk = Conversation(server=("10.0.0.2", server_port)).handshake()
    for side, data in exchanges:
        talk.send(side == "C", data)
    if close:
        talk.fin(True)
        talk.fin(False)
    return talk.write(path)
