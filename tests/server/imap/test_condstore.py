"""CONDSTORE (RFC 7162 §3.1): HIGHESTMODSEQ on SELECT and STATUS, MODSEQ in
FETCH, CHANGEDSINCE, UNCHANGEDSINCE with [MODIFIED], and SEARCH MODSEQ."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.server.imap.helpers import ALICE, RawImap, imap_server, message, seed

pytestmark = pytest.mark.timeout(30)


def number(pattern: bytes, responses: list) -> int:
    for response in responses:
        match = re.search(pattern, response.raw)
        if match:
            return int(match[1])
    raise AssertionError(f"{pattern!r} not in {responses!r}")


async def test_modseq_grows_with_each_store_and_shows_in_fetch(tmp_path: Path) -> None:
    async with imap_server(tmp_path) as server:
        await seed(server, ALICE[0], message(1), message(2), message(3))
        async with RawImap.connect(server, login=ALICE) as c:
            selected = await c.ok("SELECT INBOX (CONDSTORE)")
            highest = number(rb"\[HIGHESTMODSEQ (\d+)\]", selected)
            before = number(rb"MODSEQ \((\d+)\)", await c.ok("FETCH 2 (MODSEQ)"))
            stored = await c.ok("STORE 2 +FLAGS (\\Flagged)")
            after = number(rb"MODSEQ \((\d+)\)", stored)
            assert after > before and after > highest
            status = await c.ok("STATUS INBOX (HIGHESTMODSEQ)")
            assert number(rb"HIGHESTMODSEQ (\d+)", status) == after
            changed = await c.ok(f"FETCH 1:* (FLAGS) (CHANGEDSINCE {highest})")
            assert [r.raw for r in changed[:-1]] == [
                b"* 2 FETCH (FLAGS (\\Flagged \\Recent) MODSEQ (%d))" % after
            ]
            searched = await c.ok(f"SEARCH MODSEQ {after}")
            assert searched[0].raw == b"* SEARCH 2 (MODSEQ %d)" % after


async def test_unchangedsince_refuses_a_message_another_session_changed(tmp_path: Path) -> None:
    async with imap_server(tmp_path) as server:
        await seed(server, ALICE[0], message(1), message(2))
        async with (
            RawImap.connect(server, login=ALICE) as a,
            RawImap.connect(server, login=ALICE) as b,
        ):
            await a.ok("ENABLE CONDSTORE")
            selected = await a.ok("SELECT INBOX")
            old = number(rb"\[HIGHESTMODSEQ (\d+)\]", selected)
            await b.ok("SELECT INBOX")
            await b.ok("STORE 1 +FLAGS (\\Answered)")
            refused = await a.command(f"STORE 1:2 (UNCHANGEDSINCE {old}) +FLAGS.SILENT (\\Seen)")
            assert refused[-1].raw.split(b" ", 1)[1].startswith(b"OK [MODIFIED 1]")
            silent = [r.raw for r in refused[:-1] if b"MODSEQ" in r.raw and b"FLAGS" not in r.raw]
            assert len(silent) == 1 and silent[0].startswith(b"* 2 FETCH (MODSEQ (")
            flags = await a.ok("FETCH 1 (FLAGS)")
            assert b"\\Seen" not in flags[-2].raw and b"\\Answered" in flags[-2].raw
            uid_refused = await a.command("UID STORE 1:* (UNCHANGEDSINCE 1) +FLAGS (\\Draft)")
            assert b"[MODIFIED " in uid_refused[-1]
