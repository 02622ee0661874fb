"""Messages: UIDs, MODSEQ, STORE, COPY/MOVE, EXPUNGE and status counters."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta, timezone

import pytest

from harness.server.store import (
    FlagOperation,
    InvalidFlag,
    Mailbox,
    Mailstore,
    NoSuchMailbox,
    NoSuchMessage,
    User,
)


def content_rows(store: Mailstore) -> int:
    with sqlite3.connect(store.path) as conn:
        return int(conn.execute("SELECT count(*) FROM contents").fetchone()[0])


def delete_and_expunge(store: Mailstore, mailbox: Mailbox, uids: list[int]) -> None:
    store.store_flags(mailbox.id, uids, FlagOperation.ADD, ["\\Deleted"])
    store.expunge(mailbox.id)


def test_uids_ascend_and_are_never_reused(store: Mailstore, inbox: Mailbox) -> None:
    uids = [store.append(inbox.id, b"m%d" % n).uid for n in range(5)]
    assert uids == [1, 2, 3, 4, 5]
    delete_and_expunge(store, inbox, [4, 5])
    assert store.status(inbox.id).uidnext == 6
    assert store.append(inbox.id, b"after").uid == 6
    assert [m.uid for m in store.list_messages(inbox.id)] == [1, 2, 3, 6]


def test_uidnext_survives_reopen(store: Mailstore, inbox: Mailbox) -> None:
    store.append(inbox.id, b"a")
    delete_and_expunge(store, inbox, [1])
    store.close()
    with Mailstore(store.data_dir) as reopened:
        assert reopened.append(inbox.id, b"b").uid == 2


def test_modseq_rises_with_every_change(store: Mailstore, inbox: Mailbox) -> None:
    start = store.status(inbox.id).highestmodseq
    first = store.append(inbox.id, b"a")
    assert first.modseq > start
    stored = store.store_flags(inbox.id, [first.uid], FlagOperation.ADD, ["\\Seen"])
    assert stored.updated[0].modseq > first.modseq
    noop = store.store_flags(inbox.id, [first.uid], FlagOperation.ADD, ["\\Seen"])
    assert not noop.updated[0].changed and noop.highestmodseq == stored.highestmodseq
    expunged = store.expunge(inbox.id, None)
    assert expunged.uids == () and expunged.highestmodseq == stored.highestmodseq
    delete_and_expunge(store, inbox, [first.uid])
    assert store.status(inbox.id).highestmodseq > stored.highestmodseq + 1


def test_store_set_add_remove(store: Mailstore, inbox: Mailbox) -> None:
    uid = store.append(inbox.id, b"m", flags=["\\seen", "$Label"]).uid
    assert store.list_messages(inbox.id)[0].flags == {"\\Seen", "$Label"}
    added = store.store_flags(inbox.id, [uid], FlagOperation.ADD, ["\\Flagged", "$label"])
    assert added.updated[0].flags == {"\\Seen", "\\Flagged", "$Label"}
    removed = store.store_flags(inbox.id, [uid], FlagOperation.REMOVE, ["$LABEL", "\\SEEN"])
    assert removed.updated[0].flags == {"\\Flagged"}
    replaced = store.store_flags(inbox.id, [uid], FlagOperation.SET, ["\\Draft"])
    assert replaced.updated[0].flags == {"\\Draft"}
    assert store.get_messages(inbox.id, [uid])[0].flags == {"\\Draft"}


@pytest.mark.parametrize("bad", ["\\Recent", "\\Bogus", "with space", "paren(", ""])
def test_invalid_flags_are_refused(store: Mailstore, inbox: Mailbox, bad: str) -> None:
    with pytest.raises(InvalidFlag):
        store.append(inbox.id, b"m", flags=[bad])
    assert store.status(inbox.id).messages == 0


def test_unchangedsince_reports_modified_and_leaves_them(store: Mailstore, inbox: Mailbox) -> None:
    one = store.append(inbox.id, b"1")
    two = store.append(inbox.id, b"2")
    touched = store.store_flags(inbox.id, [two.uid], FlagOperation.ADD, ["$Seen2"])
    since = one.modseq  # below two's new modseq, at or above one's
    result = store.store_flags(
        inbox.id, [one.uid, two.uid, 99], FlagOperation.ADD, ["\\Answered"], unchanged_since=since
    )
    assert result.modified == (two.uid,)
    assert [u.uid for u in result.updated] == [one.uid]
    two_now = store.get_messages(inbox.id, [two.uid])[0]
    assert two_now.flags == {"$Seen2"} and two_now.modseq == touched.highestmodseq


def test_copy_keeps_flags_and_maps_uids(store: Mailstore, alice: User, inbox: Mailbox) -> None:
    for n in range(4):
        store.append(inbox.id, b"msg %d" % n, flags=["\\Seen"] if n % 2 else [])
    archive = store.get_mailbox(alice.id, "Archive")
    assert archive is not None
    store.append(archive.id, b"already there")
    result = store.copy(inbox.id, [4, 2, 3, 42], archive.id)
    assert result.uidvalidity == archive.uidvalidity
    assert result.mapping == ((2, 2), (3, 3), (4, 4))
    copies = store.get_messages(archive.id, result.destination_uids)
    assert [m.flags for m in copies] == [{"\\Seen"}, set(), {"\\Seen"}]
    assert [store.fetch(archive.id, uid) for uid in result.destination_uids] == [
        b"msg 1",
        b"msg 2",
        b"msg 3",
    ]
    assert content_rows(store) == 5  # copies share the stored bytes
    assert store.status(inbox.id).messages == 4


def test_move_expunges_source(store: Mailstore, alice: User, inbox: Mailbox) -> None:
    for n in range(3):
        store.append(inbox.id, b"m%d" % n)
    trash = store.get_mailbox(alice.id, "Trash")
    assert trash is not None
    before = store.status(inbox.id).highestmodseq
    moved = store.move(inbox.id, [1, 3], trash.id)
    assert moved.mapping == ((1, 1), (3, 2))
    assert [m.uid for m in store.list_messages(inbox.id)] == [2]
    assert store.vanished_since(inbox.id, before) == (1, 3)
    assert store.fetch(trash.id, 2) == b"m2"


def test_copy_into_noselect_fails_atomically(store: Mailstore, alice: User, inbox: Mailbox) -> None:
    store.append(inbox.id, b"m")
    store.create_mailbox(alice.id, "P/c")
    parent = store.get_mailbox(alice.id, "P")
    assert parent is not None
    store.delete_mailbox(alice.id, "P")
    with pytest.raises(NoSuchMailbox):
        store.move(inbox.id, [1], parent.id)
    assert store.status(inbox.id).messages == 1


def test_uid_expunge_only_touches_deleted_in_set(store: Mailstore, inbox: Mailbox) -> None:
    for n in range(4):
        store.append(inbox.id, b"m%d" % n)
    store.store_flags(inbox.id, [1, 2, 3], FlagOperation.ADD, ["\\Deleted"])
    result = store.expunge(inbox.id, [2, 3, 4])
    assert result.uids == (2, 3)
    assert [m.uid for m in store.list_messages(inbox.id)] == [1, 4]
    assert store.expunge(inbox.id).uids == (1,)


def test_deliver_to_many_is_all_or_nothing(store: Mailstore, alice: User, inbox: Mailbox) -> None:
    bob = store.create_user("bob@example.test")
    bob_inbox = store.inbox(bob.name)
    results = store.deliver([inbox.id, bob_inbox.id], b"to both")
    assert [(r.mailbox_id, r.uid) for r in results] == [(inbox.id, 1), (bob_inbox.id, 1)]
    assert content_rows(store) == 1
    with pytest.raises(NoSuchMailbox):
        store.deliver([inbox.id, 9999], b"half")
    assert store.status(inbox.id).messages == 1


def test_content_is_dropped_with_its_last_reference(
    store: Mailstore, alice: User, inbox: Mailbox
) -> None:
    sent = store.get_mailbox(alice.id, "Sent")
    assert sent is not None
    store.deliver([inbox.id, sent.id], b"shared")
    delete_and_expunge(store, inbox, [1])
    assert content_rows(store) == 1
    delete_and_expunge(store, sent, [1])
    assert content_rows(store) == 0


def test_status_counts(store: Mailstore, inbox: Mailbox) -> None:
    store.append(inbox.id, b"12345", flags=["\\Seen"])
    store.append(inbox.id, b"123")
    assert store.claim_recent(inbox.id) == (1, 2)
    store.append(inbox.id, b"1")
    status = store.status(inbox.id)
    assert (status.messages, status.recent, status.unseen, status.size) == (3, 1, 2, 9)
    assert status.uidnext == 4
    assert store.claim_recent(inbox.id) == (3,)


def test_changed_since_and_vanished_since(store: Mailstore, inbox: Mailbox) -> None:
    for n in range(3):
        store.append(inbox.id, b"m%d" % n)
    mark = store.status(inbox.id).highestmodseq
    store.store_flags(inbox.id, [2], FlagOperation.ADD, ["\\Deleted"])
    assert [m.uid for m in store.changed_since(inbox.id, mark)] == [2]
    store.expunge(inbox.id)
    assert store.changed_since(inbox.id, mark) == ()
    assert store.vanished_since(inbox.id, mark) == (2,)
    assert store.vanished_since(inbox.id, store.status(inbox.id).highestmodseq) == ()


def test_internal_date_and_uidl(store: Mailstore, inbox: Mailbox) -> None:
    when = datetime(2020, 2, 29, 23, 59, 1, tzinfo=timezone(timedelta(hours=-5)))
    appended = store.append(inbox.id, b"m", internal_date=when)
    info = store.list_messages(inbox.id)[0]
    assert info.internal_date == when and info.internal_date.utcoffset() == when.utcoffset()
    assert info.uidl == f"{appended.uidvalidity}-{appended.uid}"
    with pytest.raises(ValueError, match="timezone"):
        store.append(inbox.id, b"m", internal_date=datetime(2020, 1, 1))
    default = store.append(inbox.id, b"now").uid
    stamped = store.get_messages(inbox.id, [default])[0].internal_date
    assert abs(stamped - datetime.now(UTC)) < timedelta(minutes=1)


def test_fetch_missing_message(store: Mailstore, inbox: Mailbox) -> None:
    with pytest.raises(NoSuchMessage):
        store.fetch(inbox.id, 1)
