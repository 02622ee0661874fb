"""Retries and durability: a next hop that is down, a server restarted with mail
in its queue, and an attempt interrupted by a crash (its lease outliving it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.server.config import RouteTLS
from harness.server.store import Mailstore, QueuedMessage
from tests.server.relay.helpers import (
    ALICE,
    BOB,
    closed_port,
    domain_server,
    inbox,
    pop3_messages,
    route_to,
    submit,
    wait_for_inbox,
    wait_for_queue,
)

pytestmark = pytest.mark.timeout(60)

MESSAGE = b"From: alice@a.test\r\nTo: bob@b.test\r\nSubject: patience\r\n\r\nstill here\r\n"


def deferred(queue: tuple[QueuedMessage, ...]) -> bool:
    """Tried and deferred twice: the retry really comes from the back-off."""
    return len(queue) == 1 and queue[0].attempts >= 2


async def test_next_hop_down_defers_then_delivers_when_it_comes_up(tmp_path: Path) -> None:
    """RFC 5321 §4.5.4.1: connection refused is transient; retried until it works."""
    port = await closed_port()
    routes = {"b.test": (port, RouteTLS.OPPORTUNISTIC)}
    async with domain_server(tmp_path, "a.test", [ALICE], routes) as a:
        await submit(a, ALICE, [BOB[0]], MESSAGE)
        (entry,) = await wait_for_queue(a, deferred)
        assert entry.last_error is not None and "4.4.1" in entry.last_error
        assert entry.recipients == (BOB[0],)
        async with domain_server(tmp_path, "b.test", [BOB], smtp_port=port) as b:
            (fetched,) = await wait_for_inbox(b, BOB[0], 1)
            assert fetched.endswith(MESSAGE)
            await wait_for_queue(a, lambda queue: not queue)
        assert await inbox(a, ALICE[0]) == []  # late, not failed: no DSN


async def test_queued_mail_survives_a_restart(tmp_path: Path) -> None:
    """The queue is in the store: stop the server, start it again, the mail goes out."""
    port = await closed_port()
    async with domain_server(tmp_path, "a.test", [ALICE], {"b.test": (port, RouteTLS.NONE)}) as a:
        await submit(a, ALICE, [BOB[0]], MESSAGE)
        await wait_for_queue(a, deferred)
    async with (
        domain_server(tmp_path, "b.test", [BOB]) as b,
        domain_server(tmp_path, "a.test", [ALICE], {"b.test": route_to(b)}) as a,
    ):
        await wait_for_inbox(b, BOB[0], 1)
        (fetched,) = await pop3_messages(b, BOB)
        assert fetched.endswith(MESSAGE)
        assert await wait_for_queue(a, lambda queue: not queue) == ()


async def test_a_lease_left_by_a_crash_is_released_at_startup(tmp_path: Path) -> None:
    """An attempt cut short leaves its entry leased; the next start retries it at once."""
    with Mailstore(tmp_path / "a.test") as store:
        entry = store.enqueue_relay(ALICE[0], [BOB[0]], MESSAGE)
        (claimed,) = store.claim_due_relay(now=entry.enqueued_at, limit=1, lease_seconds=3600)
        assert claimed.id == entry.id
    async with (
        domain_server(tmp_path, "b.test", [BOB]) as b,
        domain_server(tmp_path, "a.test", [ALICE], {"b.test": route_to(b)}),
    ):
        (stored,) = await wait_for_inbox(b, BOB[0], 1)
        assert stored.endswith(MESSAGE)
