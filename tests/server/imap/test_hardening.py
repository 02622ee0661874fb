"""Limits and observability: long command lines, the per-address cap, an
APPEND cut short, the failure delay, the session log line, BYE on shutdown,
and data of a message expunged under a FETCH."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import trio

from tests.server.imap.helpers import ALICE, RawImap, imap_server, message, seed

pytestmark = pytest.mark.timeout(30)


async def test_an_8192_octet_command_line_is_accepted(tmp_path: Path) -> None:
    async with imap_server(tmp_path) as server:
        (uid,) = await seed(server, ALICE[0], message(1))
        async with RawImap.connect(server, login=ALICE) as c:
            await c.ok("SELECT INBOX")
            prefix = f"UID FETCH {uid}"
            tag = "t"
            filler = ",".join(str(n) for n in range(100_000, 200_000))
            room = 8192 - len(f"{tag} {prefix} (UID)")
            numbers = filler[: filler.rfind(",", 0, room - 1)]
            line = f"{prefix},{numbers} (UID)"
            assert len(tag) + 1 + len(line) <= 8192
            responses = await c.command(line, tag)
            assert responses[-1].tagged_status == "OK"
            assert responses[0].raw == b"* 1 FETCH (UID %d)" % uid


async def test_a_client_over_the_per_address_cap_gets_bye(tmp_path: Path) -> None:
    async with (
        imap_server(tmp_path, max_connections_per_ip=1) as server,
        RawImap.connect(server) as first,
    ):
        stream = await trio.open_tcp_stream(server.host, server.port("imap"))
        refused = RawImap(stream)
        assert (await refused.closed()).startswith(b"* BYE [UNAVAILABLE]")
        await first.ok("NOOP")


async def test_an_append_cut_short_stores_nothing(tmp_path: Path) -> None:
    async with imap_server(tmp_path) as server:
        async with RawImap.connect(server, login=ALICE) as c:
            await c.send(b"a APPEND INBOX {100+}\r\nSubject: half\r\n")
        async with RawImap.connect(server, login=ALICE) as c:
            status = await c.ok("STATUS INBOX (MESSAGES)")
            assert status[0].raw == b"* STATUS INBOX (MESSAGES 0)"


async def test_a_failed_login_is_answered_after_the_delay(tmp_path: Path) -> None:
    async with (
        imap_server(tmp_path, auth_failure_delay=0.3) as server,
        RawImap.connect(server, "imaps") as c,
    ):
        started = trio.current_time()
        refused = await c.command(f"LOGIN {ALICE[0]} wrong")
        assert b"NO [AUTHENTICATIONFAILED]" in refused[-1]
        assert trio.current_time() - started >= 0.3


async def test_one_log_line_per_session(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="harness.server.session")
    async with imap_server(tmp_path) as server, RawImap.connect(server, login=ALICE) as c:
        await c.send(b"a APPEND Drafts {5+}\r\nHi!\r\n\r\n")
        await c.until_tagged("a")
        await c.send(b"z LOGOUT\r\n")
        await c.closed()
    # the server has stopped, so every session task has ended and logged
    messages = [r.getMessage() for r in caplog.records]
    (line,) = [m for m in messages if "service=imap " in m]
    assert f"user={ALICE[0]}" in line and "result=logout" in line and 'tls="TLS' in line
    (appended,) = [m for m in messages if m.startswith("message ")]
    assert "action=appended" in appended and "mailbox=Drafts" in appended and "size=5" in appended


async def test_shutdown_says_bye_to_open_sessions(tmp_path: Path) -> None:
    async with imap_server(tmp_path) as server:
        stream = await trio.open_tcp_stream(server.host, server.port("imap"))
        client = RawImap(stream)
        assert (await client.read_response()).startswith(b"* OK")
    assert b"* BYE [UNAVAILABLE] server shutting down" in await client.closed()
    await client.stream.aclose()


async def test_content_of_a_message_expunged_meanwhile_is_refused(tmp_path: Path) -> None:
    async with imap_server(tmp_path) as server:
        await seed(server, ALICE[0], message(1), message(2))
        async with (
            RawImap.connect(server, login=ALICE) as a,
            RawImap.connect(server, login=ALICE) as b,
        ):
            await a.ok("SELECT INBOX")
            await b.ok("SELECT INBOX")
            await b.ok("STORE 1 +FLAGS.SILENT (\\Deleted)")
            await b.ok("EXPUNGE")
            fetched = await a.command("FETCH 1:2 (BODY.PEEK[])")
            assert b"NO [EXPUNGEISSUED]" in fetched[-1]
            assert fetched[0].startswith(b"* 2 FETCH (BODY[] {")
            assert (await a.ok("NOOP"))[0].raw == b"* 1 EXPUNGE"


async def test_body_fetch_reports_the_new_seen_flag_in_the_same_response(tmp_path: Path) -> None:
    async with imap_server(tmp_path) as server:
        await seed(server, ALICE[0], message(1))
        async with RawImap.connect(server, login=ALICE) as c:
            await c.ok("SELECT INBOX")
            fetched = await c.ok("FETCH 1 (BODY[HEADER.FIELDS (SUBJECT)])")
            assert fetched[0].raw == (
                b"* 1 FETCH (FLAGS (\\Seen \\Recent) BODY[HEADER.FIELDS (SUBJECT)] "
                b"{22}\r\nSubject: message 1\r\n\r\n)"
            )
            again = await c.ok("FETCH 1 (RFC822.TEXT)")
            assert b"FLAGS" not in again[0]
