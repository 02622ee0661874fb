"""DSNs (RFC 3464 in RFC 6522 multipart/report) for mail the relay could not deliver,
between two real reference servers, read back with the email package."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.server.config import RouteTLS
from harness.server.delivery import split_trace
from harness.server.store import RecipientOptions, RelayOptions
from tests.server.relay.helpers import (
    ALICE,
    BOB,
    closed_port,
    domain_server,
    inbox,
    parse_dsn,
    pop3_messages,
    route_to,
    submit,
    wait_for_inbox,
    wait_for_queue,
)

pytestmark = pytest.mark.timeout(60)

MESSAGE = b"From: alice@a.test\r\nTo: bob@b.test\r\nSubject: for Bob\r\n\r\nbody line\r\n"
NOBODY = "nobody@b.test"


async def test_5xx_bounces_to_alice_with_a_full_report(tmp_path: Path) -> None:
    """Catalogue SMTP-DSN-GENERATE, SMTP-BOUNCE-NULL-SENDER (the DSN comes from <>)."""
    async with (
        domain_server(tmp_path, "b.test", [BOB]) as b,
        domain_server(tmp_path, "a.test", [ALICE], {"b.test": route_to(b)}) as a,
    ):
        await submit(
            a,
            ALICE,
            [NOBODY],
            MESSAGE,
            mail_options=["RET=HDRS", "ENVID=QQ314159"],
            rcpt_options=["NOTIFY=FAILURE", f"ORCPT=rfc822;{NOBODY}"],
        )
        (stored,) = await wait_for_inbox(a, ALICE[0], 1)
        trace, bounce = split_trace(stored)
        assert trace.startswith(b"Return-Path: <>\r\n")  # RFC 5321 §4.5.5: from the null path
        dsn = parse_dsn(bounce)
        assert dsn.message["To"].addresses[0].addr_spec == ALICE[0]
        assert dsn.message["Auto-Submitted"] == "auto-replied"
        assert dsn.message["Subject"] == "Undelivered Mail Returned to Sender"
        assert dsn.per_message["Reporting-MTA"] == "dns; mail.a.test"
        assert dsn.per_message["Original-Envelope-Id"] == "QQ314159"
        assert dsn.per_message["Arrival-Date"] is not None
        (recipient,) = dsn.recipients
        assert recipient["Final-Recipient"] == f"rfc822; {NOBODY}"
        assert recipient["Original-Recipient"] == f"rfc822;{NOBODY}"
        assert (recipient["Action"], recipient["Status"]) == ("failed", "5.1.1")
        assert recipient["Remote-MTA"] == "dns; mail.b.test"
        assert recipient["Diagnostic-Code"].startswith("smtp; 550 5.1.1 ")
        assert recipient["Last-Attempt-Date"] is not None
        assert NOBODY in dsn.text and "550 5.1.1" in dsn.text
        # RET=HDRS: the header only, as relayed (with a.test's Received on top)
        assert dsn.returned.get_content_type() == "text/rfc822-headers"
        assert b"Subject: for Bob\r\n" in bounce and b"body line" not in bounce
        assert await wait_for_queue(a, lambda queue: not queue) == ()


async def test_partial_failure_delivers_to_bob_and_bounces_the_rest(tmp_path: Path) -> None:
    async with (
        domain_server(tmp_path, "b.test", [BOB]) as b,
        domain_server(tmp_path, "a.test", [ALICE], {"b.test": route_to(b)}) as a,
    ):
        await submit(a, ALICE, [BOB[0], NOBODY], MESSAGE)
        (stored,) = await wait_for_inbox(a, ALICE[0], 1)
        dsn = parse_dsn(split_trace(stored)[1])
        assert [r["Final-Recipient"] for r in dsn.recipients] == [f"rfc822; {NOBODY}"]
        assert dsn.returned.get_content_type() == "message/rfc822"  # no RET: the whole message
        assert split_trace(stored)[1].count(b"body line") == 1
        (fetched,) = await pop3_messages(b, BOB)
        assert fetched.endswith(MESSAGE)


async def test_notify_never_sends_no_dsn(tmp_path: Path) -> None:
    async with (
        domain_server(tmp_path, "b.test", [BOB]) as b,
        domain_server(tmp_path, "a.test", [ALICE], {"b.test": route_to(b)}) as a,
    ):
        await submit(a, ALICE, [NOBODY], MESSAGE, rcpt_options=["NOTIFY=NEVER"])
        await wait_for_queue(a, lambda queue: not queue)  # settled: a DSN would be here
        assert await inbox(a, ALICE[0]) == []


async def test_no_dsn_for_a_null_sender(tmp_path: Path) -> None:
    """RFC 5321 §3.6.3: never bounce a bounce."""
    async with (
        domain_server(tmp_path, "b.test", [BOB]) as b,
        domain_server(tmp_path, "a.test", [ALICE], {"b.test": route_to(b)}) as a,
    ):
        await a.context.store.enqueue_relay("", [NOBODY], MESSAGE)
        await wait_for_queue(a, lambda queue: not queue)  # settled: a DSN would be here
        assert await inbox(a, ALICE[0]) == []
        assert await a.context.store.relay_queue() == ()  # no DSN queued for relay either


async def test_dsn_to_a_remote_sender_is_relayed_from_the_null_path(tmp_path: Path) -> None:
    """The sender is not local: the DSN joins the queue (from <>) and reaches b.test."""
    async with (
        domain_server(tmp_path, "b.test", [BOB]) as b,
        domain_server(tmp_path, "a.test", [ALICE], {"b.test": route_to(b)}) as a,
    ):
        await a.context.store.enqueue_relay(BOB[0], [NOBODY], MESSAGE)
        (stored,) = await wait_for_inbox(b, BOB[0], 1)
        assert stored.startswith(b"Return-Path: <>\r\n")
        (recipient,) = parse_dsn(split_trace(stored)[1]).recipients
        assert recipient["Status"] == "5.1.1"


async def test_a_domain_without_a_route_bounces(tmp_path: Path) -> None:
    async with domain_server(tmp_path, "a.test", [ALICE]) as a:
        await a.context.store.enqueue_relay(ALICE[0], ["x@nowhere.test"], MESSAGE)
        (stored,) = await wait_for_inbox(a, ALICE[0], 1)
        (recipient,) = parse_dsn(split_trace(stored)[1]).recipients
        assert (recipient["Action"], recipient["Status"]) == ("failed", "5.4.4")


async def test_the_default_route_takes_every_other_domain(tmp_path: Path) -> None:
    async with (
        domain_server(tmp_path, "b.test", [BOB]) as b,
        domain_server(tmp_path, "a.test", [ALICE], {"*": route_to(b)}) as a,
    ):
        await a.context.store.enqueue_relay(ALICE[0], [BOB[0]], MESSAGE)
        (stored,) = await wait_for_inbox(b, BOB[0], 1)
        assert stored.endswith(MESSAGE)


async def test_expiry_bounces_with_the_last_error(tmp_path: Path) -> None:
    """RFC 5321 §4.5.4.1: after the give-up time the sender is told; 4.4.7 expired."""
    port = await closed_port()
    routes = {"b.test": (port, RouteTLS.NONE)}
    async with domain_server(tmp_path, "a.test", [ALICE], routes, give_up_after=0.3) as a:
        await submit(a, ALICE, [BOB[0]], MESSAGE)
        (stored,) = await wait_for_inbox(a, ALICE[0], 1)
        (recipient,) = parse_dsn(split_trace(stored)[1]).recipients
        assert (recipient["Action"], recipient["Status"]) == ("failed", "4.4.7")
        assert "cannot connect" in recipient["Diagnostic-Code"]
        assert "Remote-MTA" not in recipient  # no next hop was reached
        assert await wait_for_queue(a, lambda queue: not queue) == ()


async def test_notify_delay_warns_once_then_fails(tmp_path: Path) -> None:
    port = await closed_port()
    routes = {"b.test": (port, RouteTLS.NONE)}
    async with domain_server(tmp_path, "a.test", [ALICE], routes, give_up_after=0.5) as a:
        await submit(a, ALICE, [BOB[0]], MESSAGE, rcpt_options=["NOTIFY=DELAY,FAILURE"])
        await wait_for_queue(a, lambda queue: not queue)
        delayed, failed = [parse_dsn(split_trace(m)[1]) for m in await inbox(a, ALICE[0])]
        (warning,) = delayed.recipients
        assert (warning["Action"], warning["Status"]) == ("delayed", "4.4.1")
        assert warning["Will-Retry-Until"] is not None
        assert delayed.returned.get_content_type() == "text/rfc822-headers"
        assert failed.recipients[0]["Action"] == "failed"


async def test_dsn_options_from_the_queue_entry_are_honoured(tmp_path: Path) -> None:
    """Per-recipient NOTIFY: one recipient wants nothing, the other a failure report."""
    async with (
        domain_server(tmp_path, "b.test", [BOB]) as b,
        domain_server(tmp_path, "a.test", [ALICE], {"b.test": route_to(b)}) as a,
    ):
        options = RelayOptions(
            recipients={
                "ghost@b.test": RecipientOptions(notify=("NEVER",)),
                NOBODY: RecipientOptions(notify=("FAILURE",)),
            }
        )
        await a.context.store.enqueue_relay(
            ALICE[0], ["ghost@b.test", NOBODY], MESSAGE, options=options
        )
        (stored,) = await wait_for_inbox(a, ALICE[0], 1)
        dsn = parse_dsn(split_trace(stored)[1])
        assert [r["Final-Recipient"] for r in dsn.recipients] == [f"rfc822; {NOBODY}"]
