"""Whatever a capture holds, decoding never crashes and shows every captured octet."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from harness.capture.decode import decode_connection
from harness.capture.pcapfile import ACK, FIN, SYN, TcpSegment
from harness.capture.reassembly import reassemble
from harness.transcript import Direction, EventKind

CLIENT, SERVER = (b"\x0a\x00\x00\x01", 40000), (b"\x0a\x00\x00\x02", 143)
MAIL_LIKE = st.sampled_from(
    [b"220 ok\r\n", b"+OK\r\n", b"* OK\r\n", b"a1 NOOP\r\n", b".\r\n", b"\r\n", b"{3}\r\n", b"\n"]
)
PIECES = st.lists(
    st.tuples(st.booleans(), st.one_of(st.binary(min_size=1, max_size=40), MAIL_LIKE)),
    max_size=25,
)


def segments(pieces: list[tuple[bool, bytes]]) -> list[TcpSegment]:
    seq = {True: 100, False: 900}
    out = [
        TcpSegment(0.0, *CLIENT, *SERVER, 99, SYN, 0, b""),
        TcpSegment(0.1, *SERVER, *CLIENT, 899, SYN | ACK, 0, b""),
    ]
    for n, (from_client, data) in enumerate(pieces):
        src, dst = (CLIENT, SERVER) if from_client else (SERVER, CLIENT)
        out.append(TcpSegment(1.0 + n, *src, *dst, seq[from_client], ACK, len(data), data))
        seq[from_client] += len(data)
    out.append(TcpSegment(99.0, *CLIENT, *SERVER, seq[True], FIN | ACK, 0, b""))
    return out


@settings(max_examples=150, deadline=None)
@given(PIECES, st.sampled_from(["smtp", "pop3", "imap"]))
def test_any_conversation_decodes_without_crashing(
    pieces: list[tuple[bool, bytes]], protocol: str
) -> None:
    (connection,) = reassemble(segments(pieces))
    decoded = decode_connection(connection, protocol, 1)
    events = decoded.transcript.events
    if not any(event.kind is EventKind.TLS for event in events):
        for direction, from_client in ((Direction.CLIENT, True), (Direction.SERVER, False)):
            sent = b"".join(data for side, data in pieces if side is from_client)
            assert decoded.transcript.sent_by(direction) == sent
    assert all(note.index < max(len(events), 1) for note in decoded.notes)
