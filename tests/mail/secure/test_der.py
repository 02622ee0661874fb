"""The DER writer and BER reader: what we write, we read back; bad input is DerError."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.mail.secure import der


@given(st.integers(-(2**300), 2**300))
def test_integers_round_trip(value: int) -> None:
    assert der.read_one(der.integer(value)).as_int() == value


@given(
    st.lists(st.integers(0, 2**64), min_size=1, max_size=8), st.integers(0, 2), st.integers(0, 39)
)
def test_object_identifiers_round_trip(rest: list[int], first: int, second: int) -> None:
    dotted = ".".join(str(arc) for arc in (first, second, *rest))
    assert der.read_one(der.oid(dotted)).as_oid() == dotted


@given(st.binary(max_size=70000))
def test_lengths_of_every_form_round_trip(content: bytes) -> None:
    node = der.read_one(der.octet_string(content))
    assert node.as_octets() == content


def test_known_encodings() -> None:
    assert der.oid("1.2.840.113549.1.7.2") == bytes.fromhex("06092a864886f70d010702")
    assert der.integer(128) == bytes.fromhex("02020080")
    assert der.integer(-1) == bytes.fromhex("0201ff")
    assert der.set_of([b"\x05\x00", b"\x02\x01\x01"]) == bytes.fromhex("3105020101" + "0500")


def test_ber_indefinite_length_and_constructed_octet_strings() -> None:
    # SEQUENCE (indefinite) { OCTET STRING (constructed, indefinite) { "ab", "cd" } }
    ber = bytes.fromhex("3080" + "2480" + "04026162" + "04026364" + "0000" + "0000")
    sequence = der.read_one(ber)
    (segmented,) = sequence.children()
    assert segmented.as_octets() == b"abcd"


@pytest.mark.parametrize(
    ("octets", "message"),
    [
        (b"\x30", "truncated"),
        (b"\x04\x05abc", "truncated"),
        (b"\x04\x84\x00\x00", "truncated length"),
        (b"\x04\x80\x00\x00", "indefinite length on a primitive"),
        (b"\x1f\x01\x00", "multi-octet tags"),
        (b"\x05\x00\x00", "stray octets"),
        (b"\x06\x02\x2a\x86", "truncated OBJECT IDENTIFIER"),
        (b"\x30\x80\x05\x00", "truncated"),
    ],
)
def test_malformed_input_raises_der_error(octets: bytes, message: str) -> None:
    with pytest.raises(der.DerError, match=message):
        node = der.read_one(octets)
        if node.tag == der.OID:
            node.as_oid()


def test_type_mismatches_raise_der_error() -> None:
    node = der.read_one(der.null())
    with pytest.raises(der.DerError):
        node.as_int()
    with pytest.raises(der.DerError):
        node.as_octets()
    with pytest.raises(der.DerError):
        node.children()
