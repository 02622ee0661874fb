"""Byte-exactness: whatever bytes go in come back, whole or in ranges."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.server.store import Mailbox, Mailstore

# The store outlives each example on purpose: appends accumulate, which also
# checks that one message's bytes never bleed into another's.
SHARED_STORE = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SHARED_STORE
@given(body=st.binary(max_size=4096))
def test_arbitrary_bytes_round_trip(store: Mailstore, inbox: Mailbox, body: bytes) -> None:
    uid = store.append(inbox.id, body).uid
    assert store.fetch(inbox.id, uid) == body
    assert store.get_messages(inbox.id, [uid])[0].size == len(body)


@SHARED_STORE
@given(
    body=st.binary(min_size=1, max_size=2048),
    start=st.integers(min_value=0, max_value=2100),
    length=st.none() | st.integers(min_value=0, max_value=2100),
)
def test_ranges_are_byte_slices(
    store: Mailstore, inbox: Mailbox, body: bytes, start: int, length: int | None
) -> None:
    uid = store.append(inbox.id, body).uid
    expected = body[start:] if length is None else body[start : start + length]
    assert store.fetch(inbox.id, uid, start=start, length=length) == expected


def test_line_endings_nul_and_high_bytes_are_untouched(store: Mailstore, inbox: Mailbox) -> None:
    body = b"a\rb\nc\r\n\x00\xff\xfe.\r\n.\r\n" + bytes(range(256))
    uid = store.append(inbox.id, body).uid
    assert store.fetch(inbox.id, uid) == body


def test_large_message(store: Mailstore, inbox: Mailbox) -> None:
    body = bytes(range(256)) * (8 * 1024 * 1024 // 256)  # 8 MiB
    uid = store.append(inbox.id, body).uid
    assert store.fetch(inbox.id, uid) == body
    assert store.fetch(inbox.id, uid, start=len(body) - 3, length=10) == body[-3:]
