"""The POP3 server against Python's poplib: a real client nobody here wrote.

poplib blocks, so each client runs in a worker thread while the server runs
on the test's trio loop.
"""

from __future__ import annotations

import poplib
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest
import trio

from harness.protocols.pop3 import apop_digest
from harness.server.app import RunningServer
from tests.server.pop3.helpers import ALICE, BOB, inbox_uids, pop3_server, seed, tls_context

pytestmark = pytest.mark.timeout(30)

T = TypeVar("T")

MESSAGES = [
    b"From: bob@example.test\r\nSubject: one\r\n\r\nfirst body\r\nline two\r\nline three\r\n",
    b"From: bob@example.test\r\nSubject: two\r\n\r\nsecond\r\n",
    b"From: bob@example.test\r\nSubject: three\r\n\r\nthird\r\n",
]


async def in_thread(fn: Callable[[], T]) -> T:
    return await trio.to_thread.run_sync(fn)


def login(server: RunningServer, user: tuple[str, str] = ALICE) -> poplib.POP3:
    """A poplib session over STLS, logged in with USER/PASS."""
    client = poplib.POP3(server.host, server.port("pop3"), timeout=10)
    client.stls(tls_context(server))
    client.user(user[0])
    client.pass_(user[1])
    return client


async def test_retrieve_list_top_and_uidl_over_stls(tmp_path: Path) -> None:
    async with pop3_server(tmp_path) as server:
        uids = await seed(server, ALICE[0], *MESSAGES)

        def session() -> None:
            client = login(server)
            assert client.stat() == (3, sum(len(m) for m in MESSAGES))
            assert client.list()[1] == [f"{n} {len(m)}".encode() for n, m in enumerate(MESSAGES, 1)]
            _, lines, _ = client.retr(1)
            assert b"\r\n".join(lines) + b"\r\n" == MESSAGES[0]
            _, top, _ = client.top(1, 1)
            assert top == [b"From: bob@example.test", b"Subject: one", b"", b"first body"]
            _, uidls, _ = client.uidl()
            ids = [line.split()[1] for line in uidls]
            assert len(set(ids)) == 3
            assert client.uidl(2).split()[2] == ids[1]
            client.quit()

        await in_thread(session)
        assert await inbox_uids(server, ALICE[0]) == uids  # nothing deleted


async def test_capa_before_and_after_stls(tmp_path: Path) -> None:
    async with pop3_server(tmp_path) as server:

        def session() -> tuple[dict[str, list[str]], dict[str, list[str]], str]:
            client = poplib.POP3(server.host, server.port("pop3"), timeout=10)
            before = client.capa()
            with pytest.raises(poplib.error_proto) as refused:
                client.user(ALICE[0])
            client.stls(tls_context(server))
            after = client.capa()
            client.quit()
            return before, after, str(refused.value)

        before, after, refusal = await in_thread(session)
        assert "STLS" in before and "USER" not in before and "SASL" not in before
        assert "-ERR [AUTH]" in refusal
        assert "STLS" not in after and "USER" in after
        assert after["SASL"] == ["SCRAM-SHA-256", "PLAIN", "LOGIN"]
        for tag in ("TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING", "UTF8"):
            assert tag in before and tag in after


async def test_capa_after_login_still_lists_user_and_sasl(tmp_path: Path) -> None:
    async with pop3_server(tmp_path) as server:

        def session() -> tuple[dict[str, list[str]], dict[str, list[str]]]:
            client = poplib.POP3(server.host, server.port("pop3"), timeout=10)
            client.stls(tls_context(server))
            before = client.capa()
            client.user(ALICE[0])
            client.pass_(ALICE[1])
            after = client.capa()
            client.quit()
            return before, after

        before, after = await in_thread(session)
        # RFC 2449 §5: "Capabilities available in the AUTHORIZATION state MUST
        # be announced in both states."
        assert after == before and "USER" in after
        assert after["SASL"] == ["SCRAM-SHA-256", "PLAIN", "LOGIN"]


async def test_pop3s_with_implicit_tls(tmp_path: Path) -> None:
    async with pop3_server(tmp_path) as server:
        await seed(server, BOB[0], MESSAGES[1])

        def session() -> bytes:
            client = poplib.POP3_SSL(
                "localhost", server.port("pop3s"), context=tls_context(server), timeout=10
            )
            client.user(BOB[0])
            client.pass_(BOB[1])
            lines = client.retr(1)[1]
            client.quit()
            return b"\r\n".join(lines) + b"\r\n"

        assert await in_thread(session) == MESSAGES[1]


async def test_dele_takes_effect_only_at_quit_and_numbers_stay(tmp_path: Path) -> None:
    async with pop3_server(tmp_path) as server:
        uids = await seed(server, ALICE[0], *MESSAGES)

        def session() -> None:
            client = login(server)
            client.dele(1)
            assert client.list()[1] == [
                f"{n} {len(MESSAGES[n - 1])}".encode() for n in (2, 3)
            ]  # POP3-MSGNUM-STABLE
            with pytest.raises(poplib.error_proto):
                client.retr(1)
            assert client.stat()[0] == 2
            client.rset()
            assert client.stat()[0] == 3
            client.dele(2)
            client.quit()

        await in_thread(session)
        assert await inbox_uids(server, ALICE[0]) == [uids[0], uids[2]]

        def next_session() -> list[bytes]:
            client = login(server)
            listing = client.list()[1]
            client.quit()
            return listing

        assert len(await in_thread(next_session)) == 2


async def test_a_dropped_connection_deletes_nothing(tmp_path: Path) -> None:
    async with pop3_server(tmp_path) as server:
        uids = await seed(server, ALICE[0], *MESSAGES)

        def session() -> None:
            client = login(server)
            client.dele(1)
            client.dele(2)
            client.sock.close()  # no QUIT: RFC 1939 §6, no UPDATE state

        await in_thread(session)
        # The lock is released once the server has seen the close; the next
        # login waiting for it proves the session ended.
        with trio.fail_after(5):
            while server.context.maildrop_locks.is_held(ALICE[0]):
                await trio.sleep(0.01)
        assert await inbox_uids(server, ALICE[0]) == uids


async def test_second_session_gets_in_use_until_the_first_quits(tmp_path: Path) -> None:
    async with pop3_server(tmp_path) as server:

        def sessions() -> str:
            first = login(server)
            second = poplib.POP3(server.host, server.port("pop3"), timeout=10)
            second.stls(tls_context(server))
            second.user(ALICE[0])
            with pytest.raises(poplib.error_proto) as in_use:
                second.pass_(ALICE[1])
            first.quit()
            second.user(ALICE[0])
            second.pass_(ALICE[1])  # the lock was released by QUIT
            second.quit()
            return str(in_use.value)

        assert "-ERR [IN-USE]" in await in_thread(sessions)


async def test_wrong_password_fails_with_auth_code_after_the_delay(tmp_path: Path) -> None:
    async with pop3_server(tmp_path, auth_failure_delay=0.3) as server:

        def session() -> tuple[str, float]:
            client = poplib.POP3(server.host, server.port("pop3"), timeout=10)
            client.stls(tls_context(server))
            client.user(ALICE[0])
            started = time.monotonic()
            with pytest.raises(poplib.error_proto) as failed:
                client.pass_("wrong")
            elapsed = time.monotonic() - started
            client.user(ALICE[0])
            client.pass_(ALICE[1])  # still in AUTHORIZATION: a second try works
            client.quit()
            return str(failed.value), elapsed

        message, elapsed = await in_thread(session)
        assert "-ERR [AUTH]" in message
        assert elapsed >= 0.3


async def test_uidl_is_stable_across_sessions_and_deletions(tmp_path: Path) -> None:
    async with pop3_server(tmp_path) as server:
        await seed(server, ALICE[0], *MESSAGES)

        def uidl_map(delete_first: bool = False) -> list[bytes]:
            client = login(server)
            ids = [line.split()[1] for line in client.uidl()[1]]
            if delete_first:
                client.dele(1)
            client.quit()
            return ids

        first = await in_thread(lambda: uidl_map(delete_first=True))
        await seed(server, ALICE[0], b"Subject: new\r\n\r\nnew\r\n")
        second = await in_thread(uidl_map)
        assert second[:2] == first[1:]
        assert second[2] not in first  # a new message never reuses a deleted one's id


async def test_apop_when_plaintext_secrets_are_kept(tmp_path: Path) -> None:
    async with pop3_server(tmp_path, plaintext_secrets=True, require_tls_for_auth=False) as server:
        await seed(server, BOB[0], MESSAGES[0])

        def session() -> int:
            client = poplib.POP3(server.host, server.port("pop3"), timeout=10)
            client.apop(BOB[0], BOB[1])
            count = client.stat()[0]
            client.quit()
            return count

        assert await in_thread(session) == 1

        def wrong_digest() -> str:
            client = poplib.POP3(server.host, server.port("pop3"), timeout=10)
            timestamp = client.getwelcome().split()[-1].decode()
            with pytest.raises(poplib.error_proto) as failed:
                client._shortcmd(f"APOP {BOB[0]} {apop_digest(timestamp, 'wrong')}")
            client.quit()
            return str(failed.value)

        assert "-ERR [AUTH]" in await in_thread(wrong_digest)


async def test_apop_is_not_offered_without_plaintext_secrets(tmp_path: Path) -> None:
    async with pop3_server(tmp_path, require_tls_for_auth=False) as server:

        def session() -> tuple[bytes, str]:
            client = poplib.POP3(server.host, server.port("pop3"), timeout=10)
            welcome = client.getwelcome()
            with pytest.raises(poplib.error_proto) as refused:
                client._shortcmd(f"APOP {BOB[0]} {'0' * 32}")
            client.quit()
            return welcome, str(refused.value)

        welcome, refusal = await in_thread(session)
        assert b"<" not in welcome  # no timestamp: clients know APOP is absent
        assert "APOP is not offered" in refusal


async def test_plaintext_login_when_tls_is_not_required(tmp_path: Path) -> None:
    async with pop3_server(tmp_path, require_tls_for_auth=False) as server:
        await seed(server, ALICE[0], MESSAGES[2])

        def session() -> dict[str, list[str]]:
            client = poplib.POP3(server.host, server.port("pop3"), timeout=10)
            capabilities = client.capa()
            client.user(ALICE[0])
            client.pass_(ALICE[1])
            assert client.stat() == (1, len(MESSAGES[2]))
            client.quit()
            return capabilities

        capabilities = await in_thread(session)
        assert "USER" in capabilities and "SASL" in capabilities and "STLS" in capabilities
