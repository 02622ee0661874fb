"""The IMAP session byte for byte: tags, states, literals, STARTTLS injection,
AUTHENTICATE, garbage and limits (RFC 9051 §2-§7, RFC 3501, RFC 7888, RFC 4959).
"""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from harness.protocols.sasl import ClientMechanism
from tests.server.imap.helpers import ALICE, RawImap, imap_server, message, seed

pytestmark = pytest.mark.timeout(30)


def b64(data: bytes) -> bytes:
    return base64.b64encode(data)


async def test_tags_are_echoed_and_commands_are_case_insensitive(tmp_path: Path) -> None:
    async with imap_server(tmp_path) as server:
        await seed(server, ALICE[0], message(1))
        async with RawImap.connect(server, login=ALICE) as c:
            for tag in ("A1", "x.y", "t_9-z", "0"):
                assert (await c.command("NOOP", tag))[-1].raw.startswith(tag.encode() + b" OK")
            await c.ok("select inbox")
            assert b"* 1 FETCH (FLAGS (\\Recent))" in (await c.ok("Fetch 1 (flags)"))[0]
            uid = await c.ok("uid fetch 1:* (UID)")
            assert uid[0].raw.startswith(b"* 1 FETCH (UID ")


async def test_state_rules_and_bad_versus_no(tmp_path: Path) -> None:
    async with imap_server(tmp_path) as server, RawImap.connect(server, "imaps") as c:
        for command in ("SELECT INBOX", 'LIST "" "*"', "CREATE x", "ENABLE CONDSTORE"):
            assert (await c.command(command))[-1].tagged_status == "BAD"
        await c.ok(f"LOGIN {ALICE[0]} {ALICE[1]}")
        for command in ("FETCH 1 FLAGS", "STORE 1 +FLAGS (x)", "EXPUNGE", "CLOSE"):
            assert (await c.command(command))[-1].tagged_status == "BAD"
        assert (await c.command("STARTTLS"))[-1].tagged_status == "BAD"
        missing = await c.command("SELECT nosuch")
        assert missing[-1].raw.endswith(b"NO [NONEXISTENT] no mailbox named nosuch")
        await c.ok("SELECT INBOX")
        assert (await c.command("SELECT nosuch"))[-1].tagged_status == "NO"
        # RFC 3501 §6.3.1: a failed SELECT leaves nothing selected
        assert (await c.command("FETCH 1 FLAGS"))[-1].tagged_status == "BAD"
        assert (await c.command("CREATE INBOX"))[-1].tagged_status == "NO"
        assert (await c.command("FOO"))[-1].tagged_status == "BAD"
        assert (await c.command("SELECT"))[-1].tagged_status == "BAD"


async def test_garbage_gets_bad_and_the_session_survives(tmp_path: Path) -> None:
    async with imap_server(tmp_path) as server, RawImap.connect(server) as c:
        await c.send(b"\x00\xff\xfe garbage\r\n")
        assert (await c.read_response()).startswith(b"* BAD")
        await c.send(b"a1 LOGIN\r\n")
        assert (await c.read_response()).startswith(b"a1 BAD")
        await c.send(b"x" * 100_000 + b"\r\n")
        assert (await c.read_response()).startswith(b"* BAD")
        await c.ok("NOOP")


async def test_too_many_errors_in_a_row_end_with_bye(tmp_path: Path) -> None:
    async with imap_server(tmp_path) as server, RawImap.connect(server) as c:
        await c.send(b"".join(b"t%d FOO\r\n" % n for n in range(40)))
        received = await c.closed()
        assert b"* BYE too many errors in a row" in received


async def test_logout_sends_bye_then_ok_then_closes(tmp_path: Path) -> None:
    async with imap_server(tmp_path) as server, RawImap.connect(server) as c:
        await c.send(b"z LOGOUT\r\n")
        assert await c.closed() == b"* BYE mailharness logging out\r\nz OK LOGOUT completed\r\n"


async def test_starttls_drops_commands_injected_before_the_handshake(tmp_path: Path) -> None:
    async with imap_server(tmp_path) as server, RawImap.connect(server) as c:
        await c.send(b"a STARTTLS\r\nb CAPABILITY\r\n")
        assert (await c.read_response()).raw == b"a OK Begin TLS negotiation now"
        from harness.net.tls import start_tls
        from tests.server.imap.helpers import tls_context

        c.stream = await start_tls(
            c.stream, tls_context(server), server_side=False, server_hostname="localhost"
        )
        responses = await c.command("CAPABILITY", "c")
        assert [r.raw[:4] for r in responses] == [b"* CA", b"c OK"]
        assert b"STARTTLS" not in responses[0] and b"AUTH=PLAIN" in responses[0]
        assert (await c.command("STARTTLS"))[-1].tagged_status == "BAD"


async def test_synchronising_and_non_synchronising_literals(tmp_path: Path) -> None:
    user, password = "carol@example.test", 'p a"s\\s'
    async with imap_server(tmp_path, accounts=((user, password),)) as server:
        async with RawImap.connect(server, "imaps") as c:
            await c.send(b"a LOGIN {%d}\r\n" % len(user))
            assert (await c.read_response()).startswith(b"+ ")
            await c.send(user.encode() + b" {%d}\r\n" % len(password))
            assert (await c.read_response()).startswith(b"+ ")
            await c.send(password.encode() + b"\r\n")
            assert (await c.read_response()).startswith(b"a OK [CAPABILITY ")
        async with RawImap.connect(server, "imaps") as c:
            await c.ok(f'LOGIN {user} "p a\\"s\\\\s"')
        async with RawImap.connect(server, "imaps") as c:
            await c.send(b"b LOGIN {%d+}\r\n%s {%d+}\r\n%s\r\n" % (
                len(user), user.encode(), len(password), password.encode()
            ))  # fmt: skip
            assert (await c.read_response()).startswith(b"b OK")
            refused = await c.command("APPEND INBOX {999999999999}")
            assert refused[-1].tagged_status == "NO" and b"[TOOBIG]" in refused[-1]
            await c.ok("NOOP")


async def test_append_literal_rules(tmp_path: Path) -> None:
    async with (
        imap_server(tmp_path, max_message_size=1000) as server,
        RawImap.connect(server, login=ALICE) as c,
    ):
        await c.send(b"a APPEND INBOX {2000}\r\n")
        refused = await c.read_response()
        assert refused.raw.startswith(b"a NO [TOOBIG]")
        with_nul = b"Subject: x\r\n\r\nnul\x00here\r\n"
        await c.send(b"b APPEND INBOX {%d+}\r\n%s\r\n" % (len(with_nul), with_nul))
        assert (await c.read_response()).startswith(b"b BAD")
        await c.send(b"c APPEND INBOX ~{%d+}\r\n%s\r\n" % (len(with_nul), with_nul))
        assert (await c.read_response()).startswith(b"c OK [APPENDUID ")
        await c.ok("SELECT INBOX")
        fetched = await c.ok("FETCH 1 BINARY.PEEK[]")
        assert fetched[0].raw == b"* 1 FETCH (BINARY[] ~{%d}\r\n%s)" % (len(with_nul), with_nul)
        big = b"x" * 1500
        await c.send(b"d APPEND INBOX {%d+}\r\n%s\r\n" % (len(big), big))
        assert (await c.read_response()).startswith(b"d NO [TOOBIG]")


async def test_authenticate_plain_sasl_ir_cancel_and_scram(tmp_path: Path) -> None:
    async with imap_server(tmp_path) as server:
        plain = b64(b"\0" + ALICE[0].encode() + b"\0" + ALICE[1].encode())
        async with RawImap.connect(server, "imaps") as c:
            await c.send(b"a AUTHENTICATE PLAIN\r\n")
            assert (await c.read_response()).raw == b"+ "
            await c.send(plain + b"\r\n")
            assert (await c.read_response()).startswith(b"a OK [CAPABILITY ")
        async with RawImap.connect(server, "imaps") as c:
            ok = await c.command(b"AUTHENTICATE PLAIN " + plain)
            assert ok[-1].tagged_status == "OK" and len(ok) == 1
        async with RawImap.connect(server, "imaps") as c:
            await c.send(b"a AUTHENTICATE PLAIN\r\n")
            await c.read_response()
            await c.send(b"*\r\n")
            assert (await c.read_response()).startswith(b"a BAD")
            await c.send(b"b AUTHENTICATE PLAIN\r\n")
            await c.read_response()
            await c.send(b"not base64!\r\n")
            assert (await c.read_response()).startswith(b"b BAD")
            wrong = await c.command(
                b"AUTHENTICATE PLAIN " + b64(b"\0" + ALICE[0].encode() + b"\0x")
            )
            assert wrong[-1].raw.startswith(
                wrong[-1].raw.split(b" ")[0] + b" NO [AUTHENTICATIONFAILED]"
            )
            assert (await c.command("AUTHENTICATE X-NOPE"))[-1].tagged_status == "NO"
            scram = ClientMechanism.create("SCRAM-SHA-256", *ALICE)
            first = scram.initial_response()
            assert first is not None
            await c.send(b"s AUTHENTICATE SCRAM-SHA-256 " + b64(first) + b"\r\n")
            for _ in range(3):
                line = (await c.read_response()).raw
                if not line.startswith(b"+ "):
                    break
                answer = scram.step(base64.b64decode(line[2:])) if line != b"+ " else b""
                await c.send(b64(answer) + b"\r\n")
            assert line.startswith(b"s OK")


async def test_privacy_required_on_plaintext(tmp_path: Path) -> None:
    async with imap_server(tmp_path) as server, RawImap.connect(server) as c:
        caps = await c.ok("CAPABILITY")
        assert b"LOGINDISABLED" in caps[0] and b"AUTH=" not in caps[0]
        refused = await c.command(f"LOGIN {ALICE[0]} {ALICE[1]}")
        assert b"NO [PRIVACYREQUIRED]" in refused[-1]
        refused = await c.command("AUTHENTICATE PLAIN")
        assert b"NO [PRIVACYREQUIRED]" in refused[-1]


async def test_plaintext_login_when_tls_is_not_required(tmp_path: Path) -> None:
    async with (
        imap_server(tmp_path, require_tls_for_auth=False) as server,
        RawImap.connect(server) as c,
    ):
        caps = await c.ok("CAPABILITY")
        assert b"LOGINDISABLED" not in caps[0] and b"AUTH=PLAIN" in caps[0]
        await c.ok(f"LOGIN {ALICE[0]} {ALICE[1]}")


async def test_idle_timeout_ends_with_autologout_bye(tmp_path: Path) -> None:
    async with (
        imap_server(tmp_path, imap_idle_timeout=0.3) as server,
        RawImap.connect(server) as c,
    ):
        assert b"* BYE autologout" in await c.closed()


async def test_pipelined_commands_run_in_order(tmp_path: Path) -> None:
    async with imap_server(tmp_path) as server:
        await seed(server, ALICE[0], message(1))
        async with RawImap.connect(server, login=ALICE) as c:
            await c.ok("SELECT INBOX")
            await c.send(b"a NOOP\r\nb STORE 1 +FLAGS (\\Flagged)\r\nc FETCH 1 FLAGS\r\n")
            responses = await c.until_tagged("c")
            assert responses[-2].raw == b"* 1 FETCH (FLAGS (\\Flagged \\Recent))"
            assert [r.raw[:4] for r in responses] == [b"a OK", b"* 1 ", b"b OK", b"* 1 ", b"c OK"]
