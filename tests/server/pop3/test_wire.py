"""The wire form of stored messages: CRLF normalisation, sizes and TOP's cut,
checked against simple whole-message definitions for any bytes and any chunking."""

from __future__ import annotations

import itertools
import re

from hypothesis import given
from hypothesis import strategies as st

from harness.protocols.common import DotStuffDecoder
from harness.protocols.pop3.multiline import DotStuffEncoder
from harness.server.pop3.wire import LineEndNormaliser, TopCutter, wire_form, wire_size

# Bytes rich in the octets that matter: CR, LF, dots, and blank lines.
message_bytes = st.lists(
    st.sampled_from([b"\r", b"\n", b"\r\n", b".", b"a", b"\x00", b"\xff", b" ", b"\r\n\r\n"]),
    max_size=60,
).map(b"".join)


def chunked(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts} | {0, len(data)})
    return [data[a:b] for a, b in itertools.pairwise(points)]


def normalised(data: bytes) -> bytes:
    return re.sub(rb"\r\n|\r|\n", b"\r\n", data)


def on_the_wire(data: bytes) -> bytes:
    """What a client un-stuffs from RETR: normalised, and ending in CRLF if non-empty."""
    form = normalised(data)
    return form if not form or form.endswith(b"\r\n") else form + b"\r\n"


@given(message_bytes, st.lists(st.integers(min_value=0), max_size=6))
def test_normalising_in_chunks_equals_normalising_whole(data: bytes, cuts: list[int]) -> None:
    normaliser = LineEndNormaliser()
    out = b"".join(normaliser.feed(chunk) for chunk in chunked(data, cuts)) + normaliser.end()
    assert out == normalised(data)


@given(message_bytes, st.lists(st.integers(min_value=0), max_size=6))
def test_wire_size_is_what_the_client_unstuffs(data: bytes, cuts: list[int]) -> None:
    encoder = DotStuffEncoder()
    wire = encoder.encode(normalised(data)) + encoder.end()
    decoder = DotStuffDecoder()
    buffer = bytearray(wire)
    received = decoder.decode(buffer)
    assert decoder.finished
    assert received == on_the_wire(data)
    assert wire_size(chunked(data, cuts)) == len(received)


def top_of(form: bytes, lines: int) -> bytes:
    """TOP by definition: the lines through the first empty one, then ``lines`` more."""
    all_lines = form.split(b"\r\n")
    if b"" not in all_lines[:-1]:
        return form
    blank = all_lines.index(b"")
    kept = all_lines[: blank + 1 + lines]
    cut = b"\r\n".join(kept) + b"\r\n"
    return cut if len(cut) <= len(form) else form


@given(message_bytes, st.integers(min_value=0, max_value=5), st.lists(st.integers(0), max_size=6))
def test_top_cut_in_chunks_equals_the_definition(data: bytes, lines: int, cuts: list[int]) -> None:
    form = normalised(data)
    cutter = TopCutter(lines)
    out = b"".join(cutter.feed(chunk) for chunk in chunked(form, cuts))
    assert out == top_of(form, lines)


def test_top_zero_is_the_header_and_the_blank_line() -> None:
    cutter = TopCutter(0)
    assert cutter.feed(b"A: 1\r\nB: 2\r\n\r\nbody\r\n") == b"A: 1\r\nB: 2\r\n\r\n"
    assert cutter.done


def header_of(form: bytes) -> bytes:
    """The header section by definition: up to the first empty line, else all."""
    head, blank, _ = (b"\r\n" + form).partition(b"\r\n\r\n")
    return head if blank else form


@given(message_bytes, st.lists(st.integers(min_value=0), max_size=6))
def test_header_scan_in_chunks_equals_the_definition(data: bytes, cuts: list[int]) -> None:
    form = wire_form(chunked(data, cuts))
    assert form.non_ascii_header == (not header_of(normalised(data)).isascii())
    assert form.size == wire_size([data])


def test_only_the_header_section_counts_for_utf8() -> None:
    utf8_subject = "Subject: Gr\u00fc\u00dfe\r\n\r\nbody\r\n".encode()
    eight_bit_body = "Subject: hi\r\n\r\nGr\u00fc\u00dfe\r\n".encode()
    assert wire_form([utf8_subject[:11], utf8_subject[11:]]).non_ascii_header
    assert not wire_form([eight_bit_body]).non_ascii_header  # 8BITMIME bodies are fine
    assert not wire_form([b"\r\n\xc3\xa9"]).non_ascii_header  # an empty header section
    assert wire_form([b"Subject: \xc3\xa9"]).non_ascii_header  # all header, no body
