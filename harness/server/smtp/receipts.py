"""Success DSNs for local delivery (RFC 3461 §4.1, §6.2.2; RFC 3464).

A recipient whose RCPT asked for ``NOTIFY=SUCCESS`` and whose copy this
server stored in a mailbox (final delivery) is owed a DSN with ``Action:
delivered`` and status 2.0.0. It is built and sent by the relay's DSN code
(``harness.server.relay``: a local sender gets it at once, a remote one
through the queue, always from ``<>``). It goes out after the 250: a DSN is
a courtesy about mail already accepted, and a failure to send it is logged,
never turned into a refusal of the message. No DSN is ever sent about a
message with the null reverse path (RFC 3461 §6.2, RFC 5321 §4.5.5).
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

from harness.server.context import ServerContext
from harness.server.delivery import MailEnvelope, Recipient
from harness.server.relay.bounce import send_dsn
from harness.server.relay.dsn import Action, DeliveryReport, RecipientReport
from harness.server.relay.notify import wants
from harness.server.store import StoreError

log = logging.getLogger(__name__)

DELIVERED_STATUS = "2.0.0"  # RFC 3463: success, no further detail


def owes_success_dsn(envelope: MailEnvelope) -> bool:
    return bool(envelope.reverse_path) and any(
        wants(recipient.notify, "SUCCESS") for recipient in envelope.local
    )


def success_report(
    envelope: MailEnvelope, *, reporting_mta: str, arrival: float, now: float
) -> DeliveryReport | None:
    """The "delivered" DSN this delivery owes, or None."""
    if not owes_success_dsn(envelope):
        return None
    asked = [r for r in envelope.local if wants(r.notify, "SUCCESS")]
    return DeliveryReport(
        reporting_mta=reporting_mta,
        sender=envelope.reverse_path,
        arrival=datetime.fromtimestamp(arrival, UTC),
        recipients=tuple(_delivered(recipient, now) for recipient in asked),
        envid=envelope.envid,
        ret=envelope.ret,
    )


def _delivered(recipient: Recipient, now: float) -> RecipientReport:
    return RecipientReport(
        final_recipient=recipient.address,
        action=Action.DELIVERED,
        status=DELIVERED_STATUS,
        original_recipient=recipient.orcpt,
        last_attempt=datetime.fromtimestamp(now, UTC),
    )


async def send_success_dsn(
    ctx: ServerContext, envelope: MailEnvelope, message: bytes, arrival: float
) -> str | None:
    """Send the DSN this delivery owes, if any; where it went, or None."""
    now = time.time()
    report = success_report(envelope, reporting_mta=ctx.hostname, arrival=arrival, now=now)
    if report is None:
        return None
    try:
        return await send_dsn(ctx, report, message, now)
    except StoreError as exc:
        log.warning("success DSN to %s not sent: %s", envelope.reverse_path, exc)
        return None
