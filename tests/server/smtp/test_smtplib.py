"""Python's smtplib against the reference server: MX delivery, submission with
STARTTLS and every SASL mechanism smtplib has, implicit TLS, 8-bit and
SMTPUTF8, send_message, and what lands in the store."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from pathlib import Path

import pytest

from harness.server.app import RunningServer
from harness.server.delivery import split_trace
from tests.server.smtp.helpers import (
    ALICE,
    BOB,
    RELAY_DOMAIN,
    in_thread,
    mailbox_contents,
    originals,
    smtp_server,
    tls_context,
)

pytestmark = pytest.mark.timeout(60)

MESSAGE = b"From: x@remote.example\r\nSubject: hello\r\n\r\nline one\r\n.leading dot\r\n..two\r\n"


def _mx(server: RunningServer) -> smtplib.SMTP:
    return smtplib.SMTP(server.host, server.port("smtp"), timeout=10)


async def test_mx_delivers_to_local_users_byte_exact(tmp_path: Path) -> None:
    """Catalogue SMTP-DATA-EOD, SMTP-DATA-DOTSTUFF, SMTP-TRACE-RECEIVED."""
    async with smtp_server(tmp_path) as server:

        def send() -> dict[str, tuple[int, bytes]]:
            with _mx(server) as client:
                return client.sendmail("x@remote.example", [ALICE[0], BOB[0]], MESSAGE)

        assert await in_thread(send) == {}
        for user in (ALICE[0], BOB[0]):
            (stored,) = await mailbox_contents(server, user)
            trace, original = split_trace(stored)
            assert original == MESSAGE
            assert trace.startswith(b"Return-Path: <x@remote.example>\r\nReceived: from ")
            assert trace.count(b"Received:") == 1
            assert b" for <" not in trace  # two recipients: no FOR clause (§4.4)


async def test_one_recipient_gets_the_for_clause_and_esmtp_keyword(tmp_path: Path) -> None:
    async with smtp_server(tmp_path) as server:

        def send() -> None:
            with _mx(server) as client:
                client.sendmail("x@remote.example", [ALICE[0]], MESSAGE)

        await in_thread(send)
        (stored,) = await mailbox_contents(server, ALICE[0])
        trace, _ = split_trace(stored)
        assert b"by mail.example.test with ESMTP id " in trace
        assert b"\r\n\tfor <alice@example.test>; " in trace
        assert b"([127.0.0.1])" in trace


async def test_helo_client_is_recorded_as_smtp(tmp_path: Path) -> None:
    async with smtp_server(tmp_path) as server:

        def send() -> tuple[int, bytes]:
            with _mx(server) as client:
                helo = client.helo("old.example")
                client.sendmail("x@remote.example", [BOB[0]], MESSAGE)
                return helo

        code, text = await in_thread(send)
        assert code == 250 and text == b"mail.example.test"  # one line, no extensions
        (stored,) = await mailbox_contents(server, BOB[0])
        assert b"from old.example ([127.0.0.1])\r\n\tby mail.example.test with SMTP id" in stored


async def test_postmaster_and_null_sender_are_accepted(tmp_path: Path) -> None:
    """Catalogue SMTP-RCPT-POSTMASTER, SMTP-MAIL-NULL-REVPATH."""
    async with smtp_server(tmp_path) as server:

        def send() -> list[tuple[int, bytes]]:
            with _mx(server) as client:
                client.ehlo()
                replies = [client.mail("<>")]
                for rcpt in ("<PostMaster@example.test>", "<postmaster>", "<POSTMASTER>"):
                    replies.append(client.rcpt(rcpt))
                replies.append(client.data(MESSAGE))
                return replies

        codes = [code for code, _ in await in_thread(send)]
        assert codes == [250, 250, 250, 250, 250]
        (stored,) = await mailbox_contents(server, ALICE[0])  # the domain's first account
        assert stored.startswith(b"Return-Path: <>\r\n")


async def test_unknown_user_is_550_5_1_1_and_others_still_delivered(tmp_path: Path) -> None:
    """Catalogue SMTP-RCPT-UNKNOWN."""
    async with smtp_server(tmp_path) as server:

        def send() -> dict[str, tuple[int, bytes]]:
            with _mx(server) as client:
                return client.sendmail("x@remote.example", ["nosuch@example.test", BOB[0]], MESSAGE)

        refused = await in_thread(send)
        assert refused == {"nosuch@example.test": (550, b"5.1.1 No such user here")}
        assert await originals(server, BOB[0]) == [MESSAGE]


async def test_8bit_and_smtputf8_messages(tmp_path: Path) -> None:
    """Catalogue SMTP-8BITMIME, SMTP-SMTPUTF8: the bytes are stored intact."""
    eight_bit = "Subject: caf\u00e9\r\n\r\nna\u00efve \u00fcber\r\n".encode("latin-1")
    utf8 = "From: δοκιμή@example.test\r\nSubject: Grüße\r\n\r\n日本語\r\n".encode()
    async with smtp_server(tmp_path) as server:

        def send() -> None:
            with _mx(server) as client:
                client.sendmail("x@remote.example", [ALICE[0]], eight_bit, ["BODY=8BITMIME"])
                client.sendmail("δοκιμή@παράδειγμα.δοκιμή", [ALICE[0]], utf8, ["SMTPUTF8"])

        await in_thread(send)
        first, second = await mailbox_contents(server, ALICE[0])
        assert split_trace(first)[1] == eight_bit
        trace, original = split_trace(second)
        assert original == utf8
        assert "Return-Path: <δοκιμή@παράδειγμα.δοκιμή>".encode() in trace
        assert b" with UTF8SMTP id " in trace  # RFC 6531 §3.7.3


async def test_utf8_address_without_smtputf8_is_refused(tmp_path: Path) -> None:
    async with smtp_server(tmp_path) as server:

        def send() -> tuple[int, bytes]:
            with _mx(server) as client:
                client.ehlo()
                client.command_encoding = "utf-8"
                return client.docmd("MAIL FROM:<δοκιμή@example.org>")

        code, text = await in_thread(send)
        assert (code, text[:5]) == (550, b"5.6.7")


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN", "CRAM-MD5"])
async def test_submission_starttls_login_each_mechanism(tmp_path: Path, mechanism: str) -> None:
    """Catalogue SMTP-SUBMISSION-587-AUTH, SMTP-AUTH-PLAIN/LOGIN/CRAM-MD5,
    SMTP-AUTH-RECEIVED-ESMTPA."""
    async with smtp_server(tmp_path, plaintext_secrets=True) as server:
        context = tls_context(server)

        def send() -> None:
            with smtplib.SMTP("localhost", server.port("submission"), timeout=10) as client:
                client.ehlo()
                assert not client.has_extn("auth")  # no AUTH before TLS
                client.starttls(context=context)
                client.ehlo()
                assert mechanism in client.esmtp_features["auth"].split()
                client.user, client.password = ALICE
                client.auth(
                    mechanism, getattr(client, "auth_" + mechanism.lower().replace("-", "_"))
                )
                client.sendmail(ALICE[0], [BOB[0]], MESSAGE)

        await in_thread(send)
        (stored,) = await mailbox_contents(server, BOB[0])
        assert b" with ESMTPSA id " in stored
        assert split_trace(stored)[1] == MESSAGE


async def test_smtps_implicit_tls_and_send_message(tmp_path: Path) -> None:
    """Catalogue SMTP-IMPLICIT-TLS-465."""
    async with smtp_server(tmp_path) as server:
        context = tls_context(server)
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = ALICE[0], BOB[0], "over 465"
        message.set_content("sent with send_message\n")

        def send() -> dict[str, str]:
            with smtplib.SMTP_SSL(
                "localhost", server.port("smtps"), context=context, timeout=10
            ) as client:
                client.ehlo()
                assert not client.has_extn("starttls")
                client.login(*ALICE)
                return dict(client.esmtp_features)

        features = await in_thread(send)
        assert "auth" in features and "chunking" in features

        def send_message() -> None:
            with smtplib.SMTP_SSL(
                "localhost", server.port("smtps"), context=context, timeout=10
            ) as client:
                client.login(*ALICE)
                client.send_message(message)

        await in_thread(send_message)
        (stored,) = await originals(server, BOB[0])
        assert b"Subject: over 465\r\n" in stored and b"sent with send_message\r\n" in stored


async def test_wrong_password_is_535_then_a_good_login_works(tmp_path: Path) -> None:
    """Catalogue SMTP-AUTH-FAIL."""
    async with smtp_server(tmp_path) as server:
        context = tls_context(server)

        def login() -> None:
            with smtplib.SMTP("localhost", server.port("submission"), timeout=10) as client:
                client.starttls(context=context)
                with pytest.raises(smtplib.SMTPAuthenticationError) as failed:
                    client.login(ALICE[0], "wrong")
                assert failed.value.smtp_code == 535
                assert failed.value.smtp_error.startswith(b"5.7.8")
                client.login(*ALICE)

        await in_thread(login)


async def test_submission_relays_for_the_authenticated_user(tmp_path: Path) -> None:
    """Catalogue SMTP-RELAY-AUTH-ALLOW: the message is queued, once per remote mailbox."""
    remote = f"Someone@{RELAY_DOMAIN}"
    async with smtp_server(tmp_path) as server:
        context = tls_context(server)

        def send() -> dict[str, tuple[int, bytes]]:
            with smtplib.SMTP("localhost", server.port("submission"), timeout=10) as client:
                client.starttls(context=context)
                client.login(*ALICE)
                return client.sendmail(
                    ALICE[0], [remote, BOB[0], f"Someone@{RELAY_DOMAIN.upper()}"], MESSAGE
                )

        assert await in_thread(send) == {}
        (entry,) = await server.context.store.relay_queue()
        assert entry.envelope_from == ALICE[0] and entry.recipients == (remote,)
        content = await server.context.store.relay_content(entry.id)
        trace, original = split_trace(content)
        assert original == MESSAGE
        assert trace.startswith(b"Received: ") and b"Return-Path" not in trace
        assert await originals(server, BOB[0]) == [MESSAGE]
