"""``MessageTable``: what a selected session knows of each message, compactly.

A selected session keeps, for every message it has announced, the UID, the
flags and mod-sequence as last reported, the size and the internal date
(RFC 9051 §2.3). Sessions idle for hours in IDLE hold this for the whole
mailbox, so it is kept in parallel arrays, indexed by sequence number - 1:
about 40 bytes a message, where a ``MessageInfo`` object with its own ints
and datetime costs over 200. Flag sets are shared objects (``shared_flags``):
most messages carry one of a few sets.

Reading it as a mapping, ``table[uid]`` builds the ``MessageInfo`` on demand;
the hot paths read single fields (``size``, ``modseq``, ``flags``) instead.
"""

from __future__ import annotations

import bisect
from array import array
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime, timedelta, timezone

from harness.server.store import MessageInfo

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
MAX_SHARED_FLAG_SETS = 4096

_flag_sets: dict[frozenset[str], frozenset[str]] = {}
_zones: dict[int, timezone] = {}


def shared_flags(flags: frozenset[str]) -> frozenset[str]:
    """One object per distinct flag set across all sessions: thousands of messages
    flagged (\\Seen) then cost one set, not thousands (idle sessions hold views)."""
    known = _flag_sets.get(flags)
    if known is not None:
        return known
    if len(_flag_sets) < MAX_SHARED_FLAG_SETS:
        _flag_sets[flags] = flags
    return flags


def _zone(offset_seconds: int) -> timezone:
    zone = _zones.get(offset_seconds)
    if zone is None:
        zone = _zones[offset_seconds] = timezone(timedelta(seconds=offset_seconds))
    return zone


def _microseconds(when: datetime) -> tuple[int, int]:
    """(microseconds since the epoch, UTC offset in seconds): exact, no float."""
    offset = when.utcoffset()
    if offset is None:
        raise ValueError("an internal date must be timezone-aware")
    return (when - _EPOCH) // _MICROSECOND, int(offset.total_seconds())


class MessageTable(Mapping[int, MessageInfo]):
    """UID -> MessageInfo over parallel arrays; UIDs ascending (RFC 9051 §2.3.1.1)."""

    def __init__(self, messages: Iterable[MessageInfo], uidvalidity: int) -> None:
        # Built whole (not appended one by one), so no array is over-allocated.
        messages = list(messages)
        dates = [_microseconds(m.internal_date) for m in messages]
        self.uidvalidity = uidvalidity
        self.uids = array("I", [m.uid for m in messages])  # 32-bit, as UIDs are
        self._flags = [shared_flags(m.flags) for m in messages]
        self._sizes = array("Q", [m.size for m in messages])
        self._modseqs = array("Q", [m.modseq for m in messages])
        self._dates = array("q", [date for date, _ in dates])  # microseconds since the epoch
        self._offsets = array("i", [offset for _, offset in dates])  # UTC offset, seconds

    # -- reading ---------------------------------------------------------------

    def index(self, uid: int) -> int | None:
        """Sequence number - 1 of ``uid``, or None if the table does not hold it."""
        index = bisect.bisect_left(self.uids, uid)
        if index < len(self.uids) and self.uids[index] == uid:
            return index
        return None

    def indexes(self, uids: Iterable[int]) -> dict[int, int]:
        """UID -> index for ascending ``uids`` the table holds, in one pass: a
        run of consecutive messages (the usual FETCH range) costs no search."""
        found: dict[int, int] = {}
        held = self.uids
        index = -1
        for uid in uids:
            index += 1
            if index >= len(held) or held[index] != uid:
                index = bisect.bisect_left(held, uid, max(index, 0))
                if index >= len(held) or held[index] != uid:
                    index -= 1  # not held: search on from the same place
                    continue
            found[uid] = index
        return found

    def size_at(self, index: int) -> int:
        return self._sizes[index]

    def modseq_at(self, index: int) -> int:
        return self._modseqs[index]

    def internal_date_at(self, index: int) -> datetime:
        zone = _zone(self._offsets[index])
        return (_EPOCH + self._dates[index] * _MICROSECOND).astimezone(zone)

    def _require(self, uid: int) -> int:
        index = self.index(uid)
        if index is None:
            raise KeyError(uid)
        return index

    def flags(self, uid: int) -> frozenset[str]:
        return self._flags[self._require(uid)]

    def flags_in_order(self) -> Iterator[frozenset[str]]:
        """Every message's flags, by sequence number."""
        return iter(self._flags)

    def size(self, uid: int) -> int:
        return self._sizes[self._require(uid)]

    def modseq(self, uid: int) -> int:
        return self._modseqs[self._require(uid)]

    def internal_date(self, uid: int) -> datetime:
        return self.internal_date_at(self._require(uid))

    def __getitem__(self, uid: int) -> MessageInfo:
        index = self._require(uid)
        return MessageInfo(
            uid=uid,
            flags=self._flags[index],
            size=self._sizes[index],
            modseq=self._modseqs[index],
            internal_date=self.internal_date(uid),
            recent=False,  # \Recent is the session's to say (SelectedMailbox.recent)
            uidvalidity=self.uidvalidity,
        )

    def __contains__(self, uid: object) -> bool:
        return isinstance(uid, int) and self.index(uid) is not None

    def __iter__(self) -> Iterator[int]:
        return iter(self.uids)

    def __len__(self) -> int:
        return len(self.uids)

    # -- changing ----------------------------------------------------------------

    def append(self, message: MessageInfo) -> None:
        """Add a message whose UID is above every one held (the caller checks)."""
        date, offset = _microseconds(message.internal_date)
        self.uids.append(message.uid)
        self._flags.append(shared_flags(message.flags))
        self._sizes.append(message.size)
        self._modseqs.append(message.modseq)
        self._dates.append(date)
        self._offsets.append(offset)

    def set_flags(self, uid: int, flags: frozenset[str], modseq: int) -> None:
        index = self._require(uid)
        self._flags[index] = shared_flags(flags)
        self._modseqs[index] = modseq

    def delete(self, uid: int) -> int:
        """Drop ``uid``; returns the index it had."""
        index = self._require(uid)
        del self.uids[index]
        del self._flags[index]
        del self._sizes[index]
        del self._modseqs[index]
        del self._dates[index]
        del self._offsets[index]
        return index
