"""Per-process run state shared by the users of one locust process.

Built at import of the locustfile from the plan; ``begin`` completes it when
the test starts in this process (after ``--processes`` forked it and after a
worker learnt the master's run id), so everything per-process is made there.
No locust import: the users and the engine hand it what it needs.
"""

from __future__ import annotations

import itertools
import math
import os
import random
import ssl
import time
from collections.abc import Callable, Iterator

from harness.load.accounts import covered_recipients, matching, spread
from harness.load.clients import Endpoint, endpoint_for, target_tls_context
from harness.load.messages import MessageFactory
from harness.load.metrics import Recorder
from harness.load.plan import RunPlan
from harness.load.profile import Profile, UserSpec
from harness.targets import Account, Target


class RunContext:
    def __init__(self, plan: RunPlan) -> None:
        self.plan = plan
        self.profile: Profile = plan.profile()
        self.target: Target = plan.target()
        self.recorder = Recorder()
        self.senders = matching(self.target, self.profile.accounts.senders)
        self.recipients = covered_recipients(self.profile, self.target)
        self.run_id = plan.run_id
        self.process_index = 0
        self.processes = 1
        self.process_tag = "p"
        self.started = time.monotonic()
        self._tls: ssl.SSLContext | None = None
        self._budget = self.profile.max_messages
        self._user_numbers: Iterator[int] = itertools.count(1)
        self.claim_reader: Callable[[], Account] | None = None
        self._reader_accounts: Iterator[Account] = iter(())
        self._sender_accounts: Iterator[Account] = iter(())
        self.messages = MessageFactory(self.seed, self.profile.sizes)

    @property
    def seed(self) -> int:
        return self.profile.seed if self.profile.seed is not None else self.plan.seed

    def begin(self, run_id: str | None, process_index: int, processes: int) -> None:
        """The test starts in this process: per-process identity, budget and accounts."""
        self.run_id = run_id or self.plan.run_id
        self.process_index = max(0, process_index)
        self.processes = max(1, processes)
        # unique per process even for forked children that share everything else
        self.process_tag = f"{os.getpid():x}{random.SystemRandom().getrandbits(16):04x}"
        self.started = time.monotonic()
        self._budget = math.ceil(self.profile.max_messages / self.processes)
        self._reader_accounts = spread(self.recipients, self.process_index, self.processes)
        self._sender_accounts = spread(self.senders, self.process_index, self.processes)

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def stages_over(self) -> bool:
        return self.elapsed() >= self.profile.duration

    def take_message(self) -> bool:
        """One message of this process's share of ``max_messages``; False when spent."""
        if self._budget <= 0:
            return False
        self._budget -= 1
        return True

    def user_tag(self) -> str:
        return f"{self.process_tag}u{next(self._user_numbers)}"

    def rng(self, tag: str) -> random.Random:
        return random.Random(f"mailharness-load:{self.seed}:{tag}")

    def next_reader_account(self) -> Account:
        """A recipient mailbox for a new reader: dealt by the master when this is a
        worker (``claim_reader``, see engine.claims), else round robin here."""
        if self.claim_reader is not None:
            return self.claim_reader()
        return next(self._reader_accounts)

    def next_sender_account(self) -> Account:
        return next(self._sender_accounts)

    def endpoint(self, spec: UserSpec) -> Endpoint:
        if self._tls is None:  # one context per process: sessions share its settings
            self._tls = target_tls_context(self.target)
            if self.plan.keylog:  # a captured run: Wireshark can read its TLS sessions
                self._tls.keylog_filename = self.plan.keylog
        ledger = self.recorder.connection_closed if self.plan.record_connections else None
        return endpoint_for(
            self.target,
            spec.service,
            timeout=self.profile.timeout,
            context=self._tls,
            ledger=ledger,
        )

    def sender_interval(self, spec: UserSpec) -> float | None:
        """Open loop: seconds between this sender user's messages now; None when
        the current stage is closed loop (or over)."""
        stage = self.profile.stage_at(self.elapsed())
        if stage is None or stage.rate <= 0:
            return None
        senders = sum(
            count
            for name, count in self.profile.population(stage).items()
            if self.profile.user(name).kind == "smtp"
        )
        return max(senders, 1.0) / stage.rate
