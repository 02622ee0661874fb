"""The settle phase: after the load, find every acknowledged message or call it lost.

Readers stop with the load, and some mailboxes may have had no reader, so the
process that writes the result sweeps the recipients' INBOXes (IMAP when the
target has it, else POP3): every message of this run found there is reported
as a sighting (source "sweep": delivered, but no latency), hash checked, and
deleted, so runs do not pile up in test mailboxes. The sweep repeats, for the
mailboxes still owed a message, until nothing is outstanding or the grace
period ends; whatever is still missing then is lost.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from harness.load.aggregate import SWEEP, Aggregator
from harness.load.clients import (
    ConnectionLost,
    IMAPClient,
    POP3Client,
    endpoint_for,
    first_service,
)
from harness.load.messages import read_id, run_of
from harness.mail.integrity import verify
from harness.protocols.imap import FetchSection, SequenceSet
from harness.protocols.imap.values import Section
from harness.targets import Account, Target

Report = Callable[[str, str, str, bool], None]  # (message id, recipient, copy, intact)
ID_FIELD = FetchSection(
    "BODY", Section(text="HEADER.FIELDS", fields=("X-Mailharness-Id",)), peek=True
)
WHOLE = FetchSection("BODY", Section(), peek=True)
PAUSE = 0.5  # between sweeps: delivery into a mailbox takes a moment


class Sweeper:
    def __init__(self, target: Target, run_id: str, timeout: float = 30.0) -> None:
        self.target = target
        self.run_id = run_id
        self.timeout = timeout
        self.imap = first_service(target, "imap", "imaps")
        self.pop3 = first_service(target, "pop3", "pop3s")
        self.failures: list[str] = []

    @property
    def possible(self) -> bool:
        return bool(self.imap or self.pop3)

    def settle(self, aggregator: Aggregator, grace: float) -> bool:
        """Sweep until nothing is outstanding or ``grace`` passes; True if settled."""
        deadline = time.monotonic() + grace
        accounts = self._accounts({recipient for _, recipient in aggregator.acked})
        while True:
            self.sweep(accounts, lambda *found: aggregator.see(*_sighting(found)))
            outstanding = aggregator.outstanding
            if not outstanding or time.monotonic() >= deadline:
                return not outstanding
            time.sleep(PAUSE)
            accounts = self._accounts({recipient for _, recipient in outstanding})

    def sweep(self, accounts: Iterable[Account], report: Report) -> None:
        for account in accounts:
            try:
                if self.imap:
                    self._imap(account, report)
                elif self.pop3:
                    self._pop3(account, report)
            except ConnectionLost as exc:
                self.failures.append(f"sweep of {account.user}: {exc}")

    def _accounts(self, users: set[str]) -> list[Account]:
        return [account for account in self.target.accounts if account.user.lower() in users]

    def _imap(self, account: Account, report: Report) -> None:
        assert self.imap is not None
        client = IMAPClient(endpoint_for(self.target, self.imap, timeout=self.timeout))
        try:
            if not self._imap_login(client, account):
                return
            completion, selected = client.select("INBOX")
            if not completion.ok or not selected.exists:
                return
            ours = self._imap_ours(client)
            for uid, message_id in ours.items():
                body = client.uid_fetch("body", SequenceSet.of(uid), ("UID", WHOLE)).fetched()
                data = next((s.data or b"" for r in body for s in r.sections), b"")
                copy = f"imap:INBOX:{selected.uidvalidity}:{uid}"
                report(message_id, account.user, copy, verify(data))
            if ours:
                client.uid_store(SequenceSet.of(*ours), ("\\Deleted",))
                client.expunge()
        finally:
            client.logout()

    def _imap_login(self, client: IMAPClient, account: Account) -> bool:
        if not client.connect().ok:
            return False
        if client.endpoint.tls == "starttls" and not client.starttls().ok:
            return False
        return client.login(account.user, account.resolve_password()).ok

    def _imap_ours(self, client: IMAPClient) -> dict[int, str]:
        headers = client.uid_fetch("headers", SequenceSet.parse("1:*"), ("UID", ID_FIELD))
        ours = {}
        for response in headers.fetched():
            data = next((s.data or b"" for s in response.sections), b"")
            message_id = read_id(data)
            if response.uid and message_id and run_of(message_id) == self.run_id:
                ours[response.uid] = message_id
        return ours

    def _pop3(self, account: Account, report: Report) -> None:
        assert self.pop3 is not None
        client = POP3Client(endpoint_for(self.target, self.pop3, timeout=self.timeout))
        try:
            ready = client.connect().ok
            if ready and client.endpoint.tls == "starttls":
                ready = client.stls().ok
            if not ready or not client.login(account.user, account.resolve_password()).ok:
                return
            for msg, uid in sorted(client.uidl().items()):
                body = client.retr(msg)
                message_id = read_id(body or b"")
                if body is not None and message_id and run_of(message_id) == self.run_id:
                    report(message_id, account.user, f"pop3:{uid}", verify(body))
                    client.dele(msg)
        finally:
            client.quit()


def _sighting(found: tuple[str, str, str, bool]) -> tuple[str, str, str, float, bool, str]:
    message_id, recipient, copy, intact = found
    return message_id, recipient.lower(), copy, time.time(), intact, SWEEP
