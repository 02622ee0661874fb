"""FETCH and UID FETCH (RFC 9051 §6.4.5, RFC 3501 §6.4.5) with CONDSTORE's
MODSEQ and CHANGEDSINCE (RFC 7162 §3.1.4) and BINARY (RFC 3516 §4.2).

Metadata (FLAGS, UID, INTERNALDATE, RFC822.SIZE, MODSEQ) comes from the
session's view; content items parse the stored bytes once per message
(``ContentCache``). RFC 3501 §6.4.5: BODY[...] "The \\Seen flag is
implicitly set; if this causes the flags to change, they SHOULD be included
as part of the FETCH responses", and likewise RFC822 and RFC822.TEXT; the
.PEEK forms, RFC822.HEADER and a read-only mailbox never set it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from harness.protocols.imap import (
    BodySection,
    Fetch,
    FetchAtt,
    FetchResponse,
    FetchSection,
    Section,
)
from harness.server.imap.base import Done, No, Session, store_failure
from harness.server.imap.message_view import MessageView, partial
from harness.server.imap.selected.content import READ_AHEAD, Expunged, batches, read_ahead
from harness.server.imap.selected.view import SelectedMailbox
from harness.server.store import FlagOperation, StoreError

METADATA = frozenset({"UID", "FLAGS", "INTERNALDATE", "RFC822.SIZE", "MODSEQ"})
SEEN_SETTING = frozenset({"RFC822", "RFC822.TEXT"})
RFC822_SECTIONS = {"RFC822.HEADER": Section(text="HEADER"), "RFC822.TEXT": Section(text="TEXT")}


class UnknownTransferEncoding(Exception):
    """BINARY of a part whose Content-Transfer-Encoding the server cannot undo."""


async def fetch(s: Session, command: Fetch) -> Done:
    view = s.require_selected()
    items = command.attributes()
    uids = view.resolve(command.sequence_set, uid=command.uid, saved=s.saved_uids)
    with_modseq = "MODSEQ" in items or command.changedsince is not None
    if with_modseq:  # RFC 7162 §3.1: a CONDSTORE-enabling command
        s.condstore = True
    if command.changedsince is not None:
        uids = [uid for uid in uids if view.info.modseq(uid) > command.changedsince]
    newly_seen = await _mark_seen(s, view, uids) if _sets_seen(items) else set()
    wanted = Wanted.of(items, with_modseq)
    index = view.info.indexes(uids)  # the view holds still while one command runs
    missing = 0
    for batch in batches(uids, {uid: view.info.size_at(index[uid]) for uid in uids}):
        if wanted.content:
            await view.content.load(_with_read_ahead(view, batch))
        for uid in batch:
            try:
                fields = await _fields(s, view, uid, index[uid], wanted, uid in newly_seen)
            except Expunged:
                missing += 1
                continue
            except UnknownTransferEncoding:
                text = "a part has a transfer encoding this server cannot decode"
                raise No(text, "UNKNOWN-CTE") from None
            s.emit(FetchResponse(index[uid] + 1, **fields))
            await s.flush_if_large()
    if missing:
        # RFC 2180 §4.1.2: data of a message another session expunged may be refused
        raise No(f"{missing} message(s) were expunged meanwhile", "EXPUNGEISSUED")
    return Done("FETCH completed")


def _with_read_ahead(view: SelectedMailbox, batch: list[int]) -> list[int]:
    """A lone uncached message comes with the next few: one store trip, not many."""
    if len(batch) != 1 or view.content.cached(batch[0]):
        return batch
    seq = view.seq_of(batch[0]) or 0
    following = view.uids[seq : seq + READ_AHEAD]
    return batch + read_ahead(following, {uid: view.info.size(uid) for uid in following})


def _sets_seen(items: tuple[FetchAtt, ...]) -> bool:
    for item in items:
        if isinstance(item, FetchSection):
            if not item.peek and item.item in ("BODY", "BINARY"):
                return True
        elif item in SEEN_SETTING:
            return True
    return False


async def _mark_seen(s: Session, view: SelectedMailbox, uids: list[int]) -> set[int]:
    """Set \\Seen where it is missing; the UIDs whose flags changed."""
    unseen = [u for u in uids if u not in view.vanished and "\\Seen" not in view.info.flags(u)]
    if view.read_only or not unseen:
        return set()
    try:
        result = await s.ctx.store.store_flags(view.id, unseen, FlagOperation.ADD, ["\\Seen"])
    except StoreError as exc:
        raise store_failure(exc) from None
    return {u.uid for u in result.updated if view.set_flags(u.uid, u.flags, u.modseq)}


@dataclass(frozen=True, slots=True)
class Wanted:
    """What one FETCH asks of every message, worked out once per command."""

    flags: bool
    uid: bool
    modseq: bool
    internal_date: bool
    size: bool
    content: tuple[FetchAtt, ...]  # items read from the message bytes

    @classmethod
    def of(cls, items: tuple[FetchAtt, ...], with_modseq: bool) -> Wanted:
        return cls(
            flags="FLAGS" in items,
            uid="UID" in items,
            modseq=with_modseq,
            internal_date="INTERNALDATE" in items,
            size="RFC822.SIZE" in items,
            content=tuple(item for item in items if item not in METADATA),
        )


async def _fields(
    s: Session, view: SelectedMailbox, uid: int, at: int, wanted: Wanted, flags_changed: bool
) -> dict[str, Any]:
    """The FetchResponse fields for one message (``at``: its index in the view)."""
    info = view.info
    fields: dict[str, Any] = {}
    if flags_changed or wanted.flags:
        fields["flags"] = view.flags_of(uid, rev2=s.rev2)
    if wanted.uid:
        fields["uid"] = uid
    if wanted.modseq or (flags_changed and s.condstore):
        fields["modseq"] = info.modseq_at(at)
    if wanted.internal_date:
        fields["internal_date"] = info.internal_date_at(at)
    if wanted.size:
        fields["rfc822_size"] = info.size_at(at)
    if wanted.content:
        _content_fields(await view.content.view(uid), wanted.content, fields, rev2=s.rev2)
    return fields


def _content_fields(
    message: MessageView, items: Sequence[FetchAtt], fields: dict[str, Any], *, rev2: bool
) -> None:
    sections: list[BodySection] = []
    binary_sizes: list[tuple[tuple[int, ...], int]] = []
    for item in items:
        if isinstance(item, FetchSection):
            if item.item == "BINARY.SIZE":
                binary_sizes.append((item.section.part, _binary_size(message, item)))
            else:
                sections.append(_section(message, item))
        elif item == "ENVELOPE":
            fields["envelope"] = message.envelope()
        elif item == "BODY":
            fields["body"] = message.body_structure(extensions=False, rev2=rev2)
        elif item == "BODYSTRUCTURE":
            fields["body_structure"] = message.body_structure(extensions=True, rev2=rev2)
        elif item == "RFC822":
            sections.append(BodySection("RFC822", Section(), message.raw))
        elif isinstance(item, str) and item in RFC822_SECTIONS:
            sections.append(BodySection(item, Section(), message.section(RFC822_SECTIONS[item])))
    if sections:
        fields["sections"] = tuple(sections)
    if binary_sizes:
        fields["binary_sizes"] = tuple(binary_sizes)


def _section(message: MessageView, item: FetchSection) -> BodySection:
    """BODY[section]<partial> answers as BODY[section]<origin> (RFC 9051 §7.5.2);
    BINARY carries no origin (RFC 9051 erratum 7246)."""
    if item.item == "BINARY":
        data = message.binary(item.section.part)
        if data is None:
            raise UnknownTransferEncoding(str(item.section))
        return BodySection("BINARY", Section(item.section.part), partial(data, item.partial))
    data = partial(message.section(item.section), item.partial)
    origin = item.partial[0] if item.partial is not None else None
    return BodySection("BODY", item.section, data, origin)


def _binary_size(message: MessageView, item: FetchSection) -> int:
    size = message.binary_size(item.section.part)
    if size is None:
        raise UnknownTransferEncoding(str(item.section))
    return size
