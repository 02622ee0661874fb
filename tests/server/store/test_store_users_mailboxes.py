"""Users and mailboxes: defaults, hierarchy, DELETE/RENAME rules (RFC 3501 §6.3)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from harness.server.store import (
    STORE_FILENAME,
    Credentials,
    InvalidAddress,
    InvalidMailboxName,
    MailboxExists,
    MailboxHasChildren,
    Mailstore,
    NoSuchMailbox,
    ScramCredentials,
    User,
    UserExists,
)


def names(store: Mailstore, user: User) -> list[str]:
    return [mailbox.name for mailbox in store.list_mailboxes(user.id)]


def test_new_user_gets_inbox_and_special_use_mailboxes(store: Mailstore, alice: User) -> None:
    special = {m.name: m.special_use for m in store.list_mailboxes(alice.id)}
    assert special == {
        "INBOX": None,
        "Sent": "\\Sent",
        "Drafts": "\\Drafts",
        "Trash": "\\Trash",
        "Junk": "\\Junk",
        "Archive": "\\Archive",
    }
    assert names(store, alice)[0] == "INBOX"
    assert all(m.selectable for m in store.list_mailboxes(alice.id))
    assert store.list_subscriptions(alice.id) == tuple(names(store, alice))


def test_user_names_are_addresses_matched_without_case(store: Mailstore, alice: User) -> None:
    assert alice.domain == "example.test"
    found = store.get_user("ALICE@EXAMPLE.test")
    assert found is not None and found.id == alice.id
    with pytest.raises(UserExists):
        store.create_user("Alice@Example.Test")
    for bad in ("alice", "@example.test", "alice@", "al ice@example.test"):
        with pytest.raises(InvalidAddress):
            store.create_user(bad)
    assert store.get_user("nobody@example.test") is None


def test_credentials_are_stored_opaquely(store: Mailstore, alice: User) -> None:
    scram = ScramCredentials(
        salt=b"\x00salt\xff", iterations=4096, stored_key=b"s" * 32, server_key=b"k" * 32
    )
    creds = Credentials(password_hash="$pbkdf2-sha256$x", scram_sha256=scram, cram_secret="pw")
    updated = store.set_credentials(alice.id, creds)
    assert updated.credentials == creds
    reread = store.get_user(alice.name)
    assert reread is not None and reread.credentials == creds
    cleared = store.set_credentials(alice.id, Credentials(password_hash="h"))
    assert cleared.credentials.scram_sha256 is None and cleared.credentials.cram_secret is None


def test_create_makes_missing_superiors(store: Mailstore, alice: User) -> None:
    created = store.create_mailbox(alice.id, "Work/2024/Q1")
    assert created.name == "Work/2024/Q1" and created.selectable
    assert {"Work", "Work/2024", "Work/2024/Q1"} <= set(names(store, alice))
    with pytest.raises(MailboxExists):
        store.create_mailbox(alice.id, "Work/2024")


def test_inbox_is_case_insensitive(store: Mailstore, alice: User) -> None:
    with pytest.raises(MailboxExists):
        store.create_mailbox(alice.id, "inbox")
    child = store.create_mailbox(alice.id, "Inbox/Lists")
    assert child.name == "INBOX/Lists"
    assert store.get_mailbox(alice.id, "iNbOx") == store.inbox(alice.name)


@pytest.mark.parametrize("bad", ["", "/a", "a/", "a//b", "a*", "b%", "a\nb"])
def test_malformed_names_are_refused(store: Mailstore, alice: User, bad: str) -> None:
    with pytest.raises(InvalidMailboxName):
        store.create_mailbox(alice.id, bad)


def test_delete_leaf_and_recreate_gets_new_uidvalidity(store: Mailstore, alice: User) -> None:
    first = store.create_mailbox(alice.id, "Old")
    store.append(first.id, b"x")
    store.delete_mailbox(alice.id, "Old")
    assert store.get_mailbox(alice.id, "Old") is None
    second = store.create_mailbox(alice.id, "Old")
    assert second.uidvalidity > first.uidvalidity
    assert store.status(second.id).messages == 0


def test_delete_with_inferiors_leaves_noselect(store: Mailstore, alice: User) -> None:
    parent = store.create_mailbox(alice.id, "P")
    store.create_mailbox(alice.id, "P/child")
    store.append(parent.id, b"gone")
    store.delete_mailbox(alice.id, "P")
    kept = store.get_mailbox(alice.id, "P")
    assert kept is not None and not kept.selectable
    with pytest.raises(NoSuchMailbox):
        store.append(parent.id, b"no")
    with pytest.raises(MailboxHasChildren):
        store.delete_mailbox(alice.id, "P")
    revived = store.create_mailbox(alice.id, "P")
    assert revived.selectable and revived.uidvalidity > parent.uidvalidity
    assert store.status(revived.id).messages == 0


def test_inbox_cannot_be_deleted(store: Mailstore, alice: User) -> None:
    with pytest.raises(InvalidMailboxName):
        store.delete_mailbox(alice.id, "INBOX")
    with pytest.raises(NoSuchMailbox):
        store.delete_mailbox(alice.id, "Nope")


def test_rename_moves_the_subtree(store: Mailstore, alice: User) -> None:
    top = store.create_mailbox(alice.id, "A")
    store.create_mailbox(alice.id, "A/B/C")
    store.append(top.id, b"kept")
    renamed = store.rename_mailbox(alice.id, "A", "X/Y")
    assert renamed.id == top.id and renamed.name == "X/Y"
    assert {"X", "X/Y", "X/Y/B", "X/Y/B/C"} <= set(names(store, alice))
    assert not any(name == "A" or name.startswith("A/") for name in names(store, alice))
    assert store.status(top.id).messages == 1
    assert store.get_mailbox(alice.id, "X/Y") == store.get_mailbox_by_id(top.id)


def test_rename_refusals(store: Mailstore, alice: User) -> None:
    store.create_mailbox(alice.id, "A")
    with pytest.raises(MailboxExists):
        store.rename_mailbox(alice.id, "A", "Sent")
    with pytest.raises(InvalidMailboxName):
        store.rename_mailbox(alice.id, "A", "A/inside")
    with pytest.raises(NoSuchMailbox):
        store.rename_mailbox(alice.id, "Missing", "B")


def test_rename_inbox_moves_messages_and_leaves_inbox_empty(store: Mailstore, alice: User) -> None:
    inbox = store.inbox(alice.name)
    store.create_mailbox(alice.id, "INBOX/Sub")
    for body in (b"one", b"two"):
        store.append(inbox.id, body)
    moved = store.rename_mailbox(alice.id, "INBOX", "Saved")
    assert moved.name == "Saved" and moved.id != inbox.id
    assert [store.fetch(moved.id, m.uid) for m in store.list_messages(moved.id)] == [b"one", b"two"]
    assert store.status(inbox.id).messages == 0
    assert "INBOX/Sub" in names(store, alice)  # §6.3.5: inferiors of INBOX stay


def test_subscriptions_are_names_that_outlive_mailboxes(store: Mailstore, alice: User) -> None:
    store.create_mailbox(alice.id, "Lists/Old")
    store.set_subscribed(alice.id, "lists/old", True)  # not INBOX: case is kept
    store.set_subscribed(alice.id, "Lists/Old", True)
    store.set_subscribed(alice.id, "inbox/Ghost", True)  # no such mailbox: allowed
    subscribed = store.list_subscriptions(alice.id)
    assert {"lists/old", "Lists/Old", "INBOX/Ghost"} <= set(subscribed)
    store.delete_mailbox(alice.id, "Lists/Old")  # RFC 3501 §6.3.9: the name stays
    store.rename_mailbox(alice.id, "Lists", "Letters")  # RFC 9051 §6.3.6: so here too
    assert store.list_subscriptions(alice.id) == subscribed
    store.set_subscribed(alice.id, "Lists/Old", False)
    store.set_subscribed(alice.id, "Lists/Old", False)  # not subscribed: no error
    assert "Lists/Old" not in store.list_subscriptions(alice.id)
    with pytest.raises(InvalidMailboxName):
        store.set_subscribed(alice.id, "bad/%", True)


def test_version_2_store_moves_subscriptions_to_their_own_table(tmp_path: Path) -> None:
    data = tmp_path / "old"
    data.mkdir()
    with sqlite3.connect(data / STORE_FILENAME) as conn:  # version 2: a mailbox column
        conn.executescript(
            """CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE
                 COLLATE NOCASE, domain TEXT NOT NULL COLLATE NOCASE, password_hash TEXT,
                 scram_salt BLOB, scram_iterations INTEGER, scram_stored_key BLOB,
                 scram_server_key BLOB, cram_secret TEXT);
               CREATE TABLE mailboxes (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL
                 REFERENCES users(id), name TEXT NOT NULL, special_use TEXT,
                 subscribed INTEGER NOT NULL DEFAULT 0, selectable INTEGER NOT NULL DEFAULT 1,
                 uidvalidity INTEGER NOT NULL, uidnext INTEGER NOT NULL DEFAULT 1,
                 highestmodseq INTEGER NOT NULL DEFAULT 1, UNIQUE (user_id, name));
               INSERT INTO users (id, name, domain) VALUES (1, 'alice@example.test',
                 'example.test');
               INSERT INTO mailboxes (user_id, name, subscribed, uidvalidity) VALUES
                 (1, 'INBOX', 1, 1), (1, 'Quiet', 0, 2), (1, 'Kept', 1, 3);
               PRAGMA user_version = 2;"""
        )
    with Mailstore(data) as store:
        assert store.list_subscriptions(1) == ("INBOX", "Kept")
        assert [m.name for m in store.list_mailboxes(1)] == ["INBOX", "Kept", "Quiet"]
        store.delete_mailbox(1, "Kept")
        assert store.list_subscriptions(1) == ("INBOX", "Kept")
    with sqlite3.connect(data / STORE_FILENAME) as conn:
        columns = {row[1] for row in conn.execute("PRAGMA table_info(mailboxes)")}
        assert "subscribed" not in columns
        assert conn.execute("PRAGMA user_version").fetchone() == (3,)
