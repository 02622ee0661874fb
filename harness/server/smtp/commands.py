"""The commands outside a mail transaction (RFC 5321 §4.1.1): the greeting,
EHLO/HELO, NOOP, RSET, VRFY, EXPN, HELP, QUIT, and STARTTLS (RFC 3207).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from harness.protocols.smtp import (
    Ehlo,
    Expn,
    Helo,
    Help,
    Noop,
    Quit,
    Reply,
    Rset,
    StartTLS,
    Vrfy,
    ehlo_reply,
    reply,
)
from harness.server.delivery.trace import address_literal
from harness.server.smtp import replies as R
from harness.server.smtp.policy import verify
from harness.server.smtp.settings import ehlo_keywords

if TYPE_CHECKING:
    from harness.server.smtp.session import SmtpSession

log = logging.getLogger(__name__)


def greeting(session: SmtpSession) -> Reply:
    """§4.3.1 / §4.2: 220, the server's name first; no enhanced code (RFC 2034 §4)."""
    return reply(220, f"{session.ctx.hostname} ESMTP mailharness ready")


async def on_ehlo(session: SmtpSession, event: Ehlo) -> None:
    # §4.1.4: EHLO also resets any transaction; the core does that on this reply.
    keywords = ehlo_keywords(session.ctx, session.listener, tls=session.conn.tls_active)
    client = f"Hello {event.domain} {address_literal(session.client.peer_host)}"
    session.reply(ehlo_reply(session.ctx.hostname, keywords, client))


async def on_helo(session: SmtpSession, event: Helo) -> None:
    # §3.2 / §4.1.1.1: a single 250 line, no extensions
    session.reply(reply(250, session.ctx.hostname))


async def on_noop(session: SmtpSession, event: Noop) -> None:
    session.reply(R.OK)


async def on_rset(session: SmtpSession, event: Rset) -> None:
    # §4.1.1.5: "MUST NOT close the connection as the result of receiving a RSET"
    session.reply(R.OK)


async def on_vrfy(session: SmtpSession, event: Vrfy) -> None:
    session.reply(verify(session.ctx, event.text))


async def on_expn(session: SmtpSession, event: Expn) -> None:
    session.reply(R.EXPN_DISABLED)  # no mailing lists here; §3.5.2 allows 502


async def on_help(session: SmtpSession, event: Help) -> None:
    session.reply(R.help_text())


async def on_quit(session: SmtpSession, event: Quit) -> None:
    # §4.1.1.10: "The receiver MUST NOT intentionally close the transmission
    # channel until it receives and replies to a QUIT command"
    session.reply(R.BYE)
    session.record.result = "quit"
    session.finished = True


async def on_starttls(session: SmtpSession, event: StartTLS) -> None:
    """RFC 3207 §4.2: 220, the handshake, then a fresh session. Bytes the
    client pipelined after STARTTLS are dropped by the core, never read as
    commands (the CVE-2011-0411 command-injection class)."""
    session.reply(R.READY_FOR_TLS)
    await session.flush()
    await session.io.start_tls(session.ctx.ssl_context, server_side=True)
    session.record.tls = session.io.tls
    injected = session.conn.injected_octets
    if injected:
        log.warning(
            "%s: dropped %d octets sent before the TLS handshake (STARTTLS injection)",
            session.record.id,
            injected,
        )
