"""Alice's client -> Alice's server (a.test) -> Bob's server (b.test) -> Bob's client.

Two real reference servers on loopback, each with its own store; the relay
worker of a.test delivers by SMTP to b.test's MX listener.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.server.delivery import split_trace
from tests.server.relay.helpers import (
    ALICE,
    BOB,
    DAVE,
    domain_server,
    imap_messages,
    pop3_messages,
    route_to,
    submit,
    wait_for_inbox,
    wait_for_queue,
)

pytestmark = pytest.mark.timeout(60)

MESSAGE = (
    b"From: Alice <alice@a.test>\r\n"
    b"To: Bob <bob@b.test>\r\n"
    b"Subject: across two servers\r\n"
    b"Message-ID: <1@a.test>\r\n"
    b"\r\n"
    b"Hello Bob.\r\n"
    b".a line that starts with a dot\r\n"
    b"..and one with two\r\n"
)


def strip_received(message: bytes) -> tuple[list[bytes], bytes]:
    """The leading Received fields (each with its folded lines) and the rest."""
    fields = []
    rest = message
    while rest.startswith(b"Received:"):
        end = rest.index(b"\r\n") + 2
        while rest[end : end + 1] in (b" ", b"\t"):
            end = rest.index(b"\r\n", end) + 2
        fields.append(rest[:end])
        rest = rest[end:]
    return fields, rest


async def test_alice_to_bob_arrives_byte_identical(tmp_path: Path) -> None:
    """Catalogue SMTP-RELAY-AUTH-ALLOW, SMTP-TRACE-RECEIVED (one per hop)."""
    async with (
        domain_server(tmp_path, "b.test", [BOB, DAVE]) as b,
        domain_server(tmp_path, "a.test", [ALICE], {"b.test": route_to(b)}) as a,
    ):
        assert await submit(a, ALICE, [BOB[0], DAVE[0]], MESSAGE) == {}
        await wait_for_inbox(b, DAVE[0], 1)
        (fetched,) = await pop3_messages(b, BOB)
        assert fetched.startswith(b"Return-Path: <alice@a.test>\r\n")
        received, original = strip_received(fetched.split(b"\r\n", 1)[1])
        assert original == MESSAGE
        assert len(received) == 2  # one by b.test (on top), one by a.test
        assert b"by mail.b.test" in received[0] and b"by mail.a.test" in received[1]
        (by_imap,) = await imap_messages(b, DAVE)
        assert strip_received(by_imap.split(b"\r\n", 1)[1])[1] == MESSAGE
        assert await wait_for_queue(a, lambda queue: not queue) == ()


async def test_bob_replies_through_the_reverse_route(tmp_path: Path) -> None:
    """Cross-routed: b.test relays to a.test as well."""
    async with (
        domain_server(tmp_path, "a.test", [ALICE]) as a,
        domain_server(tmp_path, "b.test", [BOB], {"a.test": route_to(a)}) as b,
    ):
        reply = MESSAGE.replace(b"Subject: across", b"Subject: Re: across")
        assert await submit(b, BOB, [ALICE[0]], reply) == {}
        (stored,) = await wait_for_inbox(a, ALICE[0], 1)
        assert split_trace(stored)[1].endswith(reply)
