"""``SelectedMailbox``: the selected mailbox as this session has announced it.

RFC 9051 §2.3.1.2: sequence numbers run 1..n in UID order, and a message's
number changes only when the server *tells* the client (an EXPUNGE). So the
session keeps its own view, separate from the store: the UIDs it has
announced, in order, with each message's flags and mod-sequence as last
reported. Changes other sessions commit reach the view only through
``updates`` at the moments RFC 9051 §7.5.1 allows; until then a message
another session expunged stays numbered here (``vanished``).

Sequence sets are resolved against this view, never against the store, so
"FETCH 3" means the third message the client knows about (RFC 9051 §5.5).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence

from harness.protocols.imap import STAR, SequenceSet
from harness.server.imap.base import Bad
from harness.server.imap.selected.content import ContentCache
from harness.server.imap.selected.table import MessageTable
from harness.server.store import ChangeFeed, Mailbox, MessageInfo
from harness.server.store.flags import SYSTEM_FLAG_BITS

SYSTEM_FLAGS = tuple(SYSTEM_FLAG_BITS)  # \Seen \Answered \Flagged \Deleted \Draft
RECENT = "\\Recent"


class SelectedMailbox:
    def __init__(
        self,
        mailbox: Mailbox,
        messages: Sequence[MessageInfo],
        feed: ChangeFeed,
        content: ContentCache,
        *,
        read_only: bool,
        recent: Iterable[int],
    ) -> None:
        self.mailbox = mailbox
        self.id = mailbox.id
        self.feed = feed
        self.content = content
        self.read_only = read_only
        self.info = MessageTable(messages, mailbox.uidvalidity)
        self.uids = self.info.uids  # ascending; index + 1 is the sequence number
        self.recent: set[int] = set(recent)  # \Recent for this session (RFC 3501 §2.3.2)
        self.vanished: set[int] = set()  # expunged in the store, not yet announced
        self.keywords: set[str] = set()
        self.note_keywords(m.flags for m in messages)
        self.highestmodseq = mailbox.highestmodseq
        self.gone = False  # the mailbox was deleted under us

    # -- numbering -------------------------------------------------------------

    @property
    def exists(self) -> int:
        return len(self.uids)

    def seq_of(self, uid: int) -> int | None:
        index = self.info.index(uid)
        return None if index is None else index + 1

    def resolve(self, numbers: SequenceSet, *, uid: bool, saved: Sequence[int] = ()) -> list[int]:
        """The UIDs a sequence set names, ascending.

        RFC 9051 §9 (seq-number): a sequence number above the number of
        messages is invalid, so BAD; a UID that does not exist is ignored
        (§6.4.9), and "*" is the last message either way. "$" is the saved
        SEARCH result (RFC 5182 §2.1).
        """
        if numbers.saved:
            return sorted(u for u in saved if u in self.info)
        if uid:
            return self._uids_in(numbers)
        count = len(self.uids)
        if count == 0 or numbers.exceeds(count):
            raise Bad("no message has that sequence number")
        return [self.uids[seq - 1] for seq in numbers.resolve(count)]

    def _uids_in(self, numbers: SequenceSet) -> list[int]:
        """Bisect each range: "1:4294967295" must not build four billion numbers."""
        if not self.uids:
            return []
        largest = self.uids[-1]
        found: set[int] = set()
        for start, end in numbers.ranges:
            low, high = (largest if n == STAR else n for n in (start, end))
            low, high = min(low, high), max(low, high)
            first = bisect.bisect_left(self.uids, low)
            last = bisect.bisect_right(self.uids, high)
            found.update(self.uids[first:last])
        return sorted(found)

    # -- flags -----------------------------------------------------------------

    def flags_of(self, uid: int, *, rev2: bool) -> tuple[str, ...]:
        """FLAGS as the client sees them: \\Recent only for rev1 and this session."""
        flags = sorted(self.info.flags(uid))
        if uid in self.recent and not rev2:
            flags.append(RECENT)
        return tuple(flags)

    def note_keywords(self, flag_sets: Iterable[frozenset[str]]) -> bool:
        """Remember keywords in use; True if one is new (a FLAGS response is due)."""
        before = len(self.keywords)
        for flags in flag_sets:
            self.keywords.update(f for f in flags if not f.startswith("\\"))
        return len(self.keywords) != before

    def defined_flags(self) -> tuple[str, ...]:
        """The FLAGS response (RFC 9051 §7.3.5): system flags and keywords in use."""
        return (*SYSTEM_FLAGS, *sorted(self.keywords))

    def permanent_flags(self) -> tuple[str, ...]:
        """PERMANENTFLAGS: "\\*" since any keyword can be stored; none when read-only."""
        return () if self.read_only else (*self.defined_flags(), "\\*")

    def set_flags(self, uid: int, flags: frozenset[str], modseq: int) -> bool:
        """Record flags as reported; False if the view already had this or newer."""
        if uid not in self.info or uid in self.vanished or modseq <= self.info.modseq(uid):
            return False
        self.info.set_flags(uid, flags, modseq)
        self.highestmodseq = max(self.highestmodseq, modseq)
        return True

    # -- membership --------------------------------------------------------------

    def add(self, messages: Iterable[MessageInfo]) -> int:
        """Append newly announced messages (UIDs above every known one); how many."""
        added = 0
        for message in messages:
            if self.uids and message.uid <= self.uids[-1]:
                continue  # already known: the snapshot and the feed overlap
            self.info.append(message)
            added += 1
        return added

    def remove(self, uid: int) -> int:
        """Drop an expunged message; returns the sequence number it had."""
        assert uid in self.info, f"UID {uid} is not in the view"
        seq = self.info.delete(uid) + 1
        self.recent.discard(uid)
        self.vanished.discard(uid)
        self.content.forget(uid)
        return seq

    def unseen_first(self) -> int | None:
        """The sequence number of the first message without \\Seen (rev1 UNSEEN code)."""
        for seq, flags in enumerate(self.info.flags_in_order(), 1):
            if "\\Seen" not in flags:
                return seq
        return None


def compact(numbers: Iterable[int]) -> SequenceSet:
    """Ascending numbers as ranges: 1,2,3,7 -> "1:3,7" (order kept, for COPYUID)."""
    ranges: list[tuple[int, int]] = []
    for number in numbers:
        if ranges and number == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], number)
        else:
            ranges.append((number, number))
    return SequenceSet(tuple(ranges))
