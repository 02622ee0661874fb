"""``IMAPReader``: one long session on a recipient's INBOX, the way a mail client
keeps one: IDLE until the server announces new mail, then fetch the new
messages' headers, then their bodies (hash checked), flag them, move a share
to another mailbox and delete and expunge a share (the profile's ``move`` and
``expunge``; the rest stay, flagged \\Seen).

The sighting time of a message is when its header arrived, so the delivery
latency is 250 -> IDLE notification -> header fetch. A reconnecting reader
fetches the whole mailbox again; the copy key (mailbox, UIDVALIDITY, UID)
keeps a message read twice from looking like a duplicate delivery.
"""

from __future__ import annotations

import time
from typing import Any

from locust import task

from harness.load.clients import IMAPClient
from harness.load.messages import read_id, run_of
from harness.load.users.base import MailUser
from harness.mail.integrity import verify
from harness.protocols.imap import ExistsResponse, FetchResponse, FetchSection, SequenceSet
from harness.protocols.imap.values import Section
from harness.targets import Account

ID_FIELD = FetchSection(
    "BODY", Section(text="HEADER.FIELDS", fields=("X-Mailharness-Id",)), peek=True
)
WHOLE = FetchSection("BODY", Section(), peek=True)
BODY_BATCH = 16  # bodies per FETCH: bounds memory with multi-megabyte messages


class IMAPReader(MailUser):
    abstract = True

    def __init__(self, environment: Any) -> None:
        super().__init__(environment)
        self.account: Account  # claimed in on_start: a worker waits for the master to deal it
        self.client: IMAPClient | None = None
        self.last_uid = 0
        self.uidvalidity = 0

    def on_start(self) -> None:
        self.account = self.load.next_reader_account()

    @task
    def read_new_mail(self) -> None:
        self.guarded(self._cycle)

    def on_stop(self) -> None:
        if self.client is not None:
            self.client.logout()
            self.client = None

    def on_connection_lost(self) -> None:
        self.client = None

    def _cycle(self) -> None:
        if self.client is None:
            self.client = self._open()
            if self.client is None:
                return
            self._take_new(self.client)
        if "IDLE" not in self.client.capabilities:
            time.sleep(self.spec.idle)  # no IDLE (RFC 2177): poll instead
            self._take_new(self.client)
            return
        events = self.client.idle(self.spec.idle)
        if any(isinstance(event, ExistsResponse) for event in events):
            self._take_new(self.client)

    def _open(self) -> IMAPClient | None:
        client = IMAPClient(self.load.endpoint(self.spec), self.report)
        ready = client.connect().ok
        if ready and client.endpoint.tls == "starttls":
            ready = client.starttls().ok
        ready = ready and client.login(self.account.user, self.account.resolve_password()).ok
        if ready and self.spec.move > 0:
            client.create(self.spec.move_to, exists_ok=True)
        if ready:
            completion, selected = client.select("INBOX")
            ready = completion.ok
            if selected.uidvalidity != self.uidvalidity:
                self.uidvalidity, self.last_uid = selected.uidvalidity, 0
        if not ready:
            client.logout()
            return None
        return client

    def _take_new(self, client: IMAPClient) -> None:
        """Headers of everything past the last UID, then bodies, flags, disposal."""
        headers = client.uid_fetch(
            "headers", SequenceSet.parse(f"{self.last_uid + 1}:*"), ("UID", ID_FIELD)
        )
        seen_at = time.time()
        ours: dict[int, str] = {}
        for response in headers.fetched():
            uid = response.uid or 0
            if uid <= self.last_uid:
                continue  # "n:*" always names the last message, even below n
            self.last_uid = max(self.last_uid, uid)
            message_id = read_id(_section_data(response))
            if message_id and run_of(message_id) == self.load.run_id:
                ours[uid] = message_id
        if ours:
            self._check_bodies(client, ours, seen_at)
            self._dispose(client, sorted(ours))

    def _check_bodies(self, client: IMAPClient, ours: dict[int, str], seen_at: float) -> None:
        uids = sorted(ours)
        for start in range(0, len(uids), BODY_BATCH):
            batch = uids[start : start + BODY_BATCH]
            bodies = client.uid_fetch("body", SequenceSet.of(*batch), ("UID", WHOLE))
            for response in bodies.fetched():
                if response.uid in ours:
                    self._seen(ours[response.uid], response.uid, _section_data(response), seen_at)

    def _seen(self, message_id: str, uid: int, body: bytes, seen_at: float) -> None:
        copy = f"imap:INBOX:{self.uidvalidity}:{uid}"
        self.load.recorder.message_seen(
            message_id, self.account.user, copy, seen_at, verify(body), "imap"
        )

    def _dispose(self, client: IMAPClient, uids: list[int]) -> None:
        client.uid_store(SequenceSet.of(*uids), ("\\Seen", "\\Flagged"))
        move = [uid for uid in uids if self.rng.random() < self.spec.move]
        rest = [uid for uid in uids if uid not in move]
        expunge = [uid for uid in rest if self.rng.random() < self._expunge_share()]
        if move:
            self._move(client, move)
        if expunge:
            client.uid_store(SequenceSet.of(*expunge), ("\\Deleted",))
        if move or expunge:
            client.expunge()

    def _expunge_share(self) -> float:
        """``expunge`` is a share of all messages; this is its share of those not moved."""
        left = 1.0 - self.spec.move
        return 1.0 if left <= 0 else min(1.0, self.spec.expunge / left)

    def _move(self, client: IMAPClient, uids: list[int]) -> None:
        if "MOVE" in client.capabilities:
            client.uid_move(SequenceSet.of(*uids), self.spec.move_to)
        elif client.uid_copy(SequenceSet.of(*uids), self.spec.move_to).ok:
            client.uid_store(SequenceSet.of(*uids), ("\\Deleted",))


def _section_data(response: FetchResponse) -> bytes:
    return next((section.data or b"" for section in response.sections), b"")
