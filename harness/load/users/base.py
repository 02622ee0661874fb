"""``MailUser``: what the SMTP, IMAP and POP3 users share.

Each user fires locust's request event for every command its client runs
(name = the command, "SMTP DATA end"; exception = ``CommandFailed`` with the
reply code), so locust's own tables and the HDR recorder see the same
requests. A lost connection ends the task, never the user: the failure was
reported, and the next task connects again.
"""

from __future__ import annotations

import random
from typing import Any, ClassVar

from locust import User

from harness.load.clients import CommandFailed, ConnectionLost
from harness.load.engine.context import RunContext
from harness.load.profile import UserSpec


class MailUser(User):
    abstract = True
    load: ClassVar[RunContext]  # set by the locustfile for every generated class
    spec: ClassVar[UserSpec]

    def __init__(self, environment: Any) -> None:
        super().__init__(environment)
        self.tag = self.load.user_tag()
        self.rng: random.Random = self.load.rng(self.tag)

    def wait_time(self) -> float:
        low, high = self.spec.think
        return low if high <= low else self.rng.uniform(low, high)

    def report(
        self,
        protocol: str,
        name: str,
        elapsed_ms: float,
        length: int,
        failure: CommandFailed | None,
    ) -> None:
        self.environment.events.request.fire(
            request_type=protocol,
            name=name,
            response_time=elapsed_ms,
            response_length=length,
            exception=failure,
            context={"user": self.tag},
        )

    def guarded(self, work: Any) -> None:
        """Run one unit of work; a lost connection is data already recorded."""
        try:
            work()
        except ConnectionLost:
            self.on_connection_lost()

    def on_connection_lost(self) -> None:
        """Forget the session; the next task opens a new one."""
