"""Sending a DSN: from the null reverse path to the original sender.

RFC 5321 §4.5.5: a notification is sent with the null reverse path
``MAIL FROM:<>``; RFC 3461 §6.1: it goes to the sender of the original
message. A sender in a local domain gets it in their mailbox at once (through
``harness.server.delivery``, so trace fields and filing rules apply as to any
delivery); any other sender's DSN joins the relay queue like other mail, with
``<>`` as its sender, so it can never cause a DSN itself.
"""

from __future__ import annotations

import logging
import secrets
from datetime import UTC, datetime

from harness.protocols.smtp.address import PathSyntaxError
from harness.server.context import ServerContext
from harness.server.delivery import (
    MailEnvelope,
    Recipient,
    TraceInfo,
    deliver_message,
    filing_rules,
)
from harness.server.relay.dsn import DeliveryReport, build_dsn
from harness.server.relay.hop import parse_mailbox
from harness.server.relay.preflight import is_8bit
from harness.server.sessionlog import SESSION_LOGGER, format_fields
from harness.server.smtp.policy import local_account
from harness.server.store import RelayOptions

log = logging.getLogger(__name__)

# The WITH of the Received field on a DSN delivered here: no SMTP carried it
# (RFC 5321 §4.4 Protocol is an Atom; "local" is what MTAs write for mail
# they generate or pick up themselves).
LOCAL_PROTOCOL = "local"


async def send_dsn(ctx: ServerContext, report: DeliveryReport, original: bytes, now: float) -> str:
    """Build the DSN and deliver or queue it; returns where it went, for the log."""
    when = datetime.fromtimestamp(now, UTC)
    token = secrets.token_hex(8).upper()
    message = build_dsn(report, original, message_id=f"{token}@{ctx.hostname}", now=when)
    domain = report.sender.rpartition("@")[2]
    if ctx.is_local_domain(domain):
        where = await _deliver_locally(ctx, report.sender, message, token, when)
    else:
        options = RelayOptions(body="8BITMIME" if is_8bit(message) else None)
        await ctx.store.enqueue_relay("", [report.sender], message, options=options)
        where = "queued"
    SESSION_LOGGER.info(
        "message %s",
        format_fields(id=f"dsn-{token}", action="dsn", to=report.sender, result=where),
    )
    return where


async def _deliver_locally(
    ctx: ServerContext, sender: str, message: bytes, token: str, when: datetime
) -> str:
    try:
        account = local_account(ctx, parse_mailbox(sender))
    except PathSyntaxError:
        account = None
    if not isinstance(account, str):
        # RFC 5321 §6.1 asks for a DSN, but nobody here can read it: say so, drop it
        log.warning("DSN for unknown local sender %s dropped", sender)
        return "dropped"
    envelope = MailEnvelope(reverse_path="", recipients=(Recipient(sender, account),))
    trace = TraceInfo(
        helo=ctx.hostname,
        client_ip="127.0.0.1",
        hostname=ctx.hostname,
        protocol=LOCAL_PROTOCOL,
        message_id=token,
        when=when,
    )
    rules = filing_rules(ctx.config.accounts)
    await deliver_message(ctx.store, rules, envelope, message, trace)
    return "delivered"
