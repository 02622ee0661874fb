"""The shared framing pieces: bounded lines and the dot-stuffing codec."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.protocols.common import DotStuffDecoder, LineBuffer, LineTooLong, dot_stuff


def decode_in_pieces(wire: bytes, cut: int) -> tuple[bytes, DotStuffDecoder, bytearray]:
    decoder = DotStuffDecoder()
    buf = bytearray(wire[:cut])
    out = decoder.decode(buf)
    buf += wire[cut:]
    out += decoder.decode(buf)
    return out, decoder, buf


@given(st.binary(max_size=300), st.integers(min_value=0, max_value=400))
def test_dot_stuffing_round_trips_at_any_split(body: bytes, cut: int) -> None:
    body = body.replace(b"\r", b"").replace(b"\n", b"\r\n")  # only CRLF line ends
    out, decoder, rest = decode_in_pieces(dot_stuff(body) + b"NEXT", cut)
    expected = body if body.endswith(b"\r\n") or not body else body + b"\r\n"
    assert out == expected
    assert decoder.finished
    assert bytes(rest) == b"NEXT"


@pytest.mark.parametrize(
    "smuggle",
    [b"\n.\n", b"\n.\r\n", b"\r.\r", b"\r\n.\n", b"\r.\r\n", b"\n.\r"],
)
def test_end_of_data_only_at_crlf_dot_crlf(smuggle: bytes) -> None:
    wire = b"Subject: x\r\n\r\nbody" + smuggle + b"MAIL FROM:<evil@x>\r\n"
    decoder = DotStuffDecoder()
    buf = bytearray(wire)
    decoder.decode(buf)
    assert not decoder.finished
    assert decoder.saw_bare_lf or decoder.saw_bare_cr


def test_line_buffer_recovers_after_overlong_line() -> None:
    lines = LineBuffer(max_line=16)
    lines.feed(b"A" * 40)
    with pytest.raises(LineTooLong):
        lines.next_line()
    lines.feed(b"AAAA\r\nNOOP\r\n")
    assert lines.next_line() == b"NOOP\r\n"
    assert len(lines) == 0


def test_line_buffer_keeps_terminator_so_bare_lf_is_visible() -> None:
    lines = LineBuffer(max_line=100)
    lines.feed(b"EHLO a\nQUIT\r\n")
    assert lines.next_line() == b"EHLO a\n"
    assert lines.next_line() == b"QUIT\r\n"
    assert lines.next_line() is None
