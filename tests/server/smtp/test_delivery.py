"""Delivery: the trace fields' exact form, filing rules at delivery time
(fileinto creates mailboxes, flags, discard, the fallback to INBOX), and the
corpus stored byte-exact whether sent by DATA or by BDAT."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from harness.mail.corpus import generate
from harness.server.config import AccountConfig
from harness.server.delivery import (
    TraceInfo,
    received_field,
    return_path_field,
    split_trace,
    with_protocol,
)
from harness.server.delivery.trace import address_literal
from tests.server.smtp.helpers import (
    ALICE,
    BOB,
    CAROL,
    RawSMTP,
    mailbox_contents,
    originals,
    smtp_server,
)

pytestmark = pytest.mark.timeout(60)

TRACE = TraceInfo(
    helo="client.example",
    client_ip="192.0.2.7",
    hostname="mail.example.test",
    protocol="ESMTPSA",
    message_id="0123456789ABCDEF",
    when=datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=1))),
)


def test_received_field_form() -> None:
    """RFC 5321 §4.4 Time-stamp-line, folded with CRLF HTAB."""
    assert received_field(TRACE, "bob@example.test") == (
        b"Received: from client.example ([192.0.2.7])\r\n"
        b"\tby mail.example.test with ESMTPSA id 0123456789ABCDEF\r\n"
        b"\tfor <bob@example.test>; Tue, 02 Jan 2024 03:04:05 +0100\r\n"
    )
    assert received_field(TRACE, None) == (
        b"Received: from client.example ([192.0.2.7])\r\n"
        b"\tby mail.example.test with ESMTPSA id 0123456789ABCDEF;\r\n"
        b"\tTue, 02 Jan 2024 03:04:05 +0100\r\n"
    )
    assert return_path_field("") == b"Return-Path: <>\r\n"


def test_utf8_helo_becomes_an_a_label_outside_smtputf8() -> None:
    trace = TraceInfo("bücher.example", "::1", "mx", "ESMTP", "ID", datetime.now(UTC))
    assert b"from xn--bcher-kva.example ([IPv6:::1])" in received_field(trace, None)
    assert "from bücher.example".encode() in received_field(trace, None, smtputf8=True)


@pytest.mark.parametrize(
    ("extended", "tls", "authenticated", "smtputf8", "keyword"),
    [
        (False, False, False, False, "SMTP"),
        (True, False, False, False, "ESMTP"),
        (True, True, False, False, "ESMTPS"),
        (True, False, True, False, "ESMTPA"),
        (True, True, True, False, "ESMTPSA"),
        (True, True, True, True, "UTF8SMTPSA"),
        (True, False, False, True, "UTF8SMTP"),
    ],
)
def test_with_protocol_keywords(
    extended: bool, tls: bool, authenticated: bool, smtputf8: bool, keyword: str
) -> None:
    """RFC 3848 §2 and RFC 6531 §3.7.3."""
    assert (
        with_protocol(extended=extended, tls=tls, authenticated=authenticated, smtputf8=smtputf8)
        == keyword
    )


def test_address_literals() -> None:
    assert address_literal("127.0.0.1") == "[127.0.0.1]"
    assert address_literal("::ffff:10.0.0.1") == "[10.0.0.1]"
    assert address_literal("2001:db8::1") == "[IPv6:2001:db8::1]"


def test_split_trace_takes_only_what_the_server_added() -> None:
    original = b"Received: from earlier\r\n\tby relay; date\r\nSubject: x\r\n\r\nbody"
    trace = return_path_field("a@b.example") + received_field(TRACE, None)
    assert split_trace(trace + original) == (trace, original)
    assert split_trace(received_field(TRACE, None) + original)[1] == original


SCRIPT = """require ["fileinto", "imap4flags", "envelope"];
if header :contains "subject" "[list]" {
    fileinto "Lists/sieve";
    stop;
}
if envelope :localpart :is "to" "Bob" {
    addflag "\\\\Flagged";
}
if header :is "X-Spam-Flag" "YES" {
    discard;
    stop;
}
if header :contains "subject" "bad folder" {
    fileinto :flags "\\\\Seen" "Archive/2024";
    fileinto "not//valid";
}
"""


async def _send(server: object, rcpts: list[bytes], text: bytes) -> int:
    async with RawSMTP.connect(server) as smtp:  # type: ignore[arg-type]
        await smtp.ehlo()
        lines = b"".join(b"RCPT TO:<" + r + b">\r\n" for r in rcpts)
        codes = await smtp.codes(
            b"MAIL FROM:<a@x.example>\r\n" + lines + b"DATA\r\n", len(rcpts) + 2
        )
        assert codes == [250] * (len(rcpts) + 1) + [354]
        return (await smtp.command(text + b".\r\n")).code


async def _flags(server: object, user: str, mailbox: str) -> list[frozenset[str]]:
    store = server.context.store  # type: ignore[attr-defined]
    account = await store.get_user(user)
    box = await store.get_mailbox(account.id, mailbox)
    return [info.flags for info in await store.list_messages(box.id)]


async def test_filing_rules_run_per_recipient(tmp_path: Path) -> None:
    accounts = (
        AccountConfig(*ALICE, sieve=SCRIPT),
        AccountConfig(*BOB, sieve=SCRIPT),
        AccountConfig(*CAROL),
    )
    async with smtp_server(tmp_path, accounts=accounts) as server:
        listed = b"Subject: [list] news\r\n\r\nx\r\n"
        assert await _send(server, [b"alice@example.test", b"carol@example.test"], listed) == 250
        assert await originals(server, ALICE[0], "Lists/sieve") == [listed]  # created
        assert await mailbox_contents(server, ALICE[0]) == []
        assert await originals(server, CAROL[0]) == [listed]  # no rules: INBOX

        plain = b"Subject: hi\r\n\r\nx\r\n"
        assert await _send(server, [b"Bob@example.test", b"alice@example.test"], plain) == 250
        assert await _flags(server, BOB[0], "INBOX") == [frozenset({"\\Flagged"})]
        assert await _flags(server, ALICE[0], "INBOX") == [frozenset()]

        spam = b"X-Spam-Flag: YES\r\nSubject: buy\r\n\r\nx\r\n"
        assert await _send(server, [b"alice@example.test"], spam) == 250  # RFC 5228 §4.4
        assert len(await mailbox_contents(server, ALICE[0])) == 1


async def test_a_mailbox_the_store_refuses_falls_back_to_inbox(tmp_path: Path) -> None:
    """docs/filing-rules.md: the script is abandoned, the message kept in INBOX unflagged."""
    async with smtp_server(tmp_path, accounts=(AccountConfig(*ALICE, sieve=SCRIPT),)) as server:
        text = b"Subject: bad folder\r\n\r\nx\r\n"
        assert await _send(server, [b"alice@example.test"], text) == 250
        assert await originals(server, ALICE[0]) == [text]
        assert await _flags(server, ALICE[0], "INBOX") == [frozenset()]
        assert await mailbox_contents(server, ALICE[0], "Archive/2024") == []


def _stuff(raw: bytes) -> bytes:
    return re.sub(rb"(?m)^\.", b"..", raw)


async def test_corpus_is_stored_byte_exact_by_data_and_by_bdat(tmp_path: Path) -> None:
    """Catalogue XP-SMTP-IMAP-BYTES (store side), SMTP-DATA-8BIT-TRANSPARENT,
    SMTP-DATA-LINE-1000: every valid corpus message, dot lines and long lines
    included, comes back exactly; binary ones go by BDAT with BINARYMIME."""
    corpus = [m for m in generate(7, 40) if m.valid_for_smtp]
    assert any(m.needs_binarymime for m in corpus) and any(b"\r\n." in m.raw for m in corpus)
    async with smtp_server(tmp_path) as server, RawSMTP.connect(server) as smtp:
        await smtp.ehlo()
        for message in corpus:
            body = "BINARYMIME" if message.needs_binarymime else "8BITMIME"
            utf8 = b" SMTPUTF8" if message.needs_smtputf8 else b""
            mail = f"MAIL FROM:<a@x.example> BODY={body}".encode() + utf8 + b"\r\n"
            assert await smtp.codes(mail + b"RCPT TO:<bob@example.test>\r\n", 2) == [250, 250]
            if message.needs_binarymime:
                assert (
                    await smtp.command(b"BDAT %d LAST\r\n" % message.size + message.raw)
                ).code == 250
            else:
                assert (await smtp.command(b"DATA\r\n")).code == 354
                assert message.raw.endswith(b"\r\n")
                assert (await smtp.command(_stuff(message.raw) + b".\r\n")).code == 250
        assert await originals(server, BOB[0]) == [message.raw for message in corpus]


async def test_notify_success_on_local_delivery_sends_a_delivered_dsn(tmp_path: Path) -> None:
    """Catalogue SMTP-DSN-GENERATE: NOTIFY=SUCCESS on local delivery -> Action: delivered,
    to the sender from <>; NOTIFY=NEVER, no NOTIFY and the null sender get none."""
    async with smtp_server(tmp_path) as server:
        await _ask_for_receipts(server)
        (dsn,) = await mailbox_contents(server, ALICE[0])
        assert len(await mailbox_contents(server, BOB[0])) == 3
    assert dsn.startswith(b"Return-Path: <>\r\n")
    assert b"multipart/report" in dsn and b"report-type=delivery-status" in dsn
    assert b"Action: delivered" in dsn and b"Status: 2.0.0" in dsn
    assert re.search(rb"Final-Recipient: rfc822; ?bob@example.test\r\n", dsn)
    assert b"carol@example.test" not in dsn  # did not ask
    assert b"Original-Envelope-Id: track-7" in dsn
    assert b"Subject: tell me" in dsn and b"secret body" not in dsn  # RET=HDRS


async def _ask_for_receipts(server: object) -> None:
    async with RawSMTP.connect(server, "smtps") as smtp:  # type: ignore[arg-type]
        await smtp.ehlo()
        assert (await smtp.login(*ALICE)).code == 235
        for sender, notify in (
            (b"<alice@example.test>", b" NOTIFY=NEVER"),
            (b"<>", b" NOTIFY=SUCCESS"),
        ):
            codes = await smtp.codes(
                b"MAIL FROM:"
                + sender
                + b"\r\nRCPT TO:<bob@example.test>"
                + notify
                + b"\r\nDATA\r\n",
                3,
            )
            assert codes == [250, 250, 354]
            assert (await smtp.command(b"Subject: quiet\r\n\r\nx\r\n.\r\n")).code == 250
        codes = await smtp.codes(
            b"MAIL FROM:<alice@example.test> ENVID=track-7 RET=HDRS\r\n"
            b"RCPT TO:<bob@example.test> NOTIFY=SUCCESS ORCPT=rfc822;bob@example.test\r\n"
            b"RCPT TO:<carol@example.test>\r\nDATA\r\n",
            4,
        )
        assert codes == [250, 250, 250, 354]
        assert (await smtp.command(b"Subject: tell me\r\n\r\nsecret body\r\n.\r\n")).code == 250
        assert (await smtp.command(b"NOOP\r\n")).code == 250  # the DSN went out after the 250
