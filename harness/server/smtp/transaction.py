"""The mail transaction: MAIL, RCPT, then the text by DATA or BDAT (RFC 5321
§3.3, RFC 3030), then delivery and the one reply that settles it.

The core decides sequence and grammar; these handlers decide policy
(``policy``) and collect what was accepted into a ``Transaction``. Whether a
transaction is open is the core's to say (``conn.mail_from``): the session
drops its ``Transaction`` whenever the core has ended one (RSET, EHLO,
STARTTLS, the reply after the text, a failed phase).
"""

from __future__ import annotations

import itertools
import logging
import re
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING

from harness.protocols.smtp import (
    Bdat,
    BdatChunk,
    ChunkEnd,
    Data,
    Ehlo,
    MailFrom,
    MessageData,
    MessageEnd,
    RcptTo,
    Reply,
    reply,
)
from harness.server.delivery import (
    Committed,
    MailEnvelope,
    Recipient,
    TraceInfo,
    deliver_message,
    with_protocol,
)
from harness.server.sessionlog import SESSION_LOGGER
from harness.server.smtp import replies as R
from harness.server.smtp.policy import accept_recipient, sender_refusal
from harness.server.smtp.receipts import owes_success_dsn, send_success_dsn
from harness.server.store import StoreError

if TYPE_CHECKING:
    from harness.server.smtp.session import SmtpSession

log = logging.getLogger(__name__)

# RFC 5321 §6.3: counting Received fields finds loops; servers "SHOULD use a
# large rejection threshold, normally at least 100 Received entries".
MAX_HOPS = 100
_RECEIVED_FIELD = re.compile(rb"^received:", re.IGNORECASE | re.MULTILINE)

# Trace ids (an Atom, RFC 5321 §4.4): a random 40-bit prefix per process, then
# a counter, so ids stay distinct across restarts and none costs a system call.
_MESSAGE_IDS = (f"{secrets.token_hex(5).upper()}{n:06X}" for n in itertools.count(1))


@dataclass
class Transaction:
    """What one transaction has accepted so far."""

    mail: MailFrom
    recipients: list[Recipient] = field(default_factory=list)
    chunks: list[bytes] = field(default_factory=list)
    in_text: bool = False  # 354 sent or a BDAT accepted: the text is arriving
    message_id: str = field(default_factory=lambda: next(_MESSAGE_IDS))

    @property
    def reverse_path(self) -> str:
        address = self.mail.reverse_path.address
        return "" if address is None else str(address)

    def envelope(self) -> MailEnvelope:
        params = self.mail.params
        return MailEnvelope(
            reverse_path=self.reverse_path,
            recipients=tuple(self.recipients),
            body=params.body,
            smtputf8=params.smtputf8,
            ret=params.ret,
            envid=params.envid,
        )


async def on_mail(session: SmtpSession, event: MailFrom) -> None:
    refusal = sender_refusal(
        session.ctx, session.listener, event, user=session.user, tls=session.conn.tls_active
    )
    if refusal is not None:
        session.reply(refusal)
        return
    session.txn = Transaction(event)
    session.reply(R.SENDER_OK)


async def on_rcpt(session: SmtpSession, event: RcptTo) -> None:
    txn = session.require_transaction()
    decision = accept_recipient(session.ctx, event, user=session.user)
    if isinstance(decision, Reply):
        session.reply(decision)
        return
    txn.recipients.append(decision)
    session.reply(R.RECIPIENT_OK if decision.is_local else R.RELAY_RECIPIENT_OK)


async def on_data(session: SmtpSession, event: Data) -> None:
    session.require_transaction().in_text = True
    session.reply(R.START_DATA)


async def on_message_data(session: SmtpSession, event: MessageData) -> None:
    session.require_transaction().chunks.append(event.data)


async def on_message_end(session: SmtpSession, event: MessageEnd) -> None:
    if event.long_lines:  # kept intact (policy "keep"); worth a line in the log
        session.record.message("long-lines", mid=session.require_transaction().message_id)
    await finish(session)


async def on_bdat(session: SmtpSession, event: Bdat) -> None:
    # No reply yet: the chunk's octets follow, then ChunkEnd is answered.
    session.require_transaction().in_text = True


async def on_bdat_chunk(session: SmtpSession, event: BdatChunk) -> None:
    session.require_transaction().chunks.append(event.data)


async def on_chunk_end(session: SmtpSession, event: ChunkEnd) -> None:
    if event.last:
        await finish(session)
    else:
        session.reply(reply(250, f"{event.size} octets received", "2.0.0"))


async def finish(session: SmtpSession) -> None:
    """Deliver the message; 250 only once it is durably stored (RFC 5321 §4.1.1.4)."""
    txn = session.require_transaction()
    data = b"".join(txn.chunks)
    txn.chunks.clear()
    if hop_count(data) >= MAX_HOPS:
        session.record.message("rejected", mid=txn.message_id, reason="mail loop")
        session.reply(R.MAIL_LOOP)
        return
    envelope, arrival = txn.envelope(), time.time()
    try:
        committed = await deliver_message(
            session.ctx.store, session.rules, envelope, data, trace(session, txn)
        )
    except StoreError as exc:
        log.warning("%s: delivery of %s failed: %s", session.record.id, txn.message_id, exc)
        session.record.message("failed", mid=txn.message_id, size=len(data), result=repr(exc))
        session.reply(R.LOCAL_ERROR)
        return
    session.reply(R.delivered(txn.message_id))
    log_delivery(session, txn, len(data), committed)
    if owes_success_dsn(envelope):
        await session.flush()  # the 250 does not wait for the DSN
        await send_success_dsn(session.ctx, envelope, data, arrival)


def hop_count(data: bytes) -> int:
    """How many Received fields the header section holds (folded lines are not
    counted twice: continuation lines start with white space)."""
    end = data.find(b"\r\n\r\n")
    return len(_RECEIVED_FIELD.findall(data, 0, len(data) if end < 0 else end + 2))


def trace(session: SmtpSession, txn: Transaction) -> TraceInfo:
    conn = session.conn
    assert conn.hello is not None, "the core requires HELO/EHLO before MAIL"
    protocol = with_protocol(
        extended=isinstance(conn.hello, Ehlo),
        tls=conn.tls_active,
        authenticated=session.user is not None,
        smtputf8=txn.mail.params.smtputf8,
    )
    return TraceInfo(
        helo=conn.hello.domain,
        client_ip=session.client.peer_host,
        hostname=session.ctx.hostname,
        protocol=protocol,
        message_id=txn.message_id,
        when=local_now(),
    )


def local_now() -> datetime:
    """Now in the local zone, to the second: all a Received stamp shows."""
    return _local_second(int(time.time()))


@lru_cache(maxsize=2)  # one datetime (and one formatted stamp) per second, not per message
def _local_second(second: int) -> datetime:
    return datetime.fromtimestamp(second).astimezone()


def log_delivery(session: SmtpSession, txn: Transaction, size: int, committed: Committed) -> None:
    if not SESSION_LOGGER.isEnabledFor(logging.INFO):
        return  # quiet by default: not even the fields are worth building
    fields: dict[str, object] = {
        "mid": txn.message_id,
        "from": f"<{txn.reverse_path}>",
        "to": ",".join(r.address for r in txn.recipients),
        "size": size,
        "stored": len(committed.stored),
        "queued": None if committed.queued is None else committed.queued.id,
        "rules_fell_back": ",".join(committed.fallbacks) or None,
        "result": "ok",
    }
    session.record.message("delivered", **fields)
