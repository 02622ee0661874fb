"""Judging a message read back: only leading trace fields may be added, nothing else changes."""

from __future__ import annotations

from harness.conformance.transit import (
    describe_difference,
    first_difference,
    strip_trace,
    unstuff,
)
from harness.protocols.common import dot_stuff

SENT = b"Subject: hi\r\n\r\n.\r\nbody  \r\n"
TRACE = (
    b"Return-Path: <a@x.test>\r\n"
    b"Received: from x.test\r\n\tby y.test; Mon, 1 Jan 2024 00:00:00 +0000\r\n"
)
ALLOWED = ("Return-Path", "Received")


def test_leading_trace_fields_are_stripped_and_the_rest_must_be_what_was_sent() -> None:
    stripped = strip_trace(TRACE + SENT, SENT, ALLOWED)
    assert stripped.rest == SENT
    assert stripped.trace_fields == ["Return-Path", "Received"]


def test_a_field_that_is_not_a_trace_field_is_a_difference() -> None:
    got = TRACE + b"X-Spam: no\r\n" + SENT
    stripped = strip_trace(got, SENT, ALLOWED)
    assert stripped.rest != SENT
    message = describe_difference("imap BODY[]", got, SENT, stripped)
    assert message == (
        "imap BODY[] has a header field 'X-Spam' above the message that is not a trace field"
    )


def test_a_received_field_of_the_message_itself_is_not_stripped() -> None:
    sent = b"Received: from earlier\r\n" + SENT
    assert strip_trace(TRACE + sent, sent, ALLOWED).rest == sent


def test_differences_are_located_and_described() -> None:
    changed = SENT.replace(b"body  \r\n", b"body\r\n")  # trailing blanks stripped
    stripped = strip_trace(TRACE + changed, SENT, ALLOWED)
    offset = first_difference(stripped.rest, SENT)
    assert offset == SENT.index(b"  \r\n")
    text = describe_difference("pop3 RETR", TRACE + changed, SENT, stripped)
    assert text.startswith(
        f"pop3 RETR differs from the message sent at octet {len(TRACE) + offset}"
    )
    shorter = strip_trace(TRACE + SENT[:-2], SENT, ALLOWED)
    assert "lacks the last 2 octets" in describe_difference("x", b"", SENT, shorter)
    longer = strip_trace(TRACE + SENT + b"\r\n", SENT, ALLOWED)
    assert "has 2 octets more" in describe_difference("x", b"", SENT, longer)


def test_first_difference_on_large_inputs() -> None:
    big = bytes(range(256)) * 4000
    assert first_difference(big, big) is None
    assert first_difference(big, big[:-1]) == len(big) - 1
    assert first_difference(big, big[:500_000] + b"!" + big[500_001:]) == 500_000


def test_pop3_bodies_are_unstuffed_exactly() -> None:
    lines = dot_stuff(b".\r\n..x\r\nplain\r\n").splitlines(keepends=True)
    assert unstuff(lines) == b".\r\n..x\r\nplain\r\n"
    assert unstuff(lines[:-1]) is None  # no terminating dot line
