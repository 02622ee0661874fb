"""Hardening and observability: loop detection, the delay after a failed AUTH,
a failed TLS handshake, and the structured log lines (one per session, one
per message)."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest

from harness.server.sessionlog import SESSION_LOGGER
from harness.server.smtp.transaction import MAX_HOPS
from tests.server.smtp.helpers import ALICE, BOB, RawSMTP, mailbox_contents, smtp_server

pytestmark = pytest.mark.timeout(60)

ENVELOPE = b"MAIL FROM:<a@x.example>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\n"


def _hops(count: int) -> bytes:
    received = b"".join(
        b"Received: from h%d.example\r\n\tby h%d.example; Mon, 1 Jan 2024 00:00:00 +0000\r\n"
        % (n, n + 1)
        for n in range(count)
    )
    return received + b"Subject: loop\r\n\r\nbody\r\n"


async def test_mail_loop_is_refused_at_100_received_fields(tmp_path: Path) -> None:
    """Catalogue SMTP-LOOP-DETECT (RFC 5321 §6.3), ESC 5.4.6."""
    async with smtp_server(tmp_path) as server, RawSMTP.connect(server) as smtp:
        await smtp.ehlo()
        codes = await smtp.codes(ENVELOPE + _hops(MAX_HOPS - 1) + b".\r\n", 4)
        assert codes == [250, 250, 354, 250]
        assert await smtp.codes(ENVELOPE, 3) == [250, 250, 354]
        refused = await smtp.command(_hops(MAX_HOPS) + b".\r\n")
        assert (refused.code, str(refused.enhanced)) == (554, "5.4.6")
        assert len(await mailbox_contents(server, BOB[0])) == 1


async def test_failed_auth_is_answered_after_the_delay(tmp_path: Path) -> None:
    async with (
        smtp_server(tmp_path, auth_failure_delay=0.3) as server,
        RawSMTP.connect(server, "smtps") as smtp,
    ):
        await smtp.ehlo()
        started = time.monotonic()
        assert (await smtp.login(ALICE[0], "wrong")).code == 535
        assert time.monotonic() - started >= 0.3
        started = time.monotonic()
        assert (await smtp.login(*ALICE)).code == 235
        assert time.monotonic() - started < 0.3


async def test_a_failed_tls_handshake_ends_only_that_session(tmp_path: Path) -> None:
    async with smtp_server(tmp_path) as server:
        async with RawSMTP.connect(server) as smtp:
            await smtp.ehlo()
            assert (await smtp.command(b"STARTTLS\r\n")).code == 220
            await smtp.send(b"EHLO not-a-client-hello.example\r\n")
            assert await smtp.closed() == b""
        async with RawSMTP.connect(server) as smtp:
            await smtp.ehlo()


async def test_one_log_line_per_session_and_per_message(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=SESSION_LOGGER.name)
    async with smtp_server(tmp_path) as server:
        async with RawSMTP.connect(server) as smtp:
            await smtp.ehlo()
            assert (await smtp.codes(ENVELOPE + b"Subject: 1\r\n\r\nx\r\n.\r\n", 4))[-1] == 250
            assert (await smtp.codes(ENVELOPE + b"Subject: 2\r\n\r\nx\ny\r\n.\r\n", 4))[-1] == 550
            assert (await smtp.command(b"QUIT\r\n")).code == 221
        lines = [r.getMessage() for r in caplog.records if r.name == SESSION_LOGGER.name]
    sessions = [line for line in lines if line.startswith("session ")]
    messages = [line for line in lines if line.startswith("message ")]
    assert len(sessions) == 1 and "service=smtp" in sessions[0] and "result=quit" in sessions[0]
    assert len(messages) == 2
    assert "action=delivered" in messages[0] and "from=<a@x.example>" in messages[0]
    assert f"to={BOB[0]}" in messages[0] and "result=ok" in messages[0]
    assert "action=rejected" in messages[1]
