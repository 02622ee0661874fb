"""``deliver_message``: from an accepted SMTP transaction to durable storage.

1. Trace fields (``trace``): Return-Path and Received for the local copy,
   Received alone for the relayed copy; the message bytes are otherwise
   left exactly as received.
2. Filing rules (``filing``) for each local account, off the event loop when
   any account has a script.
3. One store write (``commit``) for every mailbox and the relay queue entry.

The caller answers 250 only when this returns (RFC 5321 §4.1.1.4, §6.1:
"the receiver-SMTP MUST NOT lose the message" once it has said so).
"""

from __future__ import annotations

from functools import partial

import trio

from harness.server.delivery.commit import Committed, RelayRequest, commit_delivery
from harness.server.delivery.envelope import MailEnvelope, Recipient
from harness.server.delivery.filing import Filing, FilingRules, keep_all
from harness.server.delivery.trace import TraceInfo, received_field, return_path_field
from harness.server.store import AsyncMailstore, RecipientOptions, RelayOptions


async def deliver_message(
    store: AsyncMailstore,
    rules: FilingRules,
    envelope: MailEnvelope,
    data: bytes,
    trace: TraceInfo,
) -> Committed:
    """Store ``data`` for every local recipient and queue it for the remote ones."""
    local, relayed = envelope.local, envelope.relayed
    only = _single_destination(local, relayed)
    received = received_field(trace, only, smtputf8=envelope.smtputf8)
    content = return_path_field(envelope.reverse_path) + received + data if local else b""
    relay = None
    if relayed:
        addresses = tuple(recipient.address for recipient in relayed)
        relay = RelayRequest(
            envelope.reverse_path, addresses, received + data, relay_options(envelope)
        )
    filings = await _file(rules, content, envelope.reverse_path, local)
    return await store.write(
        partial(commit_delivery, filings=filings, content=content, relay=relay)
    )


def relay_options(envelope: MailEnvelope) -> RelayOptions:
    """The parameters the relay passes on to the next hop and uses in DSNs."""
    return RelayOptions(
        body=envelope.body,
        smtputf8=envelope.smtputf8,
        ret=envelope.ret,
        envid=envelope.envid,
        recipients={
            r.address: RecipientOptions(notify=r.notify, orcpt=r.orcpt) for r in envelope.relayed
        },
    )


def _single_destination(local: tuple[Recipient, ...], relayed: tuple[Recipient, ...]) -> str | None:
    """The FOR path: only when there is exactly one recipient (RFC 5321 §4.4)."""
    everyone = local + relayed
    return everyone[0].address if len(everyone) == 1 else None


async def _file(
    rules: FilingRules, content: bytes, reverse_path: str, local: tuple[Recipient, ...]
) -> tuple[Filing, ...]:
    if not any(r.account is not None and rules.has_rules(r.account) for r in local):
        return keep_all(local)

    def run_rules() -> tuple[Filing, ...]:
        return tuple(rules.file(content, reverse_path, recipient) for recipient in local)

    return await trio.to_thread.run_sync(run_rules)
