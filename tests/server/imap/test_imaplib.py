"""The IMAP session against Python's imaplib: a real client nobody here wrote.

imaplib blocks, so each client runs in a worker thread while the server runs
on the test's trio loop. Expected values come from the seeded messages, never
from the server.
"""

from __future__ import annotations

import imaplib
import re
import time
from pathlib import Path

import pytest

from tests.server.imap.helpers import (
    ALICE,
    BOB,
    imap_server,
    imaplib_login,
    in_thread,
    message,
    seed,
    tls_context,
)

pytestmark = pytest.mark.timeout(30)

MESSAGES = [message(n) for n in range(1, 6)]
ATTACHMENT = (
    b"From: bob@example.test\r\nSubject: with attachment\r\nMIME-Version: 1.0\r\n"
    b'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n'
    b"--b1\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
    b"--b1\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    b"AAECAwQ=\r\n--b1--\r\n"
)


def fetch_one(client: imaplib.IMAP4, number: str, items: str, *, uid: bool = False) -> bytes:
    """The literal of a single-message FETCH whose response carries one literal."""
    if uid:
        typ, data = client.uid("FETCH", number, items)
    else:
        typ, data = client.fetch(number, items)
    assert typ == "OK", data
    first = data[0]
    assert isinstance(first, tuple), data
    return first[1]


def fetch_text(client: imaplib.IMAP4, number: str, items: str, *, uid: bool = False) -> str:
    """Every FETCH response of the command as one text (no literals expected)."""
    typ, data = client.uid("FETCH", number, items) if uid else client.fetch(number, items)
    assert typ == "OK", data
    return " ".join(d.decode() for d in data if isinstance(d, bytes))


async def test_greeting_starttls_login_and_capabilities(tmp_path: Path) -> None:
    async with imap_server(tmp_path) as server:

        def session() -> None:
            client = imaplib.IMAP4(server.host, server.port("imap"), timeout=10)
            before = client.capabilities
            assert "STARTTLS" in before and "LOGINDISABLED" in before
            assert not any(c.startswith("AUTH=") for c in before)
            with pytest.raises(imaplib.IMAP4.error, match="PRIVACYREQUIRED"):
                client.login(*ALICE)
            client.starttls(tls_context(server))
            typ, data = client.capability()
            after_tls = data[0].split()
            assert b"STARTTLS" not in after_tls and b"LOGINDISABLED" not in after_tls
            assert b"AUTH=PLAIN" in after_tls and b"AUTH=SCRAM-SHA-256" in after_tls
            typ, _ = client.login(*ALICE)
            assert typ == "OK"
            typ, data = client.capability()
            caps = set(data[0].split())
            for cap in (b"IMAP4rev1", b"IMAP4rev2", b"UIDPLUS", b"MOVE", b"CONDSTORE", b"IDLE"):
                assert cap in caps
            assert not any(c.startswith(b"AUTH=") for c in caps)
            assert client.logout()[0] == "BYE"

        await in_thread(session)


async def test_implicit_tls_login_and_wrong_password(tmp_path: Path) -> None:
    async with imap_server(tmp_path) as server:

        def session() -> None:
            client = imaplib.IMAP4_SSL(
                server.host, server.port("imaps"), ssl_context=tls_context(server), timeout=10
            )
            assert "STARTTLS" not in client.capabilities
            assert "AUTH=PLAIN" in client.capabilities
            with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
                client.login(ALICE[0], "wrong")
            assert client.state == "NONAUTH"
            client.login(*ALICE)
            assert client.state == "AUTH"
            client.logout()

        await in_thread(session)


async def test_authenticate_plain_and_cram_md5(tmp_path: Path) -> None:
    async with imap_server(tmp_path, plaintext_secrets=True) as server:

        def session() -> None:
            client = imaplib.IMAP4_SSL(
                server.host, server.port("imaps"), ssl_context=tls_context(server), timeout=10
            )
            assert "AUTH=CRAM-MD5" in client.capabilities
            typ, _ = client.login_cram_md5(*ALICE)
            assert typ == "OK"
            client.logout()
            client = imaplib.IMAP4_SSL(
                server.host, server.port("imaps"), ssl_context=tls_context(server), timeout=10
            )
            credentials = f"\0{BOB[0]}\0{BOB[1]}".encode()
            typ, _ = client.authenticate("PLAIN", lambda _: credentials)
            assert typ == "OK"
            client.logout()

        await in_thread(session)


async def test_select_fetch_peek_is_byte_exact_and_body_sets_seen(tmp_path: Path) -> None:
    async with imap_server(tmp_path) as server:
        await seed(server, ALICE[0], *MESSAGES, ATTACHMENT)

        def session() -> None:
            client = imaplib_login(server)
            typ, data = client.select("INBOX")
            assert (typ, data) == ("OK", [b"6"])
            assert client.untagged_responses.get("UIDVALIDITY")
            for number, expected in enumerate([*MESSAGES, ATTACHMENT], 1):
                assert fetch_one(client, str(number), "(BODY.PEEK[])") == expected
            assert "\\Seen" not in fetch_text(client, "1", "(FLAGS)")
            assert fetch_one(client, "1", "(BODY[TEXT])") == b"body of message 1\r\n"
            assert "\\Seen" in fetch_text(client, "1", "(FLAGS)")
            assert fetch_one(client, "6", "(BINARY.PEEK[2])") == b"\x00\x01\x02\x03\x04"
            assert fetch_one(client, "2", "(BODY.PEEK[HEADER.FIELDS (Subject)])") == (
                b"Subject: message 2\r\n\r\n"
            )
            assert 'BODY[]<0> "From"' in fetch_text(client, "3", "(BODY.PEEK[]<0.4>)")
            assert 'BODY[]<4> ": Bo"' in fetch_text(client, "3", "(BODY.PEEK[]<4.4>)")
            assert 'BODY[]<9999> ""' in fetch_text(client, "3", "(BODY.PEEK[]<9999.4>)")
            size = fetch_text(client, "4", "(RFC822.SIZE)")
            assert f"RFC822.SIZE {len(MESSAGES[3])}" in size
            client.logout()

        await in_thread(session)


async def test_uid_commands_search_store_copy_and_expunge(tmp_path: Path) -> None:
    async with imap_server(tmp_path) as server:
        uids = await seed(server, ALICE[0], *MESSAGES)

        def session() -> None:
            client = imaplib_login(server)
            client.select("INBOX")
            typ, data = client.uid("SEARCH", "ALL")
            assert data[0].split() == [str(u).encode() for u in uids]
            typ, data = client.search(None, "SUBJECT", '"message 3"')
            assert data == [b"3"]
            typ, data = client.store("2,3", "+FLAGS", "(\\Deleted)")
            assert typ == "OK" and all(b"\\Deleted" in d for d in data)
            # imaplib keeps the tagged text only from its internal call
            typ, data = client._simple_command("UID", "COPY", f"{uids[0]},{uids[4]}", "Archive")
            assert typ == "OK"
            copyuid = re.search(rb"\[COPYUID (\d+) ([0-9:,]+) ([0-9:,]+)\]", data[0])
            assert copyuid is not None and copyuid[2] == f"{uids[0]},{uids[4]}".encode()
            typ, data = client.expunge()
            assert data in ([b"2", b"2"], [b"3", b"2"])
            typ, data = client.uid("FETCH", f"{uids[3]}", "(FLAGS)")
            assert data[0].startswith(b"2 (") and f"UID {uids[3]}".encode() in data[0]
            typ, data = client.fetch("1:*", "(UID)")
            assert [int(re.search(rb"UID (\d+)", d).group(1)) for d in data] == [
                uids[0],
                uids[3],
                uids[4],
            ]
            client.select("Archive")
            typ, data = client.fetch("1:*", "(BODY.PEEK[])")
            bodies = [d[1] for d in data if isinstance(d, tuple)]
            assert bodies == [MESSAGES[0], MESSAGES[4]]
            client.logout()

        await in_thread(session)


async def test_append_then_fetch_is_byte_identical_with_appenduid(tmp_path: Path) -> None:
    async with imap_server(tmp_path) as server:
        content = "From: alice@example.test\r\nSubject: Grüße\r\n\r\n8-bit: äöü\r\n".encode()

        def session() -> None:
            client = imaplib_login(server)
            when = imaplib.Time2Internaldate(time.mktime((2024, 1, 5, 10, 0, 0, 0, 0, -1)))
            typ, data = client.append("Drafts", "(\\Seen $Label1)", when, content)
            assert typ == "OK"
            match = re.search(rb"\[APPENDUID (\d+) (\d+)\]", data[0])
            assert match is not None
            typ, data = client.select("Drafts")
            assert client.untagged_responses["UIDVALIDITY"] == [match[1]]
            assert fetch_one(client, match[2].decode(), "(BODY.PEEK[])", uid=True) == content
            text = fetch_text(client, "1", "(FLAGS RFC822.SIZE)")
            assert "$Label1" in text and "\\Seen" in text and f"RFC822.SIZE {len(content)}" in text
            typ, data = client.append("Nowhere", None, None, content)
            assert typ == "NO" and b"[TRYCREATE]" in data[0]
            assert client.status("Nowhere", "(MESSAGES)")[0] == "NO"
            client.logout()

        await in_thread(session)


async def test_mailbox_management_list_status_and_subscriptions(tmp_path: Path) -> None:
    async with imap_server(tmp_path) as server:
        await seed(server, ALICE[0], *MESSAGES[:3])

        def session() -> None:
            client = imaplib_login(server)
            assert client.create("Work/Projects/2024")[0] == "OK"
            typ, data = client.create("Work")
            assert typ == "NO" and b"ALREADYEXISTS" in data[0]
            assert client.create("INBOX")[0] == "NO"
            typ, data = client.list('""', "*")
            names = [d.rsplit(b" ", 1)[1] for d in data]
            assert names[0] == b"INBOX"
            assert {b"Work", b"Work/Projects", b"Work/Projects/2024"} <= set(names)
            typ, data = client.list('""', "%")
            assert b"Work/Projects" not in [d.rsplit(b" ", 1)[1] for d in data]
            typ, data = client.list("Work/", "%")
            assert [d.rsplit(b" ", 1)[1] for d in data] == [b"Work/Projects"]
            assert b"\\HasChildren" in data[0]
            typ, data = client.list('""', '""')
            assert data == [b'(\\Noselect) "/" ""']
            typ, data = client.status("INBOX", "(MESSAGES UNSEEN UIDNEXT RECENT)")
            assert b"MESSAGES 3" in data[0] and b"UNSEEN 3" in data[0]
            assert client.rename("Work/Projects", "Old")[0] == "OK"
            typ, data = client.list('""', "Old*")
            assert {d.rsplit(b" ", 1)[1] for d in data} == {b"Old", b"Old/2024"}
            assert client.subscribe("Old")[0] == "OK"
            typ, data = client.lsub('""', "*")
            assert b'"/" Old' in b" ".join(data)
            assert client.unsubscribe("Old")[0] == "OK"
            assert client.delete("Old/2024")[0] == "OK"
            assert client.delete("nosuch")[0] == "NO"
            assert client.delete("INBOX")[0] == "NO"
            client.logout()

        await in_thread(session)


async def test_examine_is_read_only_and_close_expunges_silently(tmp_path: Path) -> None:
    async with imap_server(tmp_path) as server:
        await seed(server, ALICE[0], *MESSAGES[:3])

        def session() -> None:
            client = imaplib_login(server)
            typ, data = client.select("INBOX", readonly=True)
            assert typ == "OK"
            fetch_one(client, "1", "(BODY[])")
            assert client.store("1", "+FLAGS", "(\\Deleted)")[0] == "NO"
            client.close()
            client.select("INBOX")
            assert "\\Seen" not in fetch_text(client, "1", "(FLAGS)")
            client.store("1", "+FLAGS", "(\\Deleted)")
            typ, _ = client.close()
            assert typ == "OK"
            assert client.untagged_responses.get("EXPUNGE") is None
            typ, data = client.select("INBOX")
            assert data == [b"2"]
            client.store("1", "+FLAGS", "(\\Deleted)")
            client.unselect()
            assert client.select("INBOX")[1] == [b"2"]
            client.logout()

        await in_thread(session)


async def test_move_sends_copyuid_then_expunge(tmp_path: Path) -> None:
    async with imap_server(tmp_path) as server:
        await seed(server, ALICE[0], *MESSAGES[:3])

        def session() -> None:
            client = imaplib_login(server)
            client.select("INBOX")
            client.store("2", "+FLAGS", "(\\Flagged)")
            typ, _data = client._simple_command("MOVE", "2", "Trash")
            assert typ == "OK"
            assert client.untagged_responses.get("EXPUNGE") == [b"2"]
            assert client.select("Trash")[1] == [b"1"]
            flags = fetch_text(client, "1", "(FLAGS)")
            assert "\\Flagged" in flags and "\\Deleted" not in flags
            client.logout()

        await in_thread(session)


async def test_namespace_id_and_bad_sequence_numbers(tmp_path: Path) -> None:
    async with imap_server(tmp_path) as server:
        await seed(server, ALICE[0], *MESSAGES[:2])

        def session() -> None:
            client = imaplib_login(server)
            typ, data = client.namespace()
            assert data == [b'(("" "/")) NIL NIL']
            typ, data = client.xatom("ID", '("name" "test")')
            assert typ == "OK"
            assert b"mailharness" in client.untagged_responses["ID"][0]
            client.select("INBOX")
            with pytest.raises(imaplib.IMAP4.error):
                client.fetch("9", "(FLAGS)")
            typ, data = client.uid("FETCH", "999999", "(FLAGS)")
            assert typ == "OK" and data == [None]
            typ, data = client.uid("FETCH", "3:*", "(UID)")
            assert len(data) == 1 and data[0].startswith(b"2 (UID ")
            client.logout()

        await in_thread(session)


async def test_synchronising_appends_do_not_stall_on_delayed_acks(tmp_path: Path) -> None:
    """imaplib writes the literal and its CRLF separately; without an immediate
    ACK from the server, Nagle holds the CRLF ~40 ms on every APPEND."""
    async with imap_server(tmp_path) as server:

        def session() -> float:
            client = imaplib_login(server)
            started = time.perf_counter()
            for number in range(30):
                assert client.append("INBOX", None, None, message(number))[0] == "OK"
            elapsed = time.perf_counter() - started
            client.logout()
            return elapsed

        assert await in_thread(session) < 1.0  # 30 stalls alone would take 1.2 s
