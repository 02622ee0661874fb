"""``SMTPSender``: opens a session, submits a few messages, quits.

MX senders (service "smtp") send unauthenticated from a load address;
submission senders (submission, smtps) log in with AUTH PLAIN as a sender
account and send from it. STARTTLS is used where the target's service says
so. Each message is a corpus message of the profile's size mix with a fresh
``load-<run>/<user>-<n>`` id, addressed to mailboxes a reader covers; its
250 is recorded with the time, so a reader's sighting gives the delivery
latency. A refused MAIL, RCPT or DATA is recorded (request failed with its
code, message refused) and the session goes on with RSET (RFC 5321 §4.1.1.5).

Closed loop: one session per task, think time between tasks. Open loop
(``rate`` in the stage): each message waits for its slot in this user's
share of the arrival rate; a slot missed because the server was slow is
counted as a late start.
"""

from __future__ import annotations

import time
from typing import Any

from locust import task

from harness.load.clients import SMTPClient
from harness.load.messages import make_id
from harness.load.users.base import MailUser

LOAD_SENDER = "loadgen@mailharness.test"
EHLO_NAME = "loadgen.mailharness.test"


class SMTPSender(MailUser):
    abstract = True

    def __init__(self, environment: Any) -> None:
        super().__init__(environment)
        self.sequence = 0
        self.account = self.load.next_sender_account() if self.spec.auth else None
        self.next_slot: float | None = None

    @task
    def send_session(self) -> None:
        if not self.load.take_message():
            self._budget_spent()
            return
        client = SMTPClient(self.load.endpoint(self.spec), self.report)
        try:
            self.guarded(lambda: self._session(client))
        finally:
            client.close()

    def wait_time(self) -> float:
        if self.load.sender_interval(self.spec) is not None:
            return 0.0  # open loop: the arrival slots pace the messages
        return super().wait_time()

    def _budget_spent(self) -> None:
        # this process has sent its share of max_messages: idle until the run ends
        time.sleep(1.0)

    def _session(self, client: SMTPClient) -> None:
        if not self._open(client):
            return
        for index in range(self.spec.messages_per_connection):
            # past the last stage the users are about to be stopped: a session must not
            # go on sending unpaced meanwhile (an open-loop run would count a burst)
            if index and (self.load.stages_over() or not self.load.take_message()):
                break
            self._wait_for_slot()
            self._send_one(client)
        client.quit()

    def _open(self, client: SMTPClient) -> bool:
        """Greeting, EHLO, STARTTLS and EHLO again if the service says so, AUTH."""
        ready = client.connect().code == 220 and client.ehlo(EHLO_NAME).code == 250
        if ready and client.endpoint.tls == "starttls":
            ready = client.starttls().code == 220 and client.ehlo(EHLO_NAME).code == 250
        if ready and self.account is not None:
            password = self.account.resolve_password()
            ready = client.auth_plain(self.account.user, password).code == 235
        if not ready:
            client.quit()
        return ready

    def _send_one(self, client: SMTPClient) -> None:
        """One transaction; sent/acknowledged/refused are counted per recipient."""
        recipients = self._recipients()
        self.load.recorder.message_sent(len(recipients))
        acknowledged: list[str] = []
        try:
            acknowledged = self._transaction(client, recipients)
        finally:
            refused = len(recipients) - len(acknowledged)
            if refused:
                self.load.recorder.message_refused(refused)

    def _transaction(self, client: SMTPClient, recipients: list[str]) -> list[str]:
        self.sequence += 1
        message_id = make_id(self.load.run_id, self.tag, self.sequence)
        sender = self.account.user if self.account else LOAD_SENDER
        accepted: list[str] = []
        if client.mail(sender).code == 250:
            accepted = [r for r in recipients if client.rcpt(r).code in (250, 251)]
        if not accepted:
            client.rset()
            return []
        reply = client.data(self.load.messages.message(message_id, self.rng))
        if reply.code != 250:
            client.rset()  # after a refused DATA or DATA end: a clean slate either way
            return []
        self.load.recorder.message_acknowledged(message_id, accepted, time.time())
        return accepted

    def _recipients(self) -> list[str]:
        pool = self.load.recipients
        count = min(self.spec.recipients, len(pool))
        return [account.user for account in self.rng.sample(pool, count)]

    def _wait_for_slot(self) -> None:
        interval = self.load.sender_interval(self.spec)
        if interval is None:
            self.next_slot = None
            return
        now = time.monotonic()
        if self.next_slot is None:  # spread the users' first slots over one interval
            self.next_slot = now + self.rng.uniform(0, interval)
        if self.next_slot > now:
            time.sleep(self.next_slot - now)
        elif now - self.next_slot > interval:
            self.load.recorder.schedule_slipped()
            self.next_slot = now
        self.next_slot += interval
