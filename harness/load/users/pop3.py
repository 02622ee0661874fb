"""``POP3Downloader``: polls a recipient's maildrop like a POP3 client does.

Each poll is one session: connect (STLS where the target says so), USER/PASS,
STAT, LIST, UIDL, RETR of every message of this run not yet retrieved (hash
checked), then DELE in "delete" mode or nothing in "leave" mode (the UIDL
remembers what was read), QUIT. Messages other runs left are never retrieved
twice and never deleted. The think time is the poll interval; the sighting
time is when RETR finished.
"""

from __future__ import annotations

import time
from typing import Any

from locust import task

from harness.load.clients import POP3Client
from harness.load.messages import read_id, run_of
from harness.load.users.base import MailUser
from harness.mail.integrity import verify
from harness.targets import Account


class POP3Downloader(MailUser):
    abstract = True

    def __init__(self, environment: Any) -> None:
        super().__init__(environment)
        self.account: Account  # claimed in on_start: a worker waits for the master to deal it
        self.known: set[str] = set()  # UIDLs retrieved (leave mode) or not ours

    def on_start(self) -> None:
        self.account = self.load.next_reader_account()

    @task
    def poll(self) -> None:
        client = POP3Client(self.load.endpoint(self.spec), self.report)
        try:
            self.guarded(lambda: self._session(client))
        finally:
            client.close()

    def _session(self, client: POP3Client) -> None:
        ready = client.connect().ok
        if ready and client.endpoint.tls == "starttls":
            ready = client.stls().ok
        if ready:
            ready = client.login(self.account.user, self.account.resolve_password()).ok
        if ready and client.stat() is not None:
            client.list()
            for msg, uid in sorted(client.uidl().items()):
                if uid not in self.known:
                    self._retrieve(client, msg, uid)
        client.quit()

    def _retrieve(self, client: POP3Client, msg: int, uid: str) -> None:
        body = client.retr(msg)
        if body is None:
            return
        seen_at = time.time()
        message_id = read_id(body)
        if not message_id or run_of(message_id) != self.load.run_id:
            self.known.add(uid)  # someone else's: never fetch it again
            return
        self.load.recorder.message_seen(
            message_id, self.account.user, f"pop3:{uid}", seen_at, verify(body), "pop3"
        )
        if self.spec.mode == "delete":
            client.dele(msg)
        else:
            self.known.add(uid)
