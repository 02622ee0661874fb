"""Which recipients the sender hears about, and what the DSN says of each.

RFC 3461 §4.1: NOTIFY=NEVER asks for no DSN at all; otherwise a DSN is sent
for each listed condition: FAILURE, DELAY, SUCCESS. With no NOTIFY the MTA
behaves "as if NOTIFY=FAILURE or NOTIFY=FAILURE,DELAY had been specified";
this relay takes FAILURE (delay warnings only for those who ask).

* failed  (5yz, no route, refused content, or given up): FAILURE
* delayed (the first deferral only, so one warning per message): DELAY
* relayed (accepted by a next hop that does not offer DSN, RFC 3461
  §6.2.1, so nobody further on will report success): SUCCESS

And never any DSN about a message whose reverse path is null (RFC 5321
§3.6.3 / §4.5.5: "notification messages ... MUST NOT" be sent for it; no
bounce of a bounce).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from harness.server.delivery import MailEnvelope, Recipient
from harness.server.relay.dsn import Action, DeliveryReport, RecipientReport
from harness.server.relay.outcome import RecipientResult, Verdict


def wants(notify: tuple[str, ...] | None, condition: str) -> bool:
    """Whether a recipient's NOTIFY asks to hear of ``condition``."""
    if notify is None:
        return condition == "FAILURE"
    return condition in notify  # ("NEVER",) contains none of them


def delivery_report(
    envelope: MailEnvelope,
    results: Sequence[RecipientResult],
    *,
    reporting_mta: str,
    arrival: float,
    now: float,
    first_deferral: bool,
    retry_until: float,
) -> DeliveryReport | None:
    """The DSN one attempt calls for, or None."""
    if not envelope.reverse_path:
        return None
    by_address = {recipient.address: recipient for recipient in envelope.recipients}
    reports = []
    for result in results:
        recipient = by_address.get(result.recipient, Recipient(result.recipient))
        action = _action(result, recipient, first_deferral)
        if action is not None:
            reports.append(_recipient_report(result, recipient, action, now, retry_until))
    if not reports:
        return None
    return DeliveryReport(
        reporting_mta=reporting_mta,
        sender=envelope.reverse_path,
        arrival=_date(arrival),
        recipients=tuple(reports),
        envid=envelope.envid,
        ret=envelope.ret,
    )


def _action(result: RecipientResult, recipient: Recipient, first_deferral: bool) -> Action | None:
    if result.verdict is Verdict.FAILED and wants(recipient.notify, "FAILURE"):
        return Action.FAILED
    if result.verdict is Verdict.DEFERRED and first_deferral and wants(recipient.notify, "DELAY"):
        return Action.DELAYED
    delivered = result.verdict is Verdict.DELIVERED
    if delivered and not result.dsn_capable and wants(recipient.notify, "SUCCESS"):
        return Action.RELAYED
    return None


def _recipient_report(
    result: RecipientResult, recipient: Recipient, action: Action, now: float, retry_until: float
) -> RecipientReport:
    return RecipientReport(
        final_recipient=result.recipient,
        action=action,
        status=result.status,
        original_recipient=recipient.orcpt,
        remote_mta=result.remote_mta,
        diagnostic=result.diagnostic,
        last_attempt=_date(now),
        will_retry_until=_date(retry_until) if action is Action.DELAYED else None,
    )


def _date(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC)
