"""Sizes for load: the documented mix, and messages of exactly the size asked for."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.mail.integrity import verify
from harness.mail.sizes import (
    KIB,
    MIB,
    SIZE_MIX,
    SizeBand,
    iter_size_mix,
    message_of_size,
    sample_size_mix,
)
from tests.mail.helpers import leaf_parts, parse


def test_the_mix_has_the_documented_shares() -> None:
    rng = random.Random(1)
    sizes = [sample_size_mix(rng) for _ in range(20_000)]
    assert all(any(b.smallest <= s <= b.largest for b in SIZE_MIX) for s in sizes)
    shares = [
        sum(band.smallest <= s <= band.largest for s in sizes) / len(sizes) for band in SIZE_MIX
    ]
    for share, band in zip(shares, SIZE_MIX, strict=True):
        assert abs(share - band.weight) < 0.015, (band, share)


def test_custom_bands_are_honoured() -> None:
    rng = random.Random(2)
    bands = (SizeBand(1.0, 5000, 5001),)
    assert {sample_size_mix(rng, bands) for _ in range(50)} <= {5000, 5001}


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=600, max_value=300 * KIB), st.integers(min_value=0, max_value=1000))
def test_message_of_size_is_exact_valid_and_verifies(size: int, seed: int) -> None:
    message = message_of_size(seed, size)
    assert message.size == size
    assert verify(message.raw)
    assert message.raw.isascii() and message.raw.endswith(b"\r\n")
    parts = leaf_parts(parse(message.raw))
    assert [p.get_payload(decode=True) for p in parts] == [leaf.payload for leaf in message.leaves]


def test_large_sizes_are_mostly_attachment() -> None:
    message = message_of_size(7, 3 * MIB)
    assert message.size == 3 * MIB
    _text, attachment = message.leaves
    assert attachment.content_type == "application/octet-stream"
    base64_octets = len(attachment.payload) * 78 / 57  # 57 octets per 76-character line
    assert base64_octets > 0.85 * message.size


def test_a_size_below_the_smallest_message_is_refused() -> None:
    with pytest.raises(
        ValueError, match=r"smallest sized message is \d+ octets; 100 was asked for"
    ):
        message_of_size(0, 100)


def test_size_mix_corpus_is_deterministic_and_named_by_size() -> None:
    first = list(iter_size_mix(seed=3, count=12, bands=(SizeBand(1.0, 2 * KIB, 40 * KIB),)))
    second = list(iter_size_mix(seed=3, count=12, bands=(SizeBand(1.0, 2 * KIB, 40 * KIB),)))
    assert first == second
    assert len({m.size for m in first}) > 1
    assert all(m.name == f"{i + 1:04d}-sized-{m.size}" for i, m in enumerate(first))
