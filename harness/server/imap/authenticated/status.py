"""STATUS (RFC 9051 §6.3.11, RFC 3501 §6.3.10), also used by LIST-STATUS.

Items: MESSAGES, UIDNEXT, UIDVALIDITY, UNSEEN, RECENT (rev1), SIZE (RFC 8438,
rev2), DELETED (rev2), HIGHESTMODSEQ (RFC 7162 §3.1.7, which also turns
CONDSTORE on) and APPENDLIMIT (RFC 7889). MAILBOXID needs OBJECTID, which is
not offered. STATUS reads counters only: RFC 3501 §6.3.10 "MUST NOT cause
messages to lose the \\Recent flag".
"""

from __future__ import annotations

from collections.abc import Sequence

from harness.protocols.imap import MailboxStatus, Status
from harness.server.imap.authenticated.lookup import find_mailbox_any
from harness.server.imap.base import Bad, Done, No, Session
from harness.server.store import Mailbox, StoreError

SUPPORTED = frozenset(
    {"MESSAGES", "UIDNEXT", "UIDVALIDITY", "UNSEEN", "RECENT", "SIZE", "DELETED"}
    | {"HIGHESTMODSEQ", "APPENDLIMIT"}
)


async def status(s: Session, command: Status) -> Done:
    unsupported = [item for item in command.items if item not in SUPPORTED]
    if unsupported:
        raise Bad(f"STATUS item {unsupported[0]} is not supported")
    mailbox = await find_mailbox_any(s, command.mailbox)
    if not mailbox.selectable:
        raise No(f"{command.mailbox} holds no messages (\\Noselect)", "NONEXISTENT")
    await emit_status(s, mailbox, command.items)
    return Done("STATUS completed")


async def emit_status(s: Session, mailbox: Mailbox, items: Sequence[str]) -> None:
    store = s.ctx.store
    try:
        counters = await store.status(mailbox.id)
        deleted = 0
        if "DELETED" in items:
            messages = await store.list_messages(mailbox.id)
            deleted = sum(1 for m in messages if "\\Deleted" in m.flags)
    except StoreError:
        return  # gone since it was listed: nothing to report
    if "HIGHESTMODSEQ" in items:
        s.condstore = True
    values = {
        "MESSAGES": counters.messages,
        "UIDNEXT": counters.uidnext,
        "UIDVALIDITY": counters.uidvalidity,
        "UNSEEN": counters.unseen,
        "RECENT": counters.recent,
        "SIZE": counters.size,
        "DELETED": deleted,
        "HIGHESTMODSEQ": counters.highestmodseq,
        "APPENDLIMIT": s.ctx.limits.max_message_size,
    }
    pairs = tuple((item, values[item]) for item in dict.fromkeys(items))
    s.emit(MailboxStatus(s.wire_name(mailbox.name), pairs))
