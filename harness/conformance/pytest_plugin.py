"""pytest plugin: conformance scripts as pytest items, with the runner's verdicts.

    pytest -p harness.conformance.pytest_plugin suites/ --mail-target dovecot.toml

Every ``.mhs`` file becomes one item named by its case id, and every
``.toml`` message-case file under a ``suites`` folder one item per case. The case runs in
the item's setup, exactly as ``mailharness conform`` runs it (same account
preparation, capability gating and verdicts), then:

* passed -> the item passes;
* failed -> the item fails; the message is ``file:line: expected X, got Y``
  and the transcript is attached as a report section;
* skipped -> ``pytest.skip`` with the runner's reason (never a pass);
* error -> an error in setup (the harness could not run the case).

``--mail-target`` is a target file or ``reference`` (the default): the bundled
server, run for the whole session in a thread of its own. Capabilities are
probed once per session. Items run one at a time; accounts rotate between
items, and one that may have been sent mail rests before it is reused.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trio

from harness.conformance.campaign import probe_target
from harness.conformance.capabilities import ServiceProbe
from harness.conformance.message_case import SUFFIX as CASE_SUFFIX
from harness.conformance.message_case import Case, MessageCase, parse_case_file
from harness.conformance.model import ScriptError
from harness.conformance.parser import SUFFIX, parse_file
from harness.conformance.pool import DEFAULT_SETTLE_S, AccountPool
from harness.conformance.reference import open_target
from harness.conformance.runner import (
    RunConfig,
    accounts_needed,
    may_deliver_mail,
    run_one,
)
from harness.conformance.selection import suite_root
from harness.net import client_ssl_context
from harness.report import CaseResult, Verdict
from harness.targets import REFERENCE, Account, Target

START_TIMEOUT_S = 60.0


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mailharness", "mailharness conformance scripts")
    group.addoption(
        "--mail-target",
        default=REFERENCE,
        metavar="FILE",
        help="target file for .mhs scripts, or 'reference' (default)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_STATE] = _SessionState(config.getoption("mail_target"))
    config.add_cleanup(config.stash[_STATE].close)


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.suffix == SUFFIX:
        return ScriptFile.from_parent(parent, path=file_path)
    if file_path.suffix == CASE_SUFFIX and suite_root(file_path).name == "suites":
        return CaseFile.from_parent(parent, path=file_path)
    return None


class ScriptFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        script = parse_file(self.path, root=suite_root(self.path))
        yield ScriptItem.from_parent(self, name=script.id, script=script)


class CaseFile(pytest.File):
    """A message-case file (suites/README.md, "Message cases"): one item per case."""

    def collect(self) -> Iterator[pytest.Item]:
        for case in parse_case_file(self.path, root=suite_root(self.path)):
            yield ScriptItem.from_parent(self, name=case.id, script=case)


class CaseFailed(Exception):
    """The server did not do what the script requires."""


class CaseError(Exception):
    """The harness could not run the case."""


class ScriptItem(pytest.Item):
    # pytest-trio's trio_mode inspects ``item.obj`` of every item: not a coroutine.
    obj = None

    def __init__(self, *, script: Case, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.script = script
        self.result: CaseResult | None = None

    def setup(self) -> None:
        state = self.config.stash[_STATE]
        self.result = state.run(self.script)
        if self.result.verdict is Verdict.SKIPPED:
            pytest.skip(self.result.reason)
        if self.result.verdict is Verdict.ERROR:
            raise CaseError(self.result.reason)

    def runtest(self) -> None:
        assert self.result is not None
        if self.result.transcript:
            self.add_report_section("call", "transcript", self.result.transcript)
        if self.result.verdict is Verdict.FAILED:
            raise CaseFailed(self.result.reason)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, CaseFailed | CaseError | ScriptError):
            result = self.result
            lines = [str(excinfo.value)]
            if result is not None and result.expected is not None:
                lines += [f"  expected: {result.expected}", f"  received: {result.received}"]
            return "\n".join(lines)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return (
            self.path,
            0,
            f"{self.script.id} ({self.script.header.reference}, {self.script.header.level.value})",
        )


class _SessionState:
    """The target (and the reference server's thread), probes and account rotation."""

    def __init__(self, spec: str) -> None:
        self.spec = spec
        self._target: Target | None = None
        self._probes: dict[str, ServiceProbe] | None = None
        self._server: _ServerThread | None = None
        self._rotation = 0
        self._rested_at: dict[str, float] = {}  # user -> time.monotonic() it may be reused

    def target(self) -> Target:
        if self._target is None:
            if self.spec == REFERENCE:
                self._server = _ServerThread()
                self._target = self._server.start()
            else:
                self._target = trio.run(_load, self.spec)
            self._probes = trio.run(probe_target, self._target)
        return self._target

    def run(self, script: Case) -> CaseResult:
        target = self.target()
        assert self._probes is not None
        accounts = self._lease(target, _accounts_needed(script))
        result = trio.run(self._run_one, script, target, self._probes, accounts)
        if _sends_mail(script):
            for account in accounts:
                self._rested_at[account.user] = time.monotonic() + DEFAULT_SETTLE_S
        return result

    def _lease(self, target: Target, count: int) -> list[Account]:
        pool = list(target.accounts)
        if not pool or count == 0:
            return pool[:count]
        start = self._rotation % len(pool)
        self._rotation += count
        chosen = (pool[start:] + pool[:start])[:count]
        wait = max((self._rested_at.get(a.user, 0.0) for a in chosen), default=0.0)
        time.sleep(max(0.0, wait - time.monotonic()))
        return chosen

    @staticmethod
    async def _run_one(
        script: Case, target: Target, probes: dict[str, ServiceProbe], accounts: list[Account]
    ) -> CaseResult:
        context = client_ssl_context(verify=target.tls_verify, ca_file=target.ca_file)
        config = RunConfig(target, context, probes)
        # The lease is ours already: a pool of exactly these accounts, with no waiting.
        pool = AccountPool(accounts, settle_s=0.0)
        return await run_one(script, config, pool)

    def close(self) -> None:
        if self._server is not None:
            self._server.stop()


def _accounts_needed(case: Case) -> int:
    return case.header.accounts if isinstance(case, MessageCase) else accounts_needed(case)


def _sends_mail(case: Case) -> bool:
    """A message case always does; a script when it speaks SMTP DATA or BDAT."""
    return isinstance(case, MessageCase) or may_deliver_mail(case)


async def _load(spec: str) -> Target:
    async with open_target(spec) as target:
        return target


class _ServerThread:
    """The reference server, served by a trio loop in a thread for the whole session."""

    def __init__(self) -> None:
        self._ready: queue.Queue[Target | BaseException] = queue.Queue()
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._main, name="mailharness-reference", daemon=True
        )

    def start(self) -> Target:
        self._thread.start()
        started = self._ready.get(timeout=START_TIMEOUT_S)
        if isinstance(started, BaseException):
            raise started
        return started

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=START_TIMEOUT_S)

    def _main(self) -> None:
        try:
            trio.run(self._serve)
        except BaseException as error:  # reported to the waiting start(), not lost
            self._ready.put(error)

    async def _serve(self) -> None:
        async with open_target(REFERENCE) as target:
            self._ready.put(target)
            await trio.to_thread.run_sync(self._stop.wait)


_STATE = pytest.StashKey[_SessionState]()
