"""The relay against next hops that offer less: a sink built on the SMTP server
core that advertises exactly what each test gives it (and refuses anything
else, so an unadvertised parameter fails the test)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path

import pytest
import trio

from harness.mail.corpus import build_message
from harness.mail.kinds import kind_named
from harness.protocols.smtp import MailParams, RcptParams, RcptTo, Reply, reply
from harness.server.app import RunningServer
from harness.server.config import RouteTLS
from harness.server.delivery import split_trace
from tests.server.relay.helpers import (
    ALICE,
    domain_server,
    dsn_tls_context,
    inbox,
    parse_dsn,
    submit,
    wait_for_inbox,
    wait_for_queue,
)
from tests.server.relay.sink import OK, SMTPSink, running_sink

pytestmark = pytest.mark.timeout(60)

ASCII = b"From: alice@a.test\r\nSubject: plain\r\n\r\nseven bits only\r\n.dot\r\n"
SIGNED_8BIT = (
    b"From: alice@a.test\r\n"
    b"Subject: signed\r\n"
    b"MIME-Version: 1.0\r\n"
    b'Content-Type: multipart/signed; protocol="application/pkcs7-signature";\r\n'
    b'\tmicalg=sha-256; boundary="sig"\r\n'
    b"\r\n"
    b"--sig\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Content-Transfer-Encoding: 8bit\r\n"
    b"\r\n"
    b"Gr\xc3\xbc\xc3\x9fe, signed as sent\r\n"
    b"--sig\r\n"
    b"Content-Type: application/pkcs7-signature\r\n"
    b"Content-Transfer-Encoding: base64\r\n"
    b"\r\n"
    b"AAAA\r\n"
    b"--sig--\r\n"
)


@asynccontextmanager
async def alice_via(
    tmp_path: Path, sink: SMTPSink, tls: RouteTLS = RouteTLS.OPPORTUNISTIC
) -> AsyncIterator[RunningServer]:
    async with domain_server(tmp_path, "a.test", [ALICE], {"sink.test": (sink.port, tls)}) as a:
        yield a


async def test_8bit_mail_to_a_hop_without_8bitmime_bounces_unconverted(tmp_path: Path) -> None:
    """Catalogue SMTP-8BITMIME-DOWNGRADE (b), SEC-SMIME-7BIT-SIGNED: never converted."""
    async with running_sink() as sink, alice_via(tmp_path, sink) as a:
        await submit(a, ALICE, ["x@sink.test"], SIGNED_8BIT, mail_options=["BODY=8BITMIME"])
        (bounce,) = await wait_for_inbox(a, ALICE[0], 1)
        dsn = parse_dsn(split_trace(bounce)[1])
        (recipient,) = dsn.recipients
        assert recipient["Action"] == "failed" and recipient["Status"] == "5.6.3"
        assert "8BITMIME" in recipient["Diagnostic-Code"]
        assert dsn.returned.get_content_type() == "message/rfc822"
        assert SIGNED_8BIT in bounce  # returned exactly as sent
        assert sink.mail_commands == []  # the hop never saw a MAIL
        await wait_for_queue(a, lambda queue: not queue)


async def test_signed_8bit_corpus_message_is_bounced_whole_never_converted(
    tmp_path: Path,
) -> None:
    """Issue 7 with a real signature (corpus kind smime-signed-8bit): RFC 6152 §3
    would allow converting to 7 bits, but RFC 1847 §2.1 forbids altering signed
    content, so the relay bounces. The sink offers no 8BITMIME and never sees a
    MAIL; the DSN returns the message exactly as sent, and it still verifies."""
    kind = kind_named("smime-signed-8bit")
    signed = build_message(0, 0, kind)
    assert signed.needs_8bitmime and kind.verify is not None
    async with running_sink() as sink, alice_via(tmp_path, sink) as a:
        await submit(a, ALICE, ["x@sink.test"], signed.raw, mail_options=["BODY=8BITMIME"])
        (bounce,) = await wait_for_inbox(a, ALICE[0], 1)
        dsn = parse_dsn(split_trace(bounce)[1])
        (recipient,) = dsn.recipients
        assert (recipient["Action"], recipient["Status"]) == ("failed", "5.6.3")
        assert signed.raw in bounce  # returned exactly as sent
        assert kind.verify(bounce) is None  # found inside the DSN's message/rfc822, verifying
        assert sink.sessions >= 1 and sink.mail_commands == [] and sink.delivered == []
        await wait_for_queue(a, lambda queue: not queue)


async def test_plain_hop_gets_data_and_no_extension_parameters(tmp_path: Path) -> None:
    """No SIZE/BODY/RET/ENVID/NOTIFY/ORCPT to a hop that offers none of them
    (the sink's core would answer 555); NOTIFY=SUCCESS then earns a "relayed" DSN."""
    async with running_sink() as sink, alice_via(tmp_path, sink) as a:
        await submit(
            a,
            ALICE,
            ["x@sink.test"],
            ASCII,
            mail_options=["RET=HDRS", "ENVID=env-7"],
            rcpt_options=["NOTIFY=SUCCESS,FAILURE", "ORCPT=rfc822;x@sink.test"],
        )
        (report,) = await wait_for_inbox(a, ALICE[0], 1)
        (txn,) = sink.delivered
        assert txn.via == "DATA" and txn.mail.params == MailParams()
        assert [r.params for r in txn.rcpts] == [RcptParams()]
        assert split_trace(txn.data)[1] == ASCII  # dot-stuffed and unstuffed on the way
        dsn = parse_dsn(split_trace(report)[1])
        assert dsn.message["Subject"] == "Successful Mail Delivery Report"
        assert dsn.per_message["Original-Envelope-Id"] == "env-7"
        (recipient,) = dsn.recipients
        assert (recipient["Action"], recipient["Status"]) == ("relayed", "2.0.0")
        assert recipient["Original-Recipient"] == "rfc822;x@sink.test"
        assert dsn.returned.get_content_type() == "text/rfc822-headers"


async def test_dsn_hop_gets_every_parameter_unchanged_over_bdat(tmp_path: Path) -> None:
    """RFC 3461 §5.2: RET, ENVID, NOTIFY and ORCPT travel on; the hop reports success."""
    offered = {
        "PIPELINING": (),
        "SIZE": ("1000000",),
        "8BITMIME": (),
        "DSN": (),
        "CHUNKING": (),
    }
    async with running_sink(offered) as sink, alice_via(tmp_path, sink) as a:
        await submit(
            a,
            ALICE,
            ["x@sink.test", "y@sink.test"],
            SIGNED_8BIT,
            mail_options=["BODY=8BITMIME", "RET=FULL", "ENVID=QQ314159"],
            rcpt_options=["NOTIFY=SUCCESS", "ORCPT=rfc822;x@sink.test"],
        )
        await wait_for_queue(a, lambda queue: not queue)
        (txn,) = sink.delivered
        params = txn.mail.params
        assert (params.body, params.ret, params.envid) == ("8BITMIME", "FULL", "QQ314159")
        assert params.size == len(txn.data)
        assert txn.via == "BDAT"
        assert [r.params.notify for r in txn.rcpts] == [("SUCCESS",), ("SUCCESS",)]
        assert txn.rcpts[0].params.orcpt == ("rfc822", "x@sink.test")
        assert split_trace(txn.data)[1] == SIGNED_8BIT
        assert await _inbox_count(a) == 0  # the DSN-capable hop reports success, not us


async def test_smtputf8_mail_to_a_hop_without_smtputf8_bounces(tmp_path: Path) -> None:
    """Catalogue SMTP-SMTPUTF8-DOWNSTREAM: a bounce, not an ASCII-mangled forward."""
    async with running_sink({"8BITMIME": ()}) as sink, alice_via(tmp_path, sink) as a:
        message = "From: alice@a.test\r\nSubject: ü\r\n\r\nhi\r\n".encode()
        await submit(a, ALICE, ["jürgen@sink.test"], message, mail_options=["SMTPUTF8"])
        (bounce,) = await wait_for_inbox(a, ALICE[0], 1)
        (recipient,) = parse_dsn(split_trace(bounce)[1]).recipients
        assert recipient["Status"] == "5.6.7"
        assert recipient["Final-Recipient"] == "utf-8; jürgen@sink.test"
        assert sink.mail_commands == []


async def test_message_over_the_hops_size_bounces(tmp_path: Path) -> None:
    async with running_sink({"SIZE": ("100",)}) as sink, alice_via(tmp_path, sink) as a:
        await submit(a, ALICE, ["x@sink.test"], ASCII + b"x" * 200 + b"\r\n")
        (bounce,) = await wait_for_inbox(a, ALICE[0], 1)
        (recipient,) = parse_dsn(split_trace(bounce)[1]).recipients
        assert recipient["Status"] == "5.3.4"
        assert sink.mail_commands == []


async def test_temporary_rcpt_failure_retries_only_that_recipient(tmp_path: Path) -> None:
    """4yz to one RCPT: the others are delivered now, that one on a later attempt."""
    refused_once: set[str] = set()

    def answer(event: RcptTo) -> Reply:
        address = str(event.forward_path.address)
        if address == "later@sink.test" and address not in refused_once:
            refused_once.add(address)
            return reply(450, "Mailbox busy, try later", "4.2.1")
        return OK

    async with running_sink(answer_rcpt=answer) as sink, alice_via(tmp_path, sink) as a:
        await submit(a, ALICE, ["now@sink.test", "later@sink.test"], ASCII)
        await wait_for_queue(a, lambda queue: not queue)
        got = [[str(r.forward_path.address) for r in txn.rcpts] for txn in sink.delivered]
        assert got == [["now@sink.test"], ["later@sink.test"]]
        assert sink.delivered[0].data == sink.delivered[1].data
        assert await _inbox_count(a) == 0  # nothing failed: no DSN


async def test_starttls_required_but_not_offered_defers(tmp_path: Path) -> None:
    async with (
        running_sink() as sink,
        alice_via(tmp_path, sink, RouteTLS.REQUIRED) as a,
    ):
        await submit(a, ALICE, ["x@sink.test"], ASCII)
        (entry,) = await wait_for_queue(a, lambda queue: bool(queue) and queue[0].attempts > 0)
        assert entry.last_error is not None and "4.7.4" in entry.last_error
        assert sink.mail_commands == []


@pytest.mark.parametrize("policy", [RouteTLS.OPPORTUNISTIC, RouteTLS.REQUIRED, RouteTLS.IMPLICIT])
async def test_tls_policies_deliver_over_tls(tmp_path: Path, policy: RouteTLS) -> None:
    implicit = policy is RouteTLS.IMPLICIT
    tls = dsn_tls_context(tmp_path)
    async with (
        running_sink(tls=tls, implicit_tls=implicit) as sink,
        alice_via(tmp_path, sink, policy) as a,
    ):
        await submit(a, ALICE, ["x@sink.test"], ASCII)
        await wait_for_queue(a, lambda queue: not queue)
        (txn,) = sink.delivered
        assert txn.tls or implicit


async def test_no_tls_when_the_route_says_none(tmp_path: Path) -> None:
    tls = dsn_tls_context(tmp_path)
    async with running_sink(tls=tls) as sink, alice_via(tmp_path, sink, RouteTLS.NONE) as a:
        await submit(a, ALICE, ["x@sink.test"], ASCII)
        await wait_for_queue(a, lambda queue: not queue)
        (txn,) = sink.delivered
        assert not txn.tls


async def _inbox_count(server: RunningServer) -> int:
    return len(await inbox(server, ALICE[0]))


async def test_a_silent_next_hop_times_out_and_the_mail_waits(tmp_path: Path) -> None:
    """RFC 5321 §4.5.3.2: a hop that never greets is given up on for now, not forever."""

    async def silent(stream: trio.abc.Stream) -> None:
        await trio.sleep_forever()

    async with trio.open_nursery() as nursery:
        listeners = await nursery.start(partial(trio.serve_tcp, silent, 0, host="127.0.0.1"))
        port = listeners[0].socket.getsockname()[1]
        routes = {"sink.test": (port, RouteTLS.NONE)}
        async with domain_server(tmp_path, "a.test", [ALICE], routes, command_timeout=0.2) as a:
            await submit(a, ALICE, ["x@sink.test"], ASCII)
            (entry,) = await wait_for_queue(a, lambda q: bool(q) and q[0].attempts > 0)
            assert entry.last_error is not None and "4.4.2" in entry.last_error
            assert "no complete command or reply" in entry.last_error
        nursery.cancel_scope.cancel()
