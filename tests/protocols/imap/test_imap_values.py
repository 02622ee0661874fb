"""Value helpers: modified UTF-7 mailbox names, sequence sets, BODY from BODYSTRUCTURE."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.protocols.imap import (
    STAR,
    BodyPart,
    Multipart,
    MultipartExtension,
    PartExtension,
    SequenceSet,
    decode_mutf7,
    encode_mutf7,
    strip_extensions,
)
from harness.protocols.imap.mutf7 import mailbox_from_wire, mailbox_to_wire

MUTF7_EXAMPLES = [
    # RFC 3501 §5.1.3 and the catalogue's IMAP-MBOX-MUTF7
    ("~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-"),
    ("日本語", "&ZeVnLIqe-"),
    ("Entwürfe", "Entw&APw-rfe"),
    ("a&b", "a&-b"),
    ("", ""),
    ("😀", "&2D3eAA-"),
]


@pytest.mark.parametrize(("name", "wire"), MUTF7_EXAMPLES)
def test_mutf7_examples(name: str, wire: str) -> None:
    assert encode_mutf7(name) == wire
    assert decode_mutf7(wire) == name


@pytest.mark.parametrize(
    "bad",
    [
        "&Jjo!",  # catalogue: bad modified UTF-7
        "&ZeVnLIqe",  # unterminated
        "&AGE-",  # "a" encoded: not the shortest form
        "&ZeU-&ZeU-",  # two adjacent shifts
        "&ZeX-",  # stray bits
        "caf\u00e9",  # 8-bit left unencoded
        "&2D0-",  # a lone surrogate
    ],
)
def test_mutf7_rejects_malformed_names(bad: str) -> None:
    with pytest.raises(ValueError):
        decode_mutf7(bad)


@settings(max_examples=200, deadline=None)
@given(st.text(st.characters(blacklist_categories=("Cs",)), max_size=20))
def test_mutf7_round_trips_any_name(name: str) -> None:
    wire = encode_mutf7(name)
    assert wire.isascii()
    assert decode_mutf7(wire) == name
    assert mailbox_from_wire(mailbox_to_wire(name, utf8=True), utf8=True) == name


def test_sequence_sets() -> None:
    value = SequenceSet.parse("1:3,7,9:*,5:4")
    assert value.ranges == ((1, 3), (7, 7), (9, STAR), (5, 4))
    assert str(value) == "1:3,7,9:*,5:4"
    assert value.resolve(10) == [1, 2, 3, 4, 5, 7, 9, 10]
    assert value.contains(10, 10) and not value.contains(8, 10)
    # catalogue IMAP-UID-STAR: with UIDs up to 12, "13:*" still names 12
    assert SequenceSet.parse("13:*").resolve(12) == [12]
    assert SequenceSet.parse("9").exceeds(5) and not SequenceSet.parse("1:*").exceeds(5)
    assert SequenceSet.parse("1:4294967295").resolve(3) == [1, 2, 3]
    assert str(SequenceSet(saved=True)) == "$"
    with pytest.raises(ValueError):
        SequenceSet.parse("1:")


def test_strip_extensions_gives_the_body_form() -> None:
    leaf = BodyPart("TEXT", "PLAIN", (), None, None, "7BIT", 3, 1, extension=PartExtension("md5"))
    mixed = Multipart((leaf, leaf), "MIXED", MultipartExtension((("BOUNDARY", "x"),)))
    stripped = strip_extensions(mixed)
    assert isinstance(stripped, Multipart) and stripped.extension is None
    assert all(isinstance(p, BodyPart) and p.extension is None for p in stripped.parts)
