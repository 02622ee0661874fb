"""AUTH over the wire (RFC 4954): SCRAM-SHA-256 (which smtplib lacks) with the
harness's own SASL client, the empty challenge, cancel, bad base64, unknown
mechanisms, and repeated failures closing the session."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from harness.protocols.sasl import ClientMechanism
from harness.server.smtp.session import MAX_ERRORS
from tests.server.smtp.helpers import ALICE, BOB, RawSMTP, originals, smtp_server

pytestmark = pytest.mark.timeout(60)


def b64(data: bytes) -> bytes:
    return base64.b64encode(data)


async def test_scram_sha_256_then_send(tmp_path: Path) -> None:
    """RFC 7677 / RFC 5802 over RFC 4954: the server-final message rides on a 334
    and the client answers it with an empty line."""
    async with smtp_server(tmp_path) as server, RawSMTP.connect(server, "smtps") as smtp:
        await smtp.ehlo()
        client = ClientMechanism.create("SCRAM-SHA-256", *ALICE)
        first = client.initial_response()
        assert first is not None
        challenge = await smtp.command(b"AUTH SCRAM-SHA-256 " + b64(first) + b"\r\n")
        assert challenge.code == 334
        final = await smtp.command(b64(client.step(base64.b64decode(challenge.text))) + b"\r\n")
        assert final.code == 334  # v=ServerSignature
        client.finish(base64.b64decode(final.text))  # the server proved it knows the verifier
        done = await smtp.command(b"\r\n")
        assert (done.code, str(done.enhanced)) == (235, "2.7.0")
        codes = await smtp.codes(
            b"MAIL FROM:<alice@example.test>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\n", 3
        )
        assert codes == [250, 250, 354]
        assert (await smtp.command(b"Subject: s\r\n\r\nx\r\n.\r\n")).code == 250
        (stored,) = await originals(server, BOB[0])
        assert stored == b"Subject: s\r\n\r\nx\r\n"


async def test_plain_with_empty_challenge(tmp_path: Path) -> None:
    """Catalogue SMTP-AUTH-PLAIN (b): "334 " with its space, then the response."""
    async with smtp_server(tmp_path) as server, RawSMTP.connect(server, "smtps") as smtp:
        await smtp.ehlo()
        challenge = await smtp.command(b"AUTH PLAIN\r\n")
        assert (challenge.code, challenge.text) == (334, "")
        response = b64(b"\0" + ALICE[0].encode() + b"\0" + ALICE[1].encode())
        assert (await smtp.command(response + b"\r\n")).code == 235


async def test_login_cancel_bad_base64_and_unknown_mechanism(tmp_path: Path) -> None:
    """Catalogue SMTP-AUTH-LOGIN, SMTP-AUTH-CANCEL-BADB64, SMTP-AUTH-SEQUENCE."""
    async with smtp_server(tmp_path) as server, RawSMTP.connect(server, "smtps") as smtp:
        await smtp.ehlo()
        username = await smtp.command(b"AUTH LOGIN\r\n")
        assert (username.code, username.text) == (334, "VXNlcm5hbWU6")
        assert (await smtp.command(b"*\r\n")).code == 501  # RFC 4954 §4 MUST
        assert (
            await smtp.command(b"AUTH LOGIN " + b64(b"alice@example.test") + b"\r\n")
        ).code == 334
        bad = await smtp.command(b"=AAA\r\n")
        assert (bad.code, str(bad.enhanced)) == (501, "5.5.2")
        unknown = await smtp.command(b"AUTH CRAM-MD5\r\n")  # not offered: no plaintext secrets
        assert (unknown.code, str(unknown.enhanced)) == (504, "5.5.4")
        assert (await smtp.command(b"AUTH LOGIN " + b64(ALICE[0].encode()) + b"\r\n")).code == 334
        assert (await smtp.command(b64(ALICE[1].encode()) + b"\r\n")).code == 235


async def test_auth_in_a_transaction_is_503(tmp_path: Path) -> None:
    async with smtp_server(tmp_path) as server, RawSMTP.connect(server, "smtps") as smtp:
        await smtp.ehlo()
        assert (await smtp.command(b"MAIL FROM:<>\r\n")).code == 530  # submission: AUTH first
        assert (await smtp.login(*ALICE)).code == 235
        assert (await smtp.command(b"MAIL FROM:<>\r\n")).code == 250
        assert (await smtp.login(*ALICE)).code == 503


async def test_repeated_login_failures_end_the_session(tmp_path: Path) -> None:
    async with smtp_server(tmp_path) as server, RawSMTP.connect(server, "smtps") as smtp:
        await smtp.ehlo()
        wrong = b"AUTH PLAIN " + b64(b"\0alice@example.test\0wrong") + b"\r\n"
        replies = [await smtp.command(wrong) for _ in range(MAX_ERRORS - 1)]
        assert {(r.code, str(r.enhanced)) for r in replies} == {(535, "5.7.8")}
        await smtp.send(b"BOGUS\r\n")
        assert [r.code for r in await smtp.replies(2)] == [500, 421]
        assert await smtp.closed() == b""
