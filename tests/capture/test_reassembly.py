"""TCP reassembly on synthesized captures: reordering, duplicates, retransmission, loss."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from harness.capture import PcapFormatError, read_segments, reassemble
from harness.capture.pcapfile import ReadStats
from harness.capture.reassembly import MarkKind
from harness.transcript import Direction
from tests.capture.synth import Conversation

GREETING = b"220 mx.example ESMTP\r\n"
MAIL = b"".join(b"line %04d of the message\r\n" % n for n in range(40))


def one(path: Path, server_ports: tuple[int, ...] = ()):  # type: ignore[no-untyped-def]
    (connection,) = reassemble(read_segments(path), server_ports)
    return connection


def test_in_order_conversation_with_handshake_and_fins(tmp_path: Path) -> None:
    talk = Conversation().handshake()
    talk.send(False, GREETING)
    talk.send(True, MAIL, segment=100)
    talk.fin(True)
    talk.fin(False)
    connection = one(talk.write(tmp_path / "x.pcap"))
    assert (str(connection.client), str(connection.server)) == ("10.0.0.1:40000", "10.0.0.2:25")
    assert connection.handshake_seen and connection.closed
    assert connection.to_server.data == MAIL and connection.to_client.data == GREETING
    assert connection.to_server.fin is not None and connection.to_server.fin.offset == len(MAIL)
    kinds = [type(item).__name__ for item in connection.timeline()]
    assert kinds[0] == "Chunk" and kinds[-2:] == ["Mark", "Mark"]


def test_out_of_order_segments_are_put_back_in_order(tmp_path: Path) -> None:
    talk = Conversation().handshake()
    segments = talk.send(True, MAIL, segment=64)
    shuffled = talk.packets[:3] + random.Random(7).sample(segments, len(segments))
    connection = one(talk.write(tmp_path / "x.pcap", shuffled))
    assert connection.to_server.data == MAIL
    assert connection.to_server.gaps == [] and connection.to_server.duplicate_octets == 0


def test_duplicates_as_seen_on_loopback_are_counted_once(tmp_path: Path) -> None:
    talk = Conversation().handshake()
    talk.send(True, MAIL, segment=200)
    doubled = [packet for packet in talk.packets for _ in range(2)]
    connection = one(talk.write(tmp_path / "x.pcap", doubled))
    assert connection.to_server.data == MAIL
    assert connection.to_server.duplicate_octets == len(MAIL)


def test_retransmission_overlapping_new_data_adds_only_the_new_part(tmp_path: Path) -> None:
    talk = Conversation().handshake()
    first = talk.send(True, MAIL[:100])
    talk.send(True, MAIL[100:])
    # the sender retransmits octets 50..300: half old, half new; then the rest again
    overlap = talk._packet(True, "PA", MAIL[50:300], talk.client_isn + 1 + 50)
    packets = [*talk.packets[:3], first[0], overlap, talk.packets[-1]]
    connection = one(talk.write(tmp_path / "x.pcap", packets))
    assert connection.to_server.data == MAIL
    assert connection.to_server.duplicate_octets == 50 + (300 - 100)


def test_a_segment_never_captured_is_a_gap_and_later_data_still_arrives(tmp_path: Path) -> None:
    talk = Conversation().handshake()
    segments = talk.send(True, MAIL, segment=100)
    talk.fin(True)
    lost = segments[3]
    packets = [p for p in talk.packets if p is not lost]
    half = one(talk.write(tmp_path / "x.pcap", packets)).to_server
    assert [(g.offset, g.length) for g in half.gaps] == [(300, 100)]
    assert half.data == MAIL[:300] + MAIL[400:]
    assert half.missing_octets == 100


def test_a_lost_tail_before_fin_is_a_gap(tmp_path: Path) -> None:
    talk = Conversation().handshake()
    segments = talk.send(True, MAIL, segment=500)
    talk.fin(True)
    packets = [p for p in talk.packets if p is not segments[-1]]
    half = one(talk.write(tmp_path / "x.pcap", packets)).to_server
    tail = len(MAIL) - 500 * (len(segments) - 1)
    assert [(g.offset, g.length) for g in half.gaps] == [(len(MAIL) - tail, tail)]


def test_sequence_numbers_wrapping_past_2_32(tmp_path: Path) -> None:
    talk = Conversation(client_isn=0xFFFFFF00).handshake()
    segments = talk.send(True, MAIL, segment=90)
    shuffled = talk.packets[:3] + segments[::-1]
    assert one(talk.write(tmp_path / "x.pcap", shuffled)).to_server.data == MAIL


def test_port_reuse_after_close_is_a_second_connection(tmp_path: Path) -> None:
    first = Conversation().handshake()
    first.send(True, b"one\r\n")
    first.fin(True)
    first.fin(False)
    second = Conversation(client_isn=90000, server_isn=7, clock=first.clock + 1).handshake()
    second.send(True, b"two\r\n")
    connections = reassemble(
        read_segments(first.write(tmp_path / "x.pcap", first.packets + second.packets))
    )
    assert [c.to_server.data for c in connections] == [b"one\r\n", b"two\r\n"]


def test_capture_started_mid_connection_guesses_the_client_by_port(tmp_path: Path) -> None:
    talk = Conversation()
    talk.send(False, b"250 ok\r\n")
    talk.send(True, b"NOOP\r\n")
    connection = one(talk.write(tmp_path / "x.pcap"))
    assert not connection.handshake_seen
    assert connection.server.port == 25 and connection.to_server.data == b"NOOP\r\n"


def test_pcapng_cooked_and_ipv6_files_read_the_same(tmp_path: Path) -> None:
    for ipv6 in (False, True):
        talk = (
            Conversation(client=("fd00::1", 40000), server=("fd00::2", 25), ipv6=True)
            if ipv6
            else Conversation()
        )
        talk.handshake()
        talk.send(True, MAIL, segment=300)
        talk.send(False, GREETING)
        written = [talk.write_pcapng(tmp_path / f"x{ipv6}.pcapng")]
        if not ipv6:
            written.append(talk.write_cooked(tmp_path / "x.cooked.pcap"))
        for path in written:
            connection = one(path)
            assert connection.to_server.data == MAIL, path
            assert connection.half(Direction.SERVER).data == GREETING


def test_ethernet_padding_is_not_read_as_payload(tmp_path: Path) -> None:
    from scapy.packet import Padding

    talk = Conversation().handshake()
    (segment,) = talk.send(True, b"A\r\n")
    padded = segment / Padding(b"\x00" * 9)
    padded.time = segment.time
    connection = one(talk.write(tmp_path / "x.pcap", [*talk.packets[:3], padded]))
    assert connection.to_server.data == b"A\r\n"


def test_a_payload_cut_by_the_snap_length_leaves_a_gap(tmp_path: Path) -> None:
    from scapy.utils import PcapWriter

    talk = Conversation().handshake()
    (segment,) = talk.send(True, MAIL[:200])
    path = tmp_path / "cut.pcap"
    with PcapWriter(str(path)) as writer:
        for packet in talk.packets[:3]:
            writer.write(packet)
        raw = bytes(segment)
        writer.write_packet(raw[:-150], sec=int(segment.time), usec=0, wirelen=len(raw))
    half = one(path).to_server
    assert half.data == MAIL[:50]
    assert [(g.offset, g.length, g.kind) for g in half.gaps] == [(50, 150, MarkKind.GAP)]


def test_not_a_pcap_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello, this is text\n")
    with pytest.raises(PcapFormatError, match="not a pcap or pcapng file"):
        list(read_segments(path))


def test_non_tcp_packets_are_counted_as_skipped(tmp_path: Path) -> None:
    from scapy.layers.inet import IP, UDP
    from scapy.layers.l2 import Ether
    from scapy.utils import wrpcap

    path = tmp_path / "udp.pcap"
    wrpcap(str(path), [Ether() / IP() / UDP(dport=53)])
    stats = ReadStats()
    assert list(read_segments(path, stats)) == []
    assert stats.packets == 1 and stats.skipped == {"not TCP": 1}
