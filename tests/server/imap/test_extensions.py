"""Extensions against the wire: IMAP4rev2 via ENABLE, ESEARCH and SEARCHRES,
LIST-EXTENDED / SPECIAL-USE / LIST-STATUS, CREATE-SPECIAL-USE, STATUS items,
modified UTF-7 and UTF8=ACCEPT names, BINARY, CHARSET.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.server.imap.helpers import ALICE, RawImap, imap_server, message, seed, untagged

pytestmark = pytest.mark.timeout(30)

FIVE = [message(n) for n in range(1, 6)]


def raws(responses: list) -> list[bytes]:
    return [r.raw for r in responses[:-1]]


async def test_enable_imap4rev2_changes_select_search_and_unsolicited_fetch(
    tmp_path: Path,
) -> None:
    async with imap_server(tmp_path) as server:
        uids = await seed(server, ALICE[0], *FIVE[:3])
        async with (
            RawImap.connect(server, login=ALICE) as a,
            RawImap.connect(server, login=ALICE) as b,
        ):
            enabled = await a.ok("ENABLE IMAP4rev2 X-UNKNOWN")
            assert raws(enabled) == [b"* ENABLED IMAP4rev2"]
            assert raws(await a.ok("ENABLE imap4rev2")) == [b"* ENABLED"]
            selected = raws(await a.ok("SELECT inbox"))
            assert not [r for r in selected if r.endswith(b"RECENT") or b"[UNSEEN" in r]
            assert b'* LIST (\\HasNoChildren) "/" INBOX' in selected
            assert any(b"[UIDNEXT " in r for r in selected)
            search = await a.ok("SEARCH ALL")
            assert raws(search) == [b'* ESEARCH (TAG "' + search[-1].raw.split()[0] + b'") ALL 1:3']
            await b.ok("SELECT INBOX")
            await b.ok("STORE 2 +FLAGS (\\Flagged)")
            noop = await a.ok("NOOP")
            assert raws(noop) == [b"* 2 FETCH (UID %d FLAGS (\\Flagged))" % uids[1]]
            again = raws(await a.ok("EXAMINE Sent"))
            assert again[0] == b"* OK [CLOSED] previous mailbox closed"


async def test_esearch_return_options_and_saved_results(tmp_path: Path) -> None:
    async with imap_server(tmp_path) as server:
        uids = await seed(server, ALICE[0], *FIVE)
        async with RawImap.connect(server, login=ALICE) as c:
            await c.ok("SELECT INBOX")
            await c.ok("STORE 1,3 +FLAGS (\\Seen)")
            minmax = await c.command("SEARCH RETURN (MIN MAX COUNT) UNSEEN", "m")
            assert raws(minmax) == [b'* ESEARCH (TAG "m") MIN 2 MAX 5 COUNT 3']
            uid_all = await c.command("UID SEARCH RETURN (ALL) ALL", "u")
            assert raws(uid_all) == [b'* ESEARCH (TAG "u") UID ALL %d:%d' % (uids[0], uids[4])]
            empty = await c.command("SEARCH RETURN (MIN MAX) SUBJECT nothing-matches", "e")
            assert raws(empty) == [b'* ESEARCH (TAG "e")']
            assert raws(await c.ok("SEARCH RETURN (SAVE) SEEN")) == []
            fetched = await c.ok("FETCH $ (UID)")
            assert [r[:11] for r in raws(fetched)] == [b"* 1 FETCH (", b"* 3 FETCH ("]
            assert raws(await c.ok("SEARCH UID $"))[0] == b"* SEARCH 1 3"
            assert raws(await c.ok("SEARCH NOT SEEN SMALLER 1"))[0] == b"* SEARCH"


async def test_search_charset_and_encoded_subject(tmp_path: Path) -> None:
    encoded = b"From: a@example.test\r\nSubject: =?UTF-8?B?w6TDtsO8?=\r\n\r\nbody\r\n"
    async with imap_server(tmp_path) as server:
        await seed(server, ALICE[0], FIVE[0], encoded)
        async with RawImap.connect(server, login=ALICE) as c:
            await c.ok("SELECT INBOX")
            bad = await c.command("SEARCH CHARSET X-FOO SUBJECT a")
            assert bad[-1].raw.split(b" ", 1)[1].startswith(b"NO [BADCHARSET (UTF-8 US-ASCII)]")
            umlauts = "äöü".encode()
            await c.send(b"s SEARCH CHARSET UTF-8 SUBJECT {%d}\r\n" % len(umlauts))
            assert (await c.read_response()).startswith(b"+ ")
            await c.send(umlauts + b"\r\n")
            found = await c.until_tagged("s")
            assert raws(found) == [b"* SEARCH 2"]
            assert raws(await c.ok('SEARCH BODY "BODY OF message"'))[0] == b"* SEARCH 1"


async def test_list_extended_special_use_children_and_status(tmp_path: Path) -> None:
    async with imap_server(tmp_path) as server:
        await seed(server, ALICE[0], *FIVE[:2])
        async with RawImap.connect(server, login=ALICE) as c:
            await c.ok("CREATE a/b/c")
            await c.ok("SUBSCRIBE a/b/c")
            special = raws(await c.ok('LIST (SPECIAL-USE) "" "*"'))
            assert {r.rsplit(b" ", 1)[1] for r in special} == {
                b"Sent", b"Drafts", b"Trash", b"Junk", b"Archive"
            }  # fmt: skip
            assert b'* LIST (\\HasNoChildren \\Sent) "/" Sent' in special
            children = raws(await c.ok('LIST "" "%" RETURN (CHILDREN)'))
            assert b'* LIST (\\HasChildren) "/" a' in children
            assert all(b"Children" in r for r in children)
            multi = raws(await c.ok('LIST "" ("INBOX" "Sent")'))
            assert [r.rsplit(b" ", 1)[1] for r in multi] == [b"INBOX", b"Sent"]
            assert (await c.command('LIST (X-FOO) "" "*"'))[-1].tagged_status == "BAD"
            assert raws(await c.ok('LIST () "" ""')) == []
            subscribed = raws(await c.ok('LIST (SUBSCRIBED) "" "*"'))
            assert b'* LIST (\\HasNoChildren \\Subscribed) "/" a/b/c' in subscribed
            assert not any(r.endswith(b'"/" a') for r in subscribed)
            recursive = raws(await c.ok('LIST (SUBSCRIBED RECURSIVEMATCH) "" "%"'))
            assert b'* LIST (\\HasChildren) "/" a (CHILDINFO (SUBSCRIBED))' in recursive
            status = raws(await c.ok('LIST "" "INBOX" RETURN (STATUS (MESSAGES UNSEEN))'))
            assert status == [
                b'* LIST (\\HasNoChildren) "/" INBOX',
                b"* STATUS INBOX (MESSAGES 2 UNSEEN 2)",
            ]
            await c.ok("DELETE a/b")  # it has inferiors, so it stays as \Noselect
            noselect = raws(await c.ok('LIST "" "a/b" RETURN (STATUS (MESSAGES))'))
            assert noselect == [b'* LIST (\\Noselect \\HasChildren) "/" a/b']


async def test_create_special_use_status_items_and_lsub_parents(tmp_path: Path) -> None:
    async with imap_server(tmp_path) as server:
        await seed(server, ALICE[0], *FIVE[:3])
        async with RawImap.connect(server, login=ALICE) as c:
            await c.ok("CREATE MySent (USE (\\Sent))")
            assert raws(await c.ok('LIST "" MySent')) == [
                b'* LIST (\\HasNoChildren \\Sent) "/" MySent'
            ]
            refused = await c.command("CREATE Everything (USE (\\All))")
            assert b"NO [USEATTR]" in refused[-1]
            await c.ok("SELECT INBOX")
            await c.ok("STORE 1 +FLAGS (\\Deleted \\Seen)")
            items = "MESSAGES UIDNEXT UIDVALIDITY UNSEEN RECENT SIZE DELETED HIGHESTMODSEQ"
            status = raws(await c.ok(f"STATUS INBOX ({items} APPENDLIMIT)"))[0]
            size = sum(len(m) for m in FIVE[:3])
            assert re.fullmatch(
                rb"\* STATUS INBOX \(MESSAGES 3 UIDNEXT 4 UIDVALIDITY \d+ UNSEEN 2 RECENT 0 "
                rb"SIZE %d DELETED 1 HIGHESTMODSEQ \d+ APPENDLIMIT \d+\)" % size,
                status,
            ), status
            assert b"NO [NONEXISTENT]" in (await c.command("STATUS nosuch (MESSAGES)"))[-1]
            await c.ok("CREATE x/y")
            await c.ok("SUBSCRIBE x/y")
            assert raws(await c.ok('LSUB "" "x%"')) == [b'* LSUB (\\Noselect) "/" x']
            assert raws(await c.ok('LSUB "" "x*"')) == [b'* LSUB () "/" x/y']


async def test_modified_utf7_names_and_utf8_accept(tmp_path: Path) -> None:
    async with imap_server(tmp_path) as server, RawImap.connect(server, login=ALICE) as c:
        await c.ok('CREATE "&ZeVnLIqe-"')
        assert raws(await c.ok('LIST "" "&ZeVnLIqe-"')) == [
            b'* LIST (\\HasNoChildren) "/" &ZeVnLIqe-'
        ]
        assert b"NO [CANNOT]" in (await c.command('CREATE "&Jjo!"'))[-1]
        assert (await c.command('CREATE "Entw\xc3\xbcrfe"'.encode("latin-1")))[
            -1
        ].tagged_status == "BAD"
        await c.ok("ENABLE UTF8=ACCEPT")
        await c.ok('CREATE "Entwürfe"')
        listed = raws(await c.ok('LIST "" "*"'))
        assert '* LIST (\\HasNoChildren) "/" "Entwürfe"'.encode() in listed
        assert '* LIST (\\HasNoChildren) "/" "日本語"'.encode() in listed
        body = "Subject: Grüße\r\n\r\nx\r\n".encode()
        await c.send(b"u APPEND INBOX UTF8 (~{%d+}\r\n%s)\r\n" % (len(body), body))
        assert (await c.read_response()).startswith(b"u OK [APPENDUID ")


async def test_binary_fetch_of_a_base64_part(tmp_path: Path) -> None:
    attachment = (
        b"From: b@example.test\r\nSubject: bin\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="x"\r\n\r\n'
        b"--x\r\nContent-Type: text/plain\r\n\r\ntext\r\n"
        b"--x\r\nContent-Type: application/octet-stream\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\nAAECAwQ=\r\n"
        b"--x\r\nContent-Type: application/octet-stream\r\n"
        b"Content-Transfer-Encoding: x-unknown\r\n\r\nzzz\r\n--x--\r\n"
    )
    async with imap_server(tmp_path) as server:
        await seed(server, ALICE[0], attachment)
        async with RawImap.connect(server, login=ALICE) as c:
            await c.ok("SELECT INBOX")
            fetched = raws(await c.ok("FETCH 1 (BINARY.PEEK[2] BINARY.SIZE[2])"))
            assert fetched == [
                b"* 1 FETCH (BINARY[2] ~{5}\r\n\x00\x01\x02\x03\x04 BINARY.SIZE[2] 5)"
            ]
            assert raws(await c.ok("FETCH 1 (FLAGS)")) == [b"* 1 FETCH (FLAGS (\\Recent))"]
            unknown = await c.command("FETCH 1 (BINARY.PEEK[3])")
            assert b"NO [UNKNOWN-CTE]" in unknown[-1]
            structure = raws(await c.ok("FETCH 1 (BODY)"))[0]
            assert b'"mixed")' in structure and b"BODY (" in structure


async def test_uid_expunge_removes_only_the_named_messages(tmp_path: Path) -> None:
    async with imap_server(tmp_path) as server:
        uids = await seed(server, ALICE[0], *FIVE[:3])
        async with RawImap.connect(server, login=ALICE) as c:
            await c.ok("SELECT INBOX")
            await c.ok("STORE 1:2 +FLAGS.SILENT (\\Deleted)")
            expunged = await c.ok(f"UID EXPUNGE {uids[0]}")
            assert untagged(expunged, b"EXPUNGE") == [b"* 1 EXPUNGE"]
            remaining = raws(await c.ok("UID SEARCH DELETED"))
            assert remaining == [b"* SEARCH %d" % uids[1]]
            assert b"NO [TRYCREATE]" in (await c.command("COPY 1 nosuch"))[-1]
            assert b"NO [CANNOT]" in (await c.command("STORE 1 +FLAGS (\\Recent)"))[-1]
            await c.ok("CLOSE")
            await c.ok("SELECT Trash")
            assert (await c.command("FETCH * (FLAGS)"))[-1].tagged_status == "BAD"
