"""The POP3 server driven byte by byte: exact bodies, pipelining, garbage,
over-long lines, STLS injection, limits and timeouts.

These go through our own sans-IO client core (``RawPop3``) or a bare socket,
because a well-behaved client library cannot send bad bytes or show the
exact octets of a body.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import trio

from harness.protocols.pop3 import (
    Capa,
    Capability,
    Dele,
    Err,
    Lang,
    LanguageListing,
    List,
    Noop,
    Ok,
    Pass,
    Quit,
    Retr,
    ScanListing,
    Stat,
    Stls,
    Top,
    Uidl,
    User,
    Utf8,
)
from harness.server.app import RunningServer
from harness.server.store import FlagOperation
from tests.server.pop3.helpers import (
    ALICE,
    BOB,
    RawPop3,
    inbox_uids,
    pop3_server,
    seed,
    tls_context,
)

pytestmark = pytest.mark.timeout(30)

# Leading dots, lines that are only ".", 8-bit octets, NUL, a final line "."
TRICKY = (
    b"Subject: dots\r\n\r\n.\r\n..\r\n.x\r\n\x00\xff\xfe binary \x80\r\n"
    b"a line\r\n.\r\n\r\n.\r\n.end\r\n"
)


async def logged_in(client: RawPop3, server: RunningServer, user: tuple[str, str]) -> None:
    await client.stls(server)
    assert (await client.command(User(user[0]))).ok
    assert (await client.command(Pass(user[1]))).ok


async def test_retr_is_byte_exact_and_sizes_are_exact(tmp_path: Path) -> None:
    no_final_crlf = b"Subject: short\r\n\r\nno final line end"
    bare_newlines = b"Subject: lf\n\nline one\nline two\r.\r\n"
    async with pop3_server(tmp_path) as server:
        await seed(server, ALICE[0], TRICKY, no_final_crlf, bare_newlines)
        async with RawPop3.connect(server) as client:
            await logged_in(client, server, ALICE)
            bodies = [(await client.command(Retr(n))).body for n in (1, 2, 3)]
            listing = (await client.command(List())).parts
        assert bodies[0] == TRICKY
        assert bodies[1] == no_final_crlf + b"\r\n"  # CRLF before ".", then un-stuffed
        assert bodies[2] == b"Subject: lf\r\n\r\nline one\r\nline two\r\n.\r\n"
        assert listing == [ScanListing(n, len(body)) for n, body in enumerate(bodies, 1)]


async def test_retr_of_a_large_message_streams_every_octet(tmp_path: Path) -> None:
    line = b"." + bytes(range(32, 127)) * 10 + b"\r\n"
    big = b"Subject: big\r\n\r\n" + line * 3000  # ~2.9 MB: several store chunks
    async with pop3_server(tmp_path) as server:
        await seed(server, BOB[0], big)
        async with RawPop3.connect(server, "pop3s") as client:
            assert (await client.command(User(BOB[0]))).ok
            assert (await client.command(Pass(BOB[1]))).ok
            reply = await client.command(Retr(1))
        assert reply.body == big


async def test_top_cuts_after_the_header_and_n_body_lines(tmp_path: Path) -> None:
    async with pop3_server(tmp_path) as server:
        await seed(server, ALICE[0], TRICKY)
        async with RawPop3.connect(server) as client:
            await logged_in(client, server, ALICE)
            zero = (await client.command(Top(1, 0))).body
            three = (await client.command(Top(1, 3))).body
            everything = (await client.command(Top(1, 100000))).body
        assert zero == b"Subject: dots\r\n\r\n"
        assert three == b"Subject: dots\r\n\r\n.\r\n..\r\n.x\r\n"
        assert everything == TRICKY


async def test_pipelined_commands_get_complete_replies_in_order(tmp_path: Path) -> None:
    async with pop3_server(tmp_path) as server:
        second = b"Subject: 2\r\n\r\nsecond\r\n"
        await seed(server, ALICE[0], TRICKY, second)
        async with RawPop3.connect(server) as client:
            await logged_in(client, server, ALICE)
            commands = (Stat(), List(), Uidl(), Retr(1), Dele(2), List(2), Noop())
            await client.send(*commands)  # one write (RFC 2449 §6.6)
            replies = [await client.reply(command) for command in commands]
        assert [r.ok for r in replies] == [True] * 5 + [False, True]  # LIST 2: deleted
        assert replies[0].status.text == f"2 {len(TRICKY) + len(second)}"
        assert replies[3].body == TRICKY
        assert not replies[4].parts and replies[4].ok
        assert replies[6].ok


async def test_garbage_and_binary_input_get_err_and_the_session_goes_on(tmp_path: Path) -> None:
    garbage = [
        b"XYZZY\r\n",
        b"\x00\x01\x02\xff\xfe\r\n",
        b"RETR\r\n",
        b"STAT\r\n",  # wrong state
        b"USER\r\n",
        b"LIST a b c\r\n",
        b"bare line feed\n",
        b"\r\n",
        b"  \r\n",
    ]
    async with pop3_server(tmp_path) as server:
        stream = await trio.open_tcp_stream(server.host, server.port("pop3"))
        async with stream:
            await stream.send_all(b"".join(garbage) + b"NOOP\r\nCAPA\r\n")
            received = b""
            with trio.fail_after(5):
                while not received.endswith(b"\r\n.\r\n"):
                    received += await stream.receive_some(4096)
        lines = received.split(b"\r\n")
        assert lines[0].startswith(b"+OK ")
        assert all(line.startswith(b"-ERR ") for line in lines[1 : 1 + len(garbage)])
        assert lines[1 + len(garbage)].startswith(b"-ERR")  # NOOP: not in AUTHORIZATION
        assert lines[2 + len(garbage)].startswith(b"+OK")  # CAPA still answers


async def test_replies_are_ascii_until_utf8_is_enabled(tmp_path: Path) -> None:
    # RFC 6856 §2.1: without UTF8 mode "character strings outside the ASCII
    # repertoire MUST NOT be sent to the client as is"; RFC 2449 §3: schar is ASCII.
    refused = [
        b"XYZZY",
        b"STAT",
        b"USER alice@example.test",  # before STLS: TLS is required
        b"PASS wrong",
        b"AUTH PLAIN",
        b"AUTH X-NONE",
        b"AUTH \xc3\xa9",
        b"LANG \xc3\xa9",
        b"APOP alice@example.test 0123",
        b"USER " + b"x" * 300,
        b"NOOP\x00",
    ]
    async with pop3_server(tmp_path) as server:
        stream = await trio.open_tcp_stream(server.host, server.port("pop3"))
        async with stream:
            await stream.send_all(b"".join(line + b"\r\n" for line in refused) + b"QUIT\r\n")
            received = b""
            with trio.fail_after(5):
                while chunk := await stream.receive_some(4096):
                    received += chunk
    lines = received.removesuffix(b"\r\n").split(b"\r\n")
    assert len(lines) == len(refused) + 2  # the greeting, one reply each, QUIT's +OK
    assert all(line.startswith(b"-ERR") for line in lines[1:-1]), lines
    assert all(re.fullmatch(rb"[\x20-\x7e]+", line) for line in lines), lines


async def test_an_over_long_line_gets_err_and_the_session_continues(tmp_path: Path) -> None:
    async with pop3_server(tmp_path) as server:
        async with RawPop3.connect(server) as client:
            await client.send_in_place_of(User("x"), b"USER " + b"x" * 5000 + b"\r\n")
            refused = await client.reply()
            capa = await client.command(Capa())
        assert not refused.ok and "longer than 255" in refused.status.text
        assert Capability("TOP") in capa.parts


async def test_a_255_octet_command_is_answered_normally(tmp_path: Path) -> None:
    async with pop3_server(tmp_path, require_tls_for_auth=False) as server:
        async with RawPop3.connect(server) as client:
            name = "u" * (255 - len("USER \r\n"))
            reply = await client.command(User(name))
        assert reply.ok  # RFC 2449 §4: 255 octets including CRLF must be accepted


async def test_stls_injection_is_discarded(tmp_path: Path) -> None:
    async with pop3_server(tmp_path) as server:
        async with RawPop3.connect(server) as client:
            # CAPA rides in plaintext behind STLS, in the same segment
            await client.send_in_place_of(Stls(), b"STLS\r\nCAPA\r\n")
            assert (await client.reply()).ok
            await client.session.start_tls(
                tls_context(server), server_side=False, server_hostname="localhost"
            )
            reply = await client.command(Noop())  # the first reply inside TLS is NOOP's
        assert not reply.ok and "not allowed in the AUTHORIZATION" in reply.status.text


async def test_quit_in_authorization_ends_without_changes(tmp_path: Path) -> None:
    async with pop3_server(tmp_path) as server:
        uids = await seed(server, ALICE[0], TRICKY)
        async with RawPop3.connect(server) as client:
            assert (await client.command(Quit())).ok
            assert await client.receive_closed() == b""
        assert await inbox_uids(server, ALICE[0]) == uids


async def test_a_client_over_the_connection_cap_is_refused_politely(tmp_path: Path) -> None:
    async with (
        pop3_server(tmp_path, max_connections_per_ip=1) as server,
        RawPop3.connect(server) as first,
    ):
        assert first.greeting is not None and first.greeting.text.startswith("mail.")
        async with RawPop3.connect(server) as second:
            assert second.greeting is not None
            assert second.greeting.code == "SYS/TEMP"
            assert await second.receive_closed() == b""


async def test_an_idle_session_is_closed_and_deletes_nothing(tmp_path: Path) -> None:
    async with pop3_server(tmp_path, pop3_idle_timeout=0.5) as server:
        uids = await seed(server, ALICE[0], TRICKY)
        async with RawPop3.connect(server) as client:
            await logged_in(client, server, ALICE)
            assert (await client.command(Dele(1))).ok
            assert await client.receive_closed() == b""  # closed by the server, no UPDATE
        assert await inbox_uids(server, ALICE[0]) == uids
        assert not server.context.maildrop_locks.is_held(ALICE[0])


async def test_utf8_lang_and_capa_follow_the_state(tmp_path: Path) -> None:
    async with pop3_server(tmp_path) as server, RawPop3.connect(server) as client:
        assert (await client.command(Utf8())).ok
        languages = await client.command(Lang())
        chosen = [await client.command(Lang(tag)) for tag in ("*", "EN", "en-GB")]
        assert not (await client.command(Lang("de"))).ok
        await logged_in(client, server, ALICE)
        utf8_late = await client.command(Utf8())
        capa = await client.command(Capa())
    assert languages.parts == [LanguageListing("en", "English")]
    # RFC 6856 §3.2: "+OK", a space, "the exact language tag selected", a space
    assert [reply.status for reply in chosen] == [Ok("en responses are in English")] * 3
    assert not utf8_late.ok  # RFC 6856 §2: only in AUTHORIZATION
    names = {p.name for p in capa.parts if isinstance(p, Capability)}
    assert {"TOP", "UIDL", "PIPELINING"} <= names
    assert {"USER", "SASL"} <= names  # RFC 2449 §5: announced in both states
    assert "STLS" not in names  # RFC 2595 §4: "Only permitted in AUTHORIZATION state"


async def test_utf8_headers_need_utf8_mode_and_sizes_stay_those_of_retr(tmp_path: Path) -> None:
    utf8_header = (
        "From: J\u00f6ran <j\u00f6ran@example.test>\r\nSubject: \u00dcnl\u00fc\r\n\r\nhi\r\n"
    )
    eight_bit_body = "Subject: plain\r\n\r\nGr\u00fc\u00dfe\r\n".encode()
    async with pop3_server(tmp_path) as server:
        await seed(server, ALICE[0], utf8_header.encode(), eight_bit_body)
        async with RawPop3.connect(server) as client:
            await logged_in(client, server, ALICE)
            refused = [await client.command(Retr(1)), await client.command(Top(1, 0))]
            body = (await client.command(Retr(2))).body
            listed = (await client.command(List(1))).status
        async with RawPop3.connect(server) as client:
            await client.stls(server)
            assert (await client.command(Utf8())).ok
            assert (await client.command(User(ALICE[0]))).ok
            assert (await client.command(Pass(ALICE[1]))).ok
            sent = (await client.command(Retr(1))).body
    # RFC 6856 §2.1: without UTF8 mode such a message is refused (or downgraded)
    assert [(type(r.status), r.status.code) for r in refused] == [(Err, "UTF8")] * 2
    assert body == eight_bit_body  # only the header section needs UTF8 mode
    assert sent == utf8_header.encode()
    assert listed == Ok(f"1 {len(sent)}")


async def test_a_client_that_stops_reading_a_retr_is_cut_off(tmp_path: Path) -> None:
    big = b"Subject: big\r\n\r\n" + (b"x" * 998 + b"\r\n") * 8000  # ~8 MB: fills the buffers
    # 1.5 s: enough for the login to scan 8 MB on a busy machine, short for a test.
    async with pop3_server(tmp_path, pop3_idle_timeout=1.5) as server:
        uids = await seed(server, ALICE[0], big)
        async with RawPop3.connect(server, "pop3s") as client:
            assert (await client.command(User(ALICE[0]))).ok
            assert (await client.command(Pass(ALICE[1]))).ok
            await client.send(Dele(1), Retr(1))  # then never read the RETR
            with trio.fail_after(10):  # the per-command limit ends the session
                while server.context.maildrop_locks.is_held(ALICE[0]):
                    await trio.sleep(0.05)
        assert await inbox_uids(server, ALICE[0]) == uids  # no UPDATE: nothing deleted


async def test_endless_garbage_ends_the_session(tmp_path: Path) -> None:
    async with pop3_server(tmp_path) as server:
        stream = await trio.open_tcp_stream(server.host, server.port("pop3"))
        async with stream:
            await stream.send_all(b"JUNK\r\n" * 150)
            received = b""
            with trio.fail_after(5):
                while chunk := await stream.receive_some(65536):
                    received += chunk
        lines = received.split(b"\r\n")
        assert lines[-2] == b"-ERR too many bad commands, closing"
        assert len(lines) == 1 + 100 + 1 + 1  # greeting, 100 refusals, the last word, ""


async def test_a_message_expunged_elsewhere_meanwhile_gets_err_not_half_a_reply(
    tmp_path: Path,
) -> None:
    async with pop3_server(tmp_path) as server:
        uids = await seed(server, ALICE[0], TRICKY, b"Subject: 2\r\n\r\nkept\r\n")
        async with RawPop3.connect(server) as client:
            await logged_in(client, server, ALICE)
            store = server.context.store
            inbox = await store.inbox(ALICE[0])
            await store.store_flags(inbox.id, [uids[0]], FlagOperation.ADD, ["\\Deleted"])
            await store.expunge(inbox.id, [uids[0]])  # as an IMAP session would
            gone = await client.command(Retr(1))
            kept = await client.command(Retr(2))
            assert (await client.command(Dele(1))).ok
            assert (await client.command(Quit())).ok  # UPDATE tolerates the missing one
        assert not gone.ok and gone.status.code == "SYS/TEMP"
        assert kept.body == b"Subject: 2\r\n\r\nkept\r\n"
        assert await inbox_uids(server, ALICE[0]) == [uids[1]]
