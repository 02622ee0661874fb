"""Fixtures for the mail store tests: a real store in a fresh directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.server.store import Mailbox, Mailstore, User


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Mailstore]:
    with Mailstore(tmp_path / "data") as opened:
        yield opened


@pytest.fixture
def alice(store: Mailstore) -> User:
    return store.create_user("alice@example.test")


@pytest.fixture
def inbox(store: Mailstore, alice: User) -> Mailbox:
    return store.inbox(alice.name)
