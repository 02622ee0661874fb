"""A small, fast reader of the TCP segments in a pcap or pcapng file.

Only what stream reassembly needs is decoded: timestamps, IPv4/IPv6
addresses, ports, sequence numbers, flags and the payload. Parsing is done
with ``struct`` on the raw bytes, never with scapy's dissector (which reads
some 8k packets/s; this reader does well over 100k/s), so a capture of a
load run can be analysed in seconds.

Link types handled: Ethernet (what ``tcpdump -i lo`` writes), Linux cooked
v1/v2 (``-i any``), raw IP, BSD loopback. IP fragments and IPv6 extension
headers are counted as skipped, not decoded: mail clients do not produce them
on the paths this tool looks at.
"""

from __future__ import annotations

import mmap
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

PCAP_MAGICS = {
    b"\xd4\xc3\xb2\xa1": ("<", 1e-6),
    b"\xa1\xb2\xc3\xd4": (">", 1e-6),
    b"\x4d\x3c\xb2\xa1": ("<", 1e-9),
    b"\xa1\xb2\x3c\x4d": (">", 1e-9),
}
PCAPNG_SECTION = b"\x0a\x0d\x0d\x0a"

# linktype -> how to find the IP header: ("fixed", offset) or a named rule
LINK_ETHERNET, LINK_SLL, LINK_SLL2 = 1, 113, 276
LINK_NULL, LINK_LOOP = 0, 108
LINK_RAW = frozenset({101, 12, 14, 228, 229})
_ETHERTYPE_IPV4, _ETHERTYPE_IPV6, _ETHERTYPE_VLAN = 0x0800, 0x86DD, 0x8100
_BSD_IPV6 = frozenset({24, 28, 30})

_IPV4_HEAD = struct.Struct("!BxH2xHxB2x4s4s")  # ver/ihl, total length, frag, proto, src, dst
_IPV6_HEAD = struct.Struct("!4xHBx16s16s")  # payload length, next header, src, dst
_TCP_HEAD = struct.Struct("!HHIIBB")  # ports, seq, ack, data offset, flags

FIN, SYN, RST, ACK = 0x01, 0x02, 0x04, 0x10


class PcapFormatError(ValueError):
    """The file is not a pcap or pcapng file this reader understands."""


class TcpSegment(NamedTuple):
    """One TCP segment as captured. Addresses are raw (4 or 16 octets).

    ``length`` is the payload length the IP header announces; ``payload`` may
    be shorter when the capture's snap length cut the packet.
    """

    time: float
    src: bytes
    sport: int
    dst: bytes
    dport: int
    seq: int
    flags: int
    length: int
    payload: bytes


@dataclass
class ReadStats:
    """What the reader saw besides TCP segments."""

    packets: int = 0
    tcp_segments: int = 0
    skipped: dict[str, int] = field(default_factory=dict)

    def skip(self, why: str) -> None:
        self.skipped[why] = self.skipped.get(why, 0) + 1


def read_segments(path: Path | str, stats: ReadStats | None = None) -> Iterator[TcpSegment]:
    """Every TCP segment of the file, in file order (pcap or pcapng)."""
    stats = stats if stats is not None else ReadStats()
    with open(path, "rb") as handle:
        head = handle.read(4)
        if len(head) < 4:
            raise PcapFormatError(f"{path}: too short to be a pcap file")
        if head not in PCAP_MAGICS and head != PCAPNG_SECTION:
            raise PcapFormatError(f"{path}: not a pcap or pcapng file (starts {head.hex()})")
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
            frames = _pcap_frames(data) if head in PCAP_MAGICS else _pcapng_frames(data)
            for time, linktype, frame in frames:
                stats.packets += 1
                segment = _decode_frame(time, linktype, frame, stats)
                if segment is not None:
                    stats.tcp_segments += 1
                    yield segment


def _pcap_frames(data: mmap.mmap) -> Iterator[tuple[float, int, bytes]]:
    """Classic pcap: a 24-octet header, then records of 16-octet header + frame."""
    if len(data) < 24:
        raise PcapFormatError("pcap file header is truncated")
    order, unit = PCAP_MAGICS[bytes(data[:4])]
    (linktype,) = struct.unpack_from(order + "I", data, 20)
    record = struct.Struct(order + "IIII")
    offset, end = 24, len(data)
    while offset + 16 <= end:
        seconds, fraction, captured, _original = record.unpack_from(data, offset)
        offset += 16
        if offset + captured > end:
            return  # the last record was cut short (capture still running or killed)
        yield seconds + fraction * unit, linktype & 0xFFFF, data[offset : offset + captured]
        offset += captured


def _pcapng_frames(data: mmap.mmap) -> Iterator[tuple[float, int, bytes]]:
    """pcapng: sections of blocks; interfaces carry the link type and time unit."""
    offset, end = 0, len(data)
    order = "<"
    interfaces: list[tuple[int, float]] = []
    while offset + 12 <= end:
        if data[offset : offset + 4] == PCAPNG_SECTION:
            order = "<" if data[offset + 8 : offset + 12] == b"\x4d\x3c\x2b\x1a" else ">"
            interfaces = []
        kind, length = struct.unpack_from(order + "II", data, offset)
        if length < 12 or offset + length > end:
            return
        body = offset + 8
        if kind == 1:
            interfaces.append(_interface(data, order, body, offset + length - 4))
        elif kind == 6 and interfaces:
            frame = _enhanced_packet(data, order, body, interfaces)
            if frame is not None:
                yield frame
        elif kind == 3 and interfaces:
            (original,) = struct.unpack_from(order + "I", data, body)
            captured = min(original, length - 16)
            yield 0.0, interfaces[0][0], data[body + 4 : body + 4 + captured]
        offset += length


def _interface(data: mmap.mmap, order: str, body: int, end: int) -> tuple[int, float]:
    """An Interface Description Block: link type and timestamp unit (if_tsresol)."""
    (linktype,) = struct.unpack_from(order + "H", data, body)
    unit = 1e-6
    option = body + 8
    while option + 4 <= end:
        code, size = struct.unpack_from(order + "HH", data, option)
        if code == 0:
            break
        if code == 9 and size >= 1:
            resolution = data[option + 4]
            unit = 2.0 ** -(resolution & 0x7F) if resolution & 0x80 else 10.0**-resolution
        option += 4 + (size + 3) // 4 * 4
    return linktype, unit


def _enhanced_packet(
    data: mmap.mmap, order: str, body: int, interfaces: list[tuple[int, float]]
) -> tuple[float, int, bytes] | None:
    interface, high, low, captured, _original = struct.unpack_from(order + "IIIII", data, body)
    if interface >= len(interfaces):
        return None
    linktype, unit = interfaces[interface]
    start = body + 20
    return ((high << 32) | low) * unit, linktype, data[start : start + captured]


def _ip_offset(linktype: int, frame: bytes) -> int | None:
    """Where the IP header starts in a frame of this link type (None: not IP)."""
    if linktype == LINK_ETHERNET:
        offset, ethertype = 14, int.from_bytes(frame[12:14], "big")
        if ethertype == _ETHERTYPE_VLAN:
            offset, ethertype = 18, int.from_bytes(frame[16:18], "big")
        return offset if ethertype in (_ETHERTYPE_IPV4, _ETHERTYPE_IPV6) else None
    if linktype == LINK_SLL:
        return 16 if int.from_bytes(frame[14:16], "big") in (0x0800, 0x86DD) else None
    if linktype == LINK_SLL2:
        return 20 if int.from_bytes(frame[0:2], "big") in (0x0800, 0x86DD) else None
    if linktype in (LINK_NULL, LINK_LOOP):
        family = int.from_bytes(frame[0:4], "little" if linktype == LINK_NULL else "big")
        if family not in (2, *_BSD_IPV6):
            family = int.from_bytes(frame[0:4], "big")  # NULL is host order: try both
        return 4 if family in (2, *_BSD_IPV6) else None
    if linktype in LINK_RAW:
        return 0
    return None


def decode_frame(
    time: float, linktype: int, frame: bytes, stats: ReadStats | None = None
) -> TcpSegment | None:
    """One captured frame -> its TCP segment, or None (not TCP over IP; counted in ``stats``)."""
    return _decode_frame(time, linktype, frame, stats if stats is not None else ReadStats())


def _decode_frame(time: float, linktype: int, frame: bytes, stats: ReadStats) -> TcpSegment | None:
    offset = _ip_offset(linktype, frame)
    if offset is None or len(frame) < offset + 20:
        stats.skip("not IP")
        return None
    version = frame[offset] >> 4
    if version == 4:
        head_byte, total, fragment, proto, src, dst = _IPV4_HEAD.unpack_from(frame, offset)
        if proto != 6:
            stats.skip("not TCP")
            return None
        if fragment & 0x3FFF:
            stats.skip("IP fragment")
            return None
        tcp = offset + (head_byte & 0x0F) * 4
        ip_end = offset + total  # Ethernet pads short frames: trust the IP length
    elif version == 6 and len(frame) >= offset + 40:
        payload_length, proto, src, dst = _IPV6_HEAD.unpack_from(frame, offset)
        if proto != 6:
            stats.skip("not TCP (or IPv6 extension headers)")
            return None
        tcp = offset + 40
        ip_end = tcp + payload_length
    else:
        stats.skip("not IP")
        return None
    if len(frame) < tcp + 20:
        stats.skip("TCP header cut by snap length")
        return None
    sport, dport, seq, _ack, data_offset, flags = _TCP_HEAD.unpack_from(frame, tcp)
    start = tcp + (data_offset >> 4) * 4
    length = max(ip_end - start, 0)
    return TcpSegment(time, src, sport, dst, dport, seq, flags, length, frame[start:ip_end])
