"""One run-wide capture -> one pcap per case, each holding only that case's connections.

Cases run in parallel against the same server ports, so a capture per case
filtered by port would hold its neighbours' traffic too, and starting and
stopping a capture per case costs a settle time each. Instead one capture
runs for the whole run and is split afterwards:

* every frame of the run's pcap is assigned to a *flow*: its TCP 4-tuple,
  and a new flow on that 4-tuple whenever a fresh SYN opens it again (loopback
  reuses ports, even within seconds);
* each recorded Transcript (it knows its client and server endpoints) takes
  the flow of its 4-tuple that started nearest its first event;
* a case's pcap is the run pcap's file header plus, in capture order, the
  records of its transcripts' flows, copied octet for octet.

Only classic pcap is split (both backends write it); frames that are not
TCP over IP belong to no flow and are left out.
"""

from __future__ import annotations

import ipaddress
import mmap
import struct
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from harness.capture.pcapfile import ACK, PCAP_MAGICS, SYN, PcapFormatError, decode_frame
from harness.transcript import Endpoint, Transcript

FILE_HEADER = 24
RECORD_HEADER = 16

_Address = tuple[bytes, int]
FlowKey = tuple[_Address, _Address]  # the two ends, lower first: one key for both directions


class Record(NamedTuple):
    """Where one captured frame sits in the run pcap (header included)."""

    offset: int
    length: int


@dataclass
class Flow:
    """One TCP connection's frames, as seen on the wire."""

    key: FlowKey
    start: float
    records: list[Record] = field(default_factory=list)
    beyond_syn: bool = False  # anything but an opening SYN seen yet


def flow_key(src: bytes, sport: int, dst: bytes, dport: int) -> FlowKey:
    one, other = (src, sport), (dst, dport)
    return (one, other) if one <= other else (other, one)


def endpoint_key(client: Endpoint, server: Endpoint) -> FlowKey:
    return flow_key(_packed(client.host), client.port, _packed(server.host), server.port)


def _packed(host: str) -> bytes:
    address = ipaddress.ip_address(host.strip("[]"))
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.packed


def read_flows(data: bytes | mmap.mmap) -> list[Flow]:
    """Every TCP flow of a classic pcap held in ``data``, in order of first frame."""
    if len(data) < FILE_HEADER or bytes(data[:4]) not in PCAP_MAGICS:
        raise PcapFormatError("only classic pcap files can be split per case")
    order, unit = PCAP_MAGICS[bytes(data[:4])]
    (linktype,) = struct.unpack_from(order + "I", data, 20)
    current: dict[FlowKey, Flow] = {}
    flows: list[Flow] = []
    for record, time, frame in _records(data, order, unit):
        segment = decode_frame(time, linktype & 0xFFFF, frame)
        if segment is None:
            continue
        key = flow_key(segment.src, segment.sport, segment.dst, segment.dport)
        opening = bool(segment.flags & SYN and not segment.flags & ACK)
        flow = current.get(key)
        if flow is None or (opening and flow.beyond_syn):
            flow = current[key] = Flow(key, time)
            flows.append(flow)
        flow.records.append(record)
        flow.beyond_syn = flow.beyond_syn or not opening
    return flows


def _records(
    data: bytes | mmap.mmap, order: str, unit: float
) -> Iterator[tuple[Record, float, bytes]]:
    header = struct.Struct(order + "IIII")
    offset, end = FILE_HEADER, len(data)
    while offset + RECORD_HEADER <= end:
        seconds, fraction, captured, _original = header.unpack_from(data, offset)
        frame_start = offset + RECORD_HEADER
        if frame_start + captured > end:
            return  # a record cut short: the capture was killed while writing
        record = Record(offset, RECORD_HEADER + captured)
        yield record, seconds + fraction * unit, bytes(data[frame_start : frame_start + captured])
        offset = frame_start + captured


def flow_of(flows_by_key: Mapping[FlowKey, Sequence[Flow]], transcript: Transcript) -> Flow | None:
    """The flow of the transcript's 4-tuple that started nearest its first event."""
    if transcript.client is None or transcript.server is None:
        return None
    candidates = flows_by_key.get(endpoint_key(transcript.client, transcript.server), ())
    if not candidates:
        return None
    if not transcript.events:
        return candidates[0]
    began = transcript.events[0].wall
    return min(candidates, key=lambda flow: abs(flow.start - began))


def split_capture(
    run_pcap: Path | str, cases: Mapping[Path, Iterable[Transcript]]
) -> dict[Path, int]:
    """Write one pcap per entry of ``cases`` (path -> that case's transcripts).

    Returns the number of frames written to each. A case none of whose
    connections is in the capture still gets a valid (empty) pcap, so the
    completeness check can say "not found" about it.
    """
    with (
        open(run_pcap, "rb") as handle,
        mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data,
    ):
        flows_by_key: dict[FlowKey, list[Flow]] = {}
        for flow in read_flows(data):
            flows_by_key.setdefault(flow.key, []).append(flow)
        header = bytes(data[:FILE_HEADER])
        written = {}
        for path, transcripts in cases.items():
            records = _records_of(flows_by_key, transcripts)
            _write(path, header, data, records)
            written[path] = len(records)
    return written


def _records_of(
    flows_by_key: Mapping[FlowKey, Sequence[Flow]], transcripts: Iterable[Transcript]
) -> list[Record]:
    chosen: dict[int, Flow] = {}
    for transcript in transcripts:
        flow = flow_of(flows_by_key, transcript)
        if flow is not None:
            chosen[id(flow)] = flow
    return sorted(record for flow in chosen.values() for record in flow.records)


def _write(path: Path, header: bytes, data: bytes | mmap.mmap, records: list[Record]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as out:
        out.write(header)
        for offset, length in records:
            out.write(data[offset : offset + length])
