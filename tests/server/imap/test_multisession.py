"""Several sessions on one mailbox stay consistent (RFC 3501 §5.2, §7.4.1;
RFC 9051 §7.5.1): EXISTS, EXPUNGE and FETCH FLAGS reach the other sessions at
command boundaries and during IDLE, never an EXPUNGE during FETCH, STORE or
SEARCH, and sequence numbers follow the EXPUNGEs each session was told of.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import trio

from tests.server.imap.helpers import ALICE, RawImap, imap_server, message, seed, untagged

pytestmark = pytest.mark.timeout(30)

FIVE = [message(n) for n in range(1, 6)]


def uids_of(responses: list) -> list[int]:
    return [int(m[1]) for r in responses for m in [re.search(rb"UID (\d+)", r.raw)] if m]


async def test_no_expunge_during_fetch_store_search_then_noop_announces_it(
    tmp_path: Path,
) -> None:
    async with imap_server(tmp_path) as server:
        uids = await seed(server, ALICE[0], *FIVE)
        async with (
            RawImap.connect(server, login=ALICE) as a,
            RawImap.connect(server, login=ALICE) as b,
        ):
            await a.ok("SELECT INBOX")
            await b.ok("SELECT INBOX")
            await b.ok("STORE 2 +FLAGS.SILENT (\\Deleted)")
            expunged = await b.ok("EXPUNGE")
            assert untagged(expunged, b"EXPUNGE") == [b"* 2 EXPUNGE"]

            fetched = await a.ok("FETCH 1:* (FLAGS)")
            assert not untagged(fetched, b"EXPUNGE")
            assert len([r for r in fetched if b"FETCH (" in r]) == 5
            stored = await a.ok("STORE 3 +FLAGS (\\Seen)")
            assert not untagged(stored, b"EXPUNGE")
            assert b"* 3 FETCH" in stored[0]
            searched = await a.ok("SEARCH ALL")
            assert searched[-2].raw == b"* SEARCH 1 2 3 4 5"

            noop = await a.ok("NOOP")
            assert untagged(noop, b"EXPUNGE") == [b"* 2 EXPUNGE"]
            after = await a.ok("FETCH 1:* (UID)")
            assert uids_of(after) == [uids[0], uids[2], uids[3], uids[4]]


async def test_uid_fetch_may_carry_the_expunge_after_its_data(tmp_path: Path) -> None:
    async with imap_server(tmp_path) as server:
        await seed(server, ALICE[0], *FIVE[:3])
        async with (
            RawImap.connect(server, login=ALICE) as a,
            RawImap.connect(server, login=ALICE) as b,
        ):
            await a.ok("SELECT INBOX")
            await b.ok("SELECT INBOX")
            await b.ok("STORE 1 +FLAGS.SILENT (\\Deleted)")
            await b.ok("EXPUNGE")
            responses = await a.ok("UID FETCH 1:* (FLAGS)")
            assert [r.raw[:11] for r in responses[:-1]] == [
                b"* 1 FETCH (",
                b"* 2 FETCH (",
                b"* 3 FETCH (",
                b"* 1 EXPUNGE",
            ]


async def test_delivery_and_flag_changes_reach_the_other_session_on_noop(
    tmp_path: Path,
) -> None:
    async with imap_server(tmp_path) as server:
        await seed(server, ALICE[0], *FIVE[:2])
        async with (
            RawImap.connect(server, login=ALICE) as a,
            RawImap.connect(server, login=ALICE) as b,
        ):
            selected = await a.ok("SELECT INBOX")
            assert b"* 2 RECENT" in [r.raw for r in selected]
            again = await b.ok("SELECT INBOX")
            assert b"* 0 RECENT" in [r.raw for r in again]  # \Recent went to a
            await seed(server, ALICE[0], message(3))
            noop = await a.ok("NOOP")  # RECENT counts every \Recent message (§7.3.2)
            assert [r.raw for r in noop[:-1]] == [b"* 3 EXISTS", b"* 3 RECENT"]
            stored = await b.ok("STORE 1 +FLAGS (\\Flagged)")
            assert [r.raw for r in stored[:-1]] == [  # news first, then the command's data
                b"* 3 EXISTS",
                b"* 0 RECENT",
                b"* 1 FETCH (FLAGS (\\Flagged))",
            ]
            noop = await a.ok("NOOP")
            assert [r.raw for r in noop[:-1]] == [b"* 1 FETCH (FLAGS (\\Flagged \\Recent))"]


async def test_two_sessions_changing_different_flags_do_not_overwrite(tmp_path: Path) -> None:
    async with imap_server(tmp_path) as server:
        await seed(server, ALICE[0], FIVE[0])
        async with (
            RawImap.connect(server, login=ALICE) as a,
            RawImap.connect(server, login=ALICE) as b,
        ):
            await a.ok("SELECT INBOX")
            await b.ok("SELECT INBOX")
            await a.ok("STORE 1 +FLAGS (\\Answered \\Seen)")
            await b.ok("STORE 1 -FLAGS (\\Seen)")
            await a.ok("NOOP")
            for client, recent in ((a, b" \\Recent"), (b, b"")):
                flags = await client.ok("FETCH 1 (FLAGS)")
                assert flags[-2].raw == b"* 1 FETCH (FLAGS (\\Answered" + recent + b"))"


async def test_idle_is_woken_by_a_delivery_and_by_expunge_and_flags(tmp_path: Path) -> None:
    async with imap_server(tmp_path) as server:
        await seed(server, ALICE[0], *FIVE[:3])
        async with (
            RawImap.connect(server, login=ALICE) as a,
            RawImap.connect(server, login=ALICE) as b,
        ):
            await a.ok("SELECT INBOX")
            await b.ok("SELECT INBOX")
            await a.send(b"i1 IDLE\r\n")
            assert (await a.read_response()).startswith(b"+ ")
            with trio.fail_after(5):
                await seed(server, ALICE[0], message(4))
                assert (await a.read_response()).raw == b"* 4 EXISTS"
                assert (await a.read_response()).raw == b"* 4 RECENT"
                await b.ok("STORE 1 +FLAGS.SILENT (\\Deleted)")
                assert (await a.read_response()).raw == b"* 1 FETCH (FLAGS (\\Deleted \\Recent))"
                await b.ok("EXPUNGE")
                assert (await a.read_response()).raw == b"* 1 EXPUNGE"
                await b.ok("STORE 2 +FLAGS.SILENT (\\Flagged)")  # b's numbers: 2 is a's 2 too
                assert (await a.read_response()).raw == b"* 2 FETCH (FLAGS (\\Flagged \\Recent))"
            await a.send(b"done\r\n")  # RFC 2177: DONE is case-insensitive
            assert (await a.read_response()).raw == b"i1 OK IDLE terminated"


async def test_append_to_the_selected_mailbox_announces_exists(tmp_path: Path) -> None:
    async with imap_server(tmp_path) as server:
        await seed(server, ALICE[0], FIVE[0])
        async with RawImap.connect(server, login=ALICE) as a:
            await a.ok("SELECT INBOX")
            body = FIVE[1]
            await a.send(b"t1 APPEND INBOX {%d+}\r\n" % len(body) + body + b"\r\n")
            responses = await a.until_tagged("t1")
            assert responses[-1].tagged_status == "OK"
            assert b"* 2 EXISTS" in [r.raw for r in responses]


async def test_a_mailbox_deleted_under_a_session_empties_it(tmp_path: Path) -> None:
    async with (
        imap_server(tmp_path) as server,
        RawImap.connect(server, login=ALICE) as a,
        RawImap.connect(server, login=ALICE) as b,
    ):
        await a.ok("CREATE Work")
        await seed(server, ALICE[0], *FIVE[:2], mailbox="Work")
        await a.ok("SELECT Work")
        await b.ok("DELETE Work")
        noop = await a.ok("NOOP")
        assert untagged(noop, b"EXPUNGE") == [b"* 1 EXPUNGE", b"* 1 EXPUNGE"]
        bad = await a.command("FETCH 1 (FLAGS)")
        assert bad[-1].tagged_status == "BAD"
        assert (await a.command("STORE 1:* +FLAGS (x)"))[-1].tagged_status == "BAD"


async def test_a_session_that_fell_behind_the_feed_resynchronises(tmp_path: Path) -> None:
    """More batches than the change feed keeps (1024): the session re-reads the
    mailbox and still reports every change exactly."""
    async with imap_server(tmp_path) as server:
        await seed(server, ALICE[0], *FIVE[:2])
        async with (
            RawImap.connect(server, login=ALICE) as a,
            RawImap.connect(server, login=ALICE) as b,
        ):
            await a.ok("SELECT INBOX")
            await b.ok("SELECT INBOX")
            await b.ok("STORE 2 +FLAGS.SILENT (\\Deleted)")
            await b.ok("EXPUNGE")
            store = server.context.store
            inbox = await store.inbox(ALICE[0])
            for number in range(1100):  # one commit (one feed batch) each
                await store.append(inbox.id, message(number))
            await b.ok("STORE 1 +FLAGS.SILENT (\\Flagged)")
            noop = [r.raw for r in (await a.ok("NOOP"))[:-1]]
            assert noop[0] == b"* 2 EXPUNGE"
            assert b"* 1101 EXISTS" in noop
            assert b"* 1 FETCH (FLAGS (\\Flagged \\Recent))" in noop
            assert (await a.ok("FETCH 1101 (FLAGS)"))[0].startswith(b"* 1101 FETCH")
