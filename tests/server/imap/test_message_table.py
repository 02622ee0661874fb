"""``MessageTable`` gives back exactly the ``MessageInfo`` it was given.

The selected view keeps messages in compact arrays (harness.server.imap.
selected.table); whatever it packs, FETCH INTERNALDATE, RFC822.SIZE, FLAGS
and MODSEQ must read back unchanged: zones, microseconds and 64-bit values.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.server.imap.selected.table import MessageTable
from harness.server.store import MessageInfo

UIDVALIDITY = 1_700_000_000


def info(uid: int, when: datetime, *, flags: frozenset[str] = frozenset()) -> MessageInfo:
    return MessageInfo(
        uid=uid,
        flags=flags,
        size=uid * 1000,
        modseq=2**62 + uid,
        internal_date=when,
        recent=False,
        uidvalidity=UIDVALIDITY,
    )


zones = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
dates = st.builds(
    lambda naive, zone: naive.replace(tzinfo=zone),
    st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2200, 1, 1)),
    zones,
)


@given(st.lists(dates, min_size=1, max_size=20))
def test_every_field_reads_back_unchanged(whens: list[datetime]) -> None:
    messages = [info(uid, when) for uid, when in enumerate(whens, start=1)]
    table = MessageTable(messages, UIDVALIDITY)
    for message in messages:
        got = table[message.uid]
        assert got == message
        assert got.internal_date.utcoffset() == message.internal_date.utcoffset()
        assert table.size(message.uid) == message.size
        assert table.modseq(message.uid) == message.modseq


def test_append_delete_and_flags_keep_the_order() -> None:
    when = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    table = MessageTable([info(3, when), info(7, when)], UIDVALIDITY)
    table.append(info(4_294_967_295, when))  # the largest UID (RFC 9051 §2.3.1.1)
    assert list(table) == [3, 7, 4_294_967_295]
    assert table.delete(7) == 1
    assert list(table) == [3, 4_294_967_295] and 7 not in table
    table.set_flags(3, frozenset({"\\Seen"}), 99)
    assert table.flags(3) == {"\\Seen"} and table.modseq(3) == 99
    assert table.index(4_294_967_295) == 1 and table.index(5) is None
    with pytest.raises(KeyError):
        table.size(7)


def test_a_naive_date_is_refused() -> None:
    with pytest.raises(ValueError):
        MessageTable([info(1, datetime(2024, 1, 1))], UIDVALIDITY)


@given(
    st.sets(st.integers(min_value=1, max_value=60), max_size=40),
    st.sets(st.integers(min_value=1, max_value=70), max_size=40),
)
def test_indexes_finds_every_held_uid_and_skips_the_rest(held: set[int], asked: set[int]) -> None:
    when = datetime(2024, 5, 1, tzinfo=UTC)
    table = MessageTable([info(uid, when) for uid in sorted(held)], UIDVALIDITY)
    expected = {uid: table.index(uid) for uid in asked if uid in held}
    assert table.indexes(sorted(asked)) == expected
