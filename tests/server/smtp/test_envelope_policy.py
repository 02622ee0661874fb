"""Envelope rules over a raw socket: never an open relay, postmaster, the
submission sender rules, DSN parameters, recipient limits, duplicates."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.server.config import AccountConfig
from tests.server.smtp.helpers import (
    ALICE,
    BOB,
    RELAY_DOMAIN,
    RawSMTP,
    extensions,
    originals,
    smtp_server,
)

pytestmark = pytest.mark.timeout(60)

MESSAGE = b"Subject: t\r\n\r\nbody\r\n"

# Catalogue SMTP-RELAY-DENY: each must be refused without authentication.
RELAY_ATTEMPTS = [
    b"<v@external2.example>",
    b"<v%external2.example@example.test>",  # percent hack
    b"<@example.test:v@external2.example>",  # source route to a remote mailbox
    b"<@example.test,@hop.example:v@external2.example>",
    b"<external2.example!v@example.test>",  # bang path
    b'<"v@external2.example">',  # no domain: a syntax error
    b'<"v@external2.example"@example.test>',  # quoted local part with @
    b'<"v%external2.example"@example.test>',
    b"<v@[192.0.2.1]>",  # address literal
    b"<v@external2.example.>",  # trailing dot: not a Domain
    b"<v@EXTERNAL2.EXAMPLE>",
    f"<v@{RELAY_DOMAIN}>".encode(),  # routed, but only for authenticated clients
]


@pytest.mark.parametrize("rcpt", RELAY_ATTEMPTS)
async def test_no_open_relay(tmp_path: Path, rcpt: bytes) -> None:
    async with smtp_server(tmp_path) as server, RawSMTP.connect(server) as smtp:
        await smtp.ehlo()
        assert (await smtp.command(b"MAIL FROM:<a@external1.example>\r\n")).code == 250
        refused = await smtp.command(b"RCPT TO:" + rcpt + b"\r\n")
        assert refused.code in (501, 550, 553), refused
        if refused.code == 550:
            assert str(refused.enhanced) == "5.7.1"
        assert (await smtp.command(b"DATA\r\n")).code in (503, 554)  # never 354
        assert await server.context.store.relay_queue() == ()


async def test_source_route_to_a_local_user_is_delivered_locally(tmp_path: Path) -> None:
    """Catalogue SMTP-RCPT-SOURCE-ROUTE: §4.1.1.3 "SHOULD strip off the source route"."""
    async with smtp_server(tmp_path) as server, RawSMTP.connect(server) as smtp:
        await smtp.ehlo()
        codes = await smtp.codes(
            b"MAIL FROM:<a@external1.example>\r\n"
            b"RCPT TO:<@hop.example,@other.example:bob@example.test>\r\nDATA\r\n",
            3,
        )
        assert codes == [250, 250, 354]
        assert (await smtp.command(MESSAGE + b".\r\n")).code == 250
        assert await originals(server, BOB[0]) == [MESSAGE]
        assert await server.context.store.relay_queue() == ()


async def test_authenticated_relay_needs_a_route(tmp_path: Path) -> None:
    async with smtp_server(tmp_path) as server, RawSMTP.connect(server, "submission") as smtp:
        await smtp.ehlo()
        await smtp.starttls(server)
        await smtp.ehlo()
        assert (await smtp.login(*ALICE)).code == 235
        codes = await smtp.codes(
            f"MAIL FROM:<{ALICE[0]}>\r\nRCPT TO:<x@{RELAY_DOMAIN}>\r\n"
            "RCPT TO:<x@unrouted.example>\r\n".encode(),
            3,
        )
        assert codes == [250, 250, 550]


async def test_submission_needs_tls_then_auth_before_mail(tmp_path: Path) -> None:
    """Catalogue SMTP-SUBMISSION-587-AUTH, SMTP-STARTTLS-REQUIRED, SMTP-AUTH-ADV."""
    async with smtp_server(tmp_path) as server, RawSMTP.connect(server, "submission") as smtp:
        offered = extensions(await smtp.ehlo())
        assert "STARTTLS" in offered and "AUTH" not in offered
        first = await smtp.command(b"MAIL FROM:<alice@example.test>\r\n")
        assert (first.code, str(first.enhanced)) == (530, "5.7.0")
        assert "STARTTLS" in first.text
        plain = await smtp.login(*ALICE)
        assert (plain.code, str(plain.enhanced)) == (530, "5.7.0")
        await smtp.starttls(server)
        offered = extensions(await smtp.ehlo())
        assert "STARTTLS" not in offered
        assert offered["AUTH"] == ("SCRAM-SHA-256", "PLAIN", "LOGIN")
        second = await smtp.command(b"MAIL FROM:<alice@example.test>\r\n")
        assert (second.code, second.text) == (530, "Authentication required")
        assert (await smtp.login(*ALICE)).code == 235
        assert (await smtp.command(b"AUTH PLAIN AGEAYg==\r\n")).code == 503  # RFC 4954 §4


async def test_submission_answers_530_to_all_but_five_commands_before_tls(
    tmp_path: Path,
) -> None:
    """RFC 3207 §4: a server requiring TLS "SHOULD return the reply code 530 ... to
    every command other than NOOP, EHLO, STARTTLS, or QUIT" (HELO goes with EHLO)."""
    async with smtp_server(tmp_path) as server, RawSMTP.connect(server, "submission") as smtp:
        await smtp.ehlo()
        refused = await smtp.replies_to(
            b"VRFY alice\r\n",
            b"RSET\r\n",
            b"HELP\r\n",
            b"EXPN all\r\n",
            b"RCPT TO:<bob@example.test>\r\n",
        )
        assert {(r.code, str(r.enhanced)) for r in refused} == {(530, "5.7.0")}
        assert [r.code for r in await smtp.replies_to(b"NOOP\r\n", b"HELO c.example\r\n")] == [
            250,
            250,
        ]
        await smtp.ehlo()
        await smtp.starttls(server)
        await smtp.ehlo()
        codes = [r.code for r in await smtp.replies_to(b"VRFY alice\r\n", b"RSET\r\n", b"HELP\r\n")]
        assert codes == [250, 250, 214]


async def test_mx_with_starttls_answers_every_command_before_tls(tmp_path: Path) -> None:
    async with smtp_server(tmp_path) as server, RawSMTP.connect(server) as smtp:
        assert "STARTTLS" in extensions(await smtp.ehlo())
        codes = [r.code for r in await smtp.replies_to(b"VRFY alice\r\n", b"RSET\r\n", b"HELP\r\n")]
        assert codes == [250, 250, 214]


async def test_mx_needs_no_tls_or_auth_for_local_delivery(tmp_path: Path) -> None:
    """RFC 3207 §4: a public MX "MUST NOT require" STARTTLS for local delivery."""
    async with smtp_server(tmp_path) as server, RawSMTP.connect(server) as smtp:
        offered = extensions(await smtp.ehlo())
        assert set(offered) == {
            "PIPELINING",
            "SIZE",
            "8BITMIME",
            "SMTPUTF8",
            "ENHANCEDSTATUSCODES",
            "STARTTLS",
            "CHUNKING",
            "BINARYMIME",
            "DSN",
        }
        assert offered["SIZE"] == (str(server.config.limits.max_message_size),)
        codes = await smtp.codes(
            b"MAIL FROM:<a@external1.example>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\n", 3
        )
        assert codes == [250, 250, 354]


@pytest.mark.parametrize(
    ("sender", "code"),
    [
        (b"<alice@example.test>", 250),
        (b"<ALICE@Example.Test>", 250),
        (b"<>", 250),  # RFC 6409 §3.2: the null path MUST be accepted
        (b"<bob@example.test>", 550),
        (b"<alice@elsewhere.example>", 550),
    ],
)
async def test_authenticated_sender_must_be_the_account(
    tmp_path: Path, sender: bytes, code: int
) -> None:
    async with smtp_server(tmp_path) as server, RawSMTP.connect(server, "smtps") as smtp:
        await smtp.ehlo()
        assert (await smtp.login(*ALICE)).code == 235
        reply = await smtp.command(b"MAIL FROM:" + sender + b"\r\n")
        assert reply.code == code
        if code == 550:
            assert str(reply.enhanced) == "5.7.1"


async def test_dsn_parameters_are_accepted_and_checked(tmp_path: Path) -> None:
    """Catalogue SMTP-DSN-PARAMS."""
    async with smtp_server(tmp_path) as server, RawSMTP.connect(server) as smtp:
        await smtp.ehlo()
        envid = b"Q" * 100
        orcpt = b"rfc822;" + b"b" * 480 + b"@example.test"
        codes = await smtp.codes(
            b"MAIL FROM:<a@x.example> RET=HDRS ENVID=" + envid + b"\r\n"
            b"RCPT TO:<bob@example.test> NOTIFY=SUCCESS,FAILURE ORCPT=" + orcpt + b"\r\n"
            b"RCPT TO:<alice@example.test> NOTIFY=NEVER,SUCCESS\r\n"
            b"RSET\r\nMAIL FROM:<a@x.example> RET=FULL RET=HDRS\r\n",
            5,
        )
        assert codes == [250, 250, 501, 250, 501]


async def test_many_recipients_then_452_and_duplicates_delivered_once(tmp_path: Path) -> None:
    """Catalogue SMTP-RCPT-100 / SMTP-RCPT-TOO-MANY (§4.5.3.1.10 "MUST use" 452)."""
    async with smtp_server(tmp_path, max_recipients=100) as server, RawSMTP.connect(server) as smtp:
        await smtp.ehlo()
        rcpts = [b"RCPT TO:<bob@example.test>\r\n", b"RCPT TO:<BOB@example.test>\r\n"] * 50
        codes = await smtp.codes(
            b"MAIL FROM:<a@x.example>\r\n" + b"".join(rcpts) + b"RCPT TO:<alice@example.test>\r\n",
            102,
        )
        assert codes == [250] * 101 + [452]
        assert (await smtp.command(b"DATA\r\n")).code == 354
        assert (await smtp.command(MESSAGE + b".\r\n")).code == 250
        assert await originals(server, BOB[0]) == [MESSAGE]
        assert await originals(server, ALICE[0]) == []


async def test_vrfy_expn_help_noop(tmp_path: Path) -> None:
    async with smtp_server(tmp_path) as server, RawSMTP.connect(server) as smtp:
        replies = [
            await smtp.command(line)
            for line in (
                b"NOOP\r\n",  # before EHLO too (§4.1.4)
                b"VRFY alice@example.test\r\n",
                b"VRFY bob\r\n",
                b"VRFY nosuch@example.test\r\n",
                b"VRFY someone@elsewhere.example\r\n",
                b"EXPN staff\r\n",
                b"HELP\r\n",
            )
        ]
        assert [r.code for r in replies] == [250, 250, 250, 550, 252, 502, 214]
        assert replies[1].text == "<alice@example.test>"
        assert all(r.enhanced is not None for r in replies)  # RFC 2034 §4


async def test_relay_entry_carries_the_envelope_parameters(tmp_path: Path) -> None:
    """What the relay needs for the next hop and for DSNs (RFC 3461, 6152, 6531)."""
    remote, other = f"Mixed.Case@{RELAY_DOMAIN}", f"other@{RELAY_DOMAIN}"
    async with smtp_server(tmp_path) as server, RawSMTP.connect(server, "smtps") as smtp:
        await smtp.ehlo()
        assert (await smtp.login(*ALICE)).code == 235
        codes = await smtp.codes(
            f"MAIL FROM:<{ALICE[0]}> BODY=8BITMIME SMTPUTF8 RET=HDRS ENVID=env+2Bid\r\n"
            f"RCPT TO:<{remote}> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;orig+40example.org\r\n"
            f"RCPT TO:<{other}>\r\nRCPT TO:<bob@example.test> NOTIFY=NEVER\r\n"
            "DATA\r\n".encode(),
            5,
        )
        assert codes == [250, 250, 250, 250, 354]
        assert (await smtp.command(MESSAGE + b".\r\n")).code == 250
        (entry,) = await server.context.store.relay_queue()
        assert entry.recipients == (remote, other)  # §2.4: the local part keeps its case
        options = entry.options
        assert (options.body, options.smtputf8, options.ret, options.envid) == (
            "8BITMIME",
            True,
            "HDRS",
            "env+id",
        )
        assert options.for_recipient(remote).notify == ("SUCCESS", "FAILURE")
        assert options.for_recipient(remote).orcpt == ("rfc822", "orig@example.org")
        assert options.for_recipient(other).notify is None
        assert await originals(server, BOB[0]) == [MESSAGE]


async def test_utf8_local_part_only_with_smtputf8(tmp_path: Path) -> None:
    """Catalogue SMTP-SMTPUTF8: a UTF-8 RCPT to a local user needs SMTPUTF8 on MAIL
    (553 5.6.7 without), and then is delivered."""
    accounts = (AccountConfig(*ALICE), AccountConfig("δοκιμή@example.test", "pw"))
    async with smtp_server(tmp_path, accounts=accounts) as server, RawSMTP.connect(server) as smtp:
        await smtp.ehlo()
        rcpt = "RCPT TO:<δοκιμή@example.test>\r\n".encode()
        refused = await smtp.codes(b"MAIL FROM:<a@x.example>\r\n" + rcpt + b"RSET\r\n", 3)
        assert refused == [250, 553, 250]
        batch = b"MAIL FROM:<a@x.example> SMTPUTF8\r\n" + rcpt + b"DATA\r\n"
        assert await smtp.codes(batch, 3) == [250, 250, 354]
        text = "Subject: Grüße\r\n\r\nκείμενο\r\n".encode()
        assert (await smtp.command(text + b".\r\n")).code == 250
        assert await originals(server, "δοκιμή@example.test") == [text]
