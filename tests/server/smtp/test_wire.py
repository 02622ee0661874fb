"""The session on the wire: pipelining, SMTP smuggling, STARTTLS injection,
garbage, limits, timeouts and the connection cap, over a raw socket."""

from __future__ import annotations

from pathlib import Path

import pytest
import trio

from harness.server.delivery import split_trace
from harness.server.smtp.session import MAX_ERRORS
from tests.server.smtp.helpers import (
    ALICE,
    BOB,
    RawSMTP,
    mailbox_contents,
    originals,
    smtp_server,
)

pytestmark = pytest.mark.timeout(60)

MESSAGE = b"Subject: t\r\n\r\nbody\r\n"
ENVELOPE = b"MAIL FROM:<a@x.example>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\n"


async def test_pipelined_batch_gets_ordered_replies(tmp_path: Path) -> None:
    """Catalogue SMTP-PIPELINING-ORDER and -NO-FLUSH: one write, every reply in order."""
    async with smtp_server(tmp_path) as server, RawSMTP.connect(server) as smtp:
        await smtp.ehlo()
        batch = (
            b"NOOP\r\n" * 50
            + b"MAIL FROM:<a@x.example>\r\nRCPT TO:<alice@example.test>\r\n"
            + b"RCPT TO:<nosuch@example.test>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\n"
        )
        assert await smtp.codes(batch, 55) == [250] * 50 + [250, 250, 550, 250, 354]
        # text, end, and the next transaction in the same write (SMTP-SMUGGLE-PIPELINE-BDAT)
        second = MESSAGE + b".\r\n" + ENVELOPE + b"Subject: 2\r\n\r\n.\r\n"
        assert await smtp.codes(second, 5) == [250, 250, 250, 354, 250]
        assert len(await originals(server, BOB[0])) == 2
        assert await originals(server, ALICE[0]) == [MESSAGE]


async def test_data_after_only_refused_recipients_is_never_354(tmp_path: Path) -> None:
    """Catalogue SMTP-DATA-NO-VALID-RCPT / SMTP-PIPELINING-DATA-GATE."""
    async with smtp_server(tmp_path) as server, RawSMTP.connect(server) as smtp:
        await smtp.ehlo()
        batch = b"MAIL FROM:<a@x.example>\r\nRCPT TO:<no1@example.test>\r\nDATA\r\n"
        assert await smtp.codes(batch, 3) == [250, 550, 554]


SMUGGLING = [
    b"\n.\n",
    b"\n.\r\n",
    b"\r\n.\n",
    b"\r.\r",
    b"\r.\n",
    b"\n.\r",
    b"\r\n.\r",
    b"\r\n\x00.\r\n",
]


@pytest.mark.parametrize("fake_end", SMUGGLING)
async def test_smuggled_message_is_never_accepted(tmp_path: Path, fake_end: bytes) -> None:
    """Catalogue SMTP-SMUGGLE-INBOUND, SMTP-DATA-BARE-LF-NOT-EOD: only CRLF.CRLF
    ends the text; the text with bare newlines is refused and nothing is stored."""
    smuggled = b"MAIL FROM:<evil@x.example>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\nevil\r\n"
    async with smtp_server(tmp_path) as server, RawSMTP.connect(server) as smtp:
        await smtp.ehlo()
        assert await smtp.codes(ENVELOPE, 3) == [250, 250, 354]
        await smtp.send(b"Subject: t\r\n\r\nx" + fake_end + smuggled + b".\r\n")
        refused = await smtp.reply()
        if fake_end == b"\r\n\x00.\r\n":  # no bare CR/LF: one message with a NUL line
            assert refused.code == 250
            (stored,) = await originals(server, BOB[0])
            assert smuggled in stored
        else:
            assert (refused.code, str(refused.enhanced)) == (550, "5.6.0")
            assert await mailbox_contents(server, BOB[0]) == []
        assert (await smtp.command(b"NOOP\r\n")).code == 250  # nothing else was queued
        assert await mailbox_contents(server, ALICE[0]) == []


async def test_bare_newlines_kept_when_configured(tmp_path: Path) -> None:
    text = b"Subject: t\r\n\r\nx\n.\nstill the same message\r\n"
    async with (
        smtp_server(tmp_path, smtp_bare_newlines="keep") as server,
        RawSMTP.connect(server) as smtp,
    ):
        await smtp.ehlo()
        assert await smtp.codes(ENVELOPE + text + b".\r\n", 4) == [250, 250, 354, 250]
        assert await originals(server, BOB[0]) == [text]


@pytest.mark.parametrize("injected", [b"RSET\r\n", b"MAIL FROM:<x@evil.example>\r\n"])
async def test_starttls_injection_is_dropped(tmp_path: Path, injected: bytes) -> None:
    """Catalogue SMTP-STARTTLS-INJECTION / -STATE-RESET."""
    async with smtp_server(tmp_path) as server, RawSMTP.connect(server) as smtp:
        await smtp.ehlo()
        assert (await smtp.command(b"MAIL FROM:<a@x.example>\r\n")).code == 250
        await smtp.send(b"STARTTLS\r\n" + injected)
        assert (await smtp.reply()).code == 220
        await smtp.starttls_handshake(server)
        # nothing answers the injected command, and the old EHLO and MAIL are gone
        assert (await smtp.command(b"RCPT TO:<bob@example.test>\r\n")).code == 503
        await smtp.ehlo()
        assert (await smtp.command(b"MAIL FROM:<a@x.example>\r\n")).code == 250
        assert (await smtp.command(b"STARTTLS\r\n")).code == 503


async def test_garbage_gets_500_and_the_session_continues(tmp_path: Path) -> None:
    async with smtp_server(tmp_path) as server, RawSMTP.connect(server) as smtp:
        binary = bytes(range(256)) + b"\r\n"  # two lines: its LF ends the first
        codes = await smtp.codes(
            b"XYZZY\r\n" + binary + b"A" * 20_000 + b"\r\n" + b"NOOP\n" + b"NOOP\r\n", 6
        )
        assert codes == [500, 500, 500, 500, 500, 250]
        await smtp.ehlo()


async def test_too_many_errors_is_421_and_close(tmp_path: Path) -> None:
    async with smtp_server(tmp_path) as server, RawSMTP.connect(server) as smtp:
        await smtp.send(b"BOGUS\r\n" * (MAX_ERRORS + 5))
        codes = [r.code for r in await smtp.replies(MAX_ERRORS + 1)]
        assert codes == [500] * MAX_ERRORS + [421]
        assert await smtp.closed() == b""


async def test_declared_and_actual_size_limits(tmp_path: Path) -> None:
    """Catalogue SMTP-SIZE-DECLARED / SMTP-SIZE-ACTUAL: 552 5.3.4; the session goes on."""
    async with (
        smtp_server(tmp_path, max_message_size=1000) as server,
        RawSMTP.connect(server) as smtp,
    ):
        await smtp.ehlo()
        too_big = await smtp.command(b"MAIL FROM:<a@x.example> SIZE=1001\r\n")
        assert (too_big.code, str(too_big.enhanced)) == (552, "5.3.4")
        assert (await smtp.command(b"MAIL FROM:<a@x.example> SIZE=abc\r\n")).code == 501
        assert await smtp.codes(ENVELOPE, 3) == [250, 250, 354]
        big = b"Subject: big\r\n\r\n" + b"x" * 998 + b"\r\n"
        refused = await smtp.command(big + b".\r\n")
        assert (refused.code, str(refused.enhanced)) == (552, "5.3.4")
        assert await smtp.codes(ENVELOPE + MESSAGE + b".\r\n", 4) == [250, 250, 354, 250]
        assert await originals(server, BOB[0]) == [MESSAGE]


async def test_bdat_binarymime_stores_raw_bytes(tmp_path: Path) -> None:
    """Catalogue SMTP-CHUNKING-BDAT, SMTP-BINARYMIME: no dot handling, NULs intact."""
    body = bytes(range(256)) * 4 + b"\r\n.\r\nnot the end\r\n"
    header = b"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n"
    async with smtp_server(tmp_path) as server, RawSMTP.connect(server) as smtp:
        await smtp.ehlo()
        codes = await smtp.codes(
            b"MAIL FROM:<a@x.example> BODY=BINARYMIME\r\nRCPT TO:<bob@example.test>\r\nDATA\r\n",
            3,
        )
        assert codes == [250, 250, 503]  # RFC 3030 §3: BINARYMIME only by BDAT
        chunks = [
            b"BDAT %d\r\n" % len(header) + header,
            b"BDAT %d LAST\r\n" % len(body) + body,
        ]
        assert await smtp.codes(b"".join(chunks), 2) == [250, 250]
        assert await smtp.codes(b"MAIL FROM:<a@x.example>\r\nRCPT TO:<alice@example.test>\r\n", 2)
        assert (await smtp.command(b"BDAT 0 LAST\r\n")).code == 250
        assert await originals(server, BOB[0]) == [header + body]
        assert await originals(server, ALICE[0]) == [b""]


async def test_bdat_then_data_and_failed_bdat_sequencing(tmp_path: Path) -> None:
    """Catalogue SMTP-CHUNKING-SEQUENCING."""
    async with smtp_server(tmp_path) as server, RawSMTP.connect(server) as smtp:
        await smtp.ehlo()
        assert (await smtp.command(b"BDAT 3\r\nabc")).code == 503  # no transaction
        codes = await smtp.codes(
            b"MAIL FROM:<a@x.example>\r\nRCPT TO:<bob@example.test>\r\nBDAT 3\r\nabcDATA\r\n", 4
        )
        assert codes == [250, 250, 250, 503]
        assert (await smtp.command(b"RSET\r\n")).code == 250
        assert await mailbox_contents(server, BOB[0]) == []


async def test_client_vanishing_mid_data_delivers_nothing(tmp_path: Path) -> None:
    """Catalogue SMTP-QUIT-MID-TXN."""
    async with smtp_server(tmp_path) as server:
        async with RawSMTP.connect(server) as smtp:
            await smtp.ehlo()
            assert await smtp.codes(ENVELOPE, 3) == [250, 250, 354]
            await smtp.send(b"Subject: half\r\n\r\nand then")
        async with RawSMTP.connect(server) as smtp:  # the server is still serving
            await smtp.ehlo()
        assert await mailbox_contents(server, BOB[0]) == []


async def test_idle_client_gets_421_4_4_2(tmp_path: Path) -> None:
    async with (
        smtp_server(tmp_path, smtp_idle_timeout=0.3) as server,
        RawSMTP.connect(server) as smtp,
    ):
        await smtp.ehlo()
        await smtp.send(b"MAIL FROM:<a@x.exa")  # an unfinished line does not keep it alive
        closing = await smtp.reply()
        assert (closing.code, str(closing.enhanced)) == (421, "4.4.2")
        assert await smtp.closed() == b""


async def test_connections_over_the_cap_get_421_4_7_0(tmp_path: Path) -> None:
    async with (
        smtp_server(tmp_path, max_connections_per_ip=1) as server,
        RawSMTP.connect(server) as first,
        RawSMTP.connect(server, greet=False) as second,
    ):
        assert first.greeting is not None and first.greeting.code == 220
        refused = await second.reply()
        assert (refused.code, str(refused.enhanced)) == (421, "4.7.0")
        assert await second.closed() == b""
        await first.ehlo()


async def test_shutdown_says_421(tmp_path: Path) -> None:
    """Catalogue SMTP-421-SHUTDOWN."""
    async with trio.open_nursery() as nursery:
        server_scope = trio.CancelScope()
        started = trio.Event()
        holder: dict[str, object] = {}

        async def serve() -> None:
            with server_scope:
                async with smtp_server(tmp_path) as server:
                    holder["server"] = server
                    started.set()
                    await trio.sleep_forever()

        nursery.start_soon(serve)
        await started.wait()
        server = holder["server"]
        async with RawSMTP.connect(server) as smtp:  # type: ignore[arg-type]
            await smtp.ehlo()
            server_scope.cancel()
            closing = await smtp.reply()
            assert (closing.code, str(closing.enhanced)) == (421, "4.3.2")


async def test_trace_fields_are_all_that_is_added(tmp_path: Path) -> None:
    """Catalogue SMTP-TRACE-RECEIVED / SMTP-DATA-NO-EXTRA-CRLF: existing Received
    lines stay below ours, in order, and no CRLF is added at the end."""
    text = b"Received: from a by b; Mon, 1 Jan 2024 00:00:00 +0000\r\nSubject: t\r\n\r\nA\r\nB"
    async with smtp_server(tmp_path) as server, RawSMTP.connect(server) as smtp:
        await smtp.ehlo()
        assert await smtp.codes(ENVELOPE + text + b"\r\n.\r\n", 4) == [250, 250, 354, 250]
        (stored,) = await mailbox_contents(server, BOB[0])
        trace, original = split_trace(stored)
        assert original == text + b"\r\n"
        assert stored == trace + original
        assert stored.count(b"Received:") == 2 and trace.count(b"\r\n") == 4
