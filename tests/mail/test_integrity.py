"""The X-Mailharness-Hash rule: trace lines above it are free, any change below breaks it."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest

from harness.mail.corpus import CorpusMessage, generate
from harness.mail.integrity import claimed_digest, covered_octets, stamp, verify

TRACE = (
    b"Return-Path: <corpus@mailharness.test>\r\n"
    b"Received: from client.test (client.test [127.0.0.1])\r\n"
    b"\tby mx.test with ESMTP id 42; Mon, 1 Jan 2024 00:00:00 +0000\r\n"
)


@pytest.fixture(scope="module")
def message() -> CorpusMessage:
    return generate(seed=4, count=3)[2]  # multipart-mixed: headers, body, base64


def test_the_digest_covers_everything_after_the_hash_line(message: CorpusMessage) -> None:
    first_line_end = message.raw.index(b"\r\n") + 2
    rest = message.raw[first_line_end:]
    assert covered_octets(message.raw) == rest
    assert claimed_digest(message.raw) == hashlib.sha256(rest).hexdigest()
    assert stamp(rest) == message.raw


def test_prepended_trace_lines_still_verify(message: CorpusMessage) -> None:
    assert verify(message.raw)
    assert verify(TRACE + message.raw)
    assert verify(b"received: by lower.case.test; Mon, 1 Jan 2024 00:00:00 +0000\r\n" + message.raw)


@pytest.mark.parametrize(
    "damage",
    [
        lambda raw: raw[:-3] + b"X\r\n",  # one octet of the body
        lambda raw: raw.replace(b"\r\n", b"\n"),  # CRLF stored as LF
        lambda raw: raw.replace(
            b"\r\n\r\n", b"\r\nX-Spam: no\r\n\r\n", 1
        ),  # header added at the bottom
        lambda raw: raw.replace(b"MIME-Version: 1.0", b"Mime-Version: 1.0"),  # re-cased
        lambda raw: raw[:-2],  # final CRLF lost
        lambda raw: raw + b"\r\n",  # extra CRLF
    ],
)
def test_any_change_below_the_hash_line_fails(
    message: CorpusMessage, damage: Callable[[bytes], bytes]
) -> None:
    damaged = damage(TRACE + message.raw)
    assert damaged != TRACE + message.raw
    assert not verify(damaged)


def test_a_message_without_the_header_does_not_verify() -> None:
    assert not verify(b"Subject: hi\r\n\r\nbody\r\n")
    assert claimed_digest(b"Subject: hi\r\n\r\nbody\r\n") is None
    assert covered_octets(b"") is None


def test_a_hash_line_in_the_body_is_not_taken(message: CorpusMessage) -> None:
    fake = b"Subject: x\r\n\r\n" + message.raw
    assert claimed_digest(fake) is None and not verify(fake)


def test_a_folded_line_does_not_count_as_the_hash_header(message: CorpusMessage) -> None:
    folded = b"X-Note: see\r\n " + message.raw
    assert not verify(folded)
