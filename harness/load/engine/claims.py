"""Recipient mailboxes handed to readers one each, across every process of a run.

Two readers on one mailbox would take each other's messages (and POP3 locks
the maildrop), and a mailbox nobody reads gives no delivery latency. Locust
spreads users over workers as it likes, so no worker can pick its readers'
mailboxes alone: the coordinating process (master or local runner) deals
them out in order. A worker's reader asks with an "mh_claim" message and
waits for the "mh_account" answer.
"""

from __future__ import annotations

import itertools
import secrets
from typing import Any

from gevent.event import AsyncResult
from locust.env import Environment

from harness.load.engine.context import RunContext
from harness.targets import Account

CLAIM = "mh_claim"
ACCOUNT = "mh_account"
ANSWER_TIMEOUT = 30.0


class ReaderAccounts:
    def __init__(self, context: RunContext) -> None:
        self.context = context
        self._next = itertools.count()
        self._waiting: dict[str, AsyncResult] = {}

    # -- the coordinating process ---------------------------------------------------

    def deal(self) -> int:
        return next(self._next) % len(self.context.recipients)

    def on_claim(self, environment: Environment, msg: Any, **_: Any) -> None:
        runner = environment.runner
        assert runner is not None
        answer = {"token": msg.data["token"], "index": self.deal()}
        runner.send_message(ACCOUNT, answer, client_id=msg.node_id)

    # -- a worker ---------------------------------------------------------------------

    def claim_remote(self, environment: Environment) -> Account:
        runner = environment.runner
        assert runner is not None
        token = secrets.token_hex(8)
        answer: AsyncResult = AsyncResult()
        self._waiting[token] = answer
        runner.send_message(CLAIM, {"token": token})
        try:
            index = int(answer.get(timeout=ANSWER_TIMEOUT))
        finally:
            self._waiting.pop(token, None)
        return self.context.recipients[index]

    def on_account(self, environment: Environment, msg: Any, **_: Any) -> None:
        waiting = self._waiting.get(msg.data["token"])
        if waiting is not None:
            waiting.set(msg.data["index"])
