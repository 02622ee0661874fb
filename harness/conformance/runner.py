"""Run scripts against a target: one verdict per case, cases in parallel.

For each script (suites/README.md, "What the runner does"):

1. **Applies?** The services it uses exist on the target, the target lists
   enough accounts, and the service advertises every ``requires`` in the
   state the case starts in. Otherwise: skipped, with the reason.
2. **Accounts** are leased from the pool (``pool``), cleaned and seeded
   (``mailbox``).
3. **Steps** run (``steps``) inside one cancel scope: the case's budget, the
   sum of what each step may wait. Each step has its own bound; the case
   budget is the safety net.

Verdicts: passed; failed (a step's expectation was not met: the reason is
``file:line: expected X, got Y``); skipped (the reason); error (the harness
could not run the case: connection refused, login or seeding failed, TLS
certificate not trusted). Every connection, the harness's own included,
is in the case's transcript.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import trio

from harness.conformance.capabilities import ServiceProbe, missing_requirement
from harness.conformance.dialogue import SetupFailed
from harness.conformance.evidence import RunEvidence
from harness.conformance.mailbox import Preparer
from harness.conformance.message_case import Case, MessageCase
from harness.conformance.message_runner import run_message_case
from harness.conformance.model import (
    Close,
    EitherNode,
    Expect,
    ExpectSilence,
    LineNode,
    Node,
    Open,
    Parallel,
    Script,
    Send,
    SessionState,
    Sleep,
    Step,
    Sync,
    UnorderedNode,
)
from harness.conformance.outcome import Outcome, case_result
from harness.conformance.pool import AccountPool
from harness.conformance.session import GRACEFUL_CLOSE_S, ConnectFailed, Flooded
from harness.conformance.steps import MIN_SETUP_S, Execution, StepFailed
from harness.conformance.template import Literal as TemplateLiteral
from harness.conformance.template import names_used
from harness.report import CaseResult, Verdict
from harness.targets import Account, Target

PREPARE_S = 60.0  # cleaning and seeding the accounts of one case
SLACK_S = 10.0
ACCOUNT_NAMES = ("user", "password", "domain")
LOGIN_STATES = (SessionState.AUTHENTICATED, SessionState.SELECTED)
DELIVERY_VERBS = (b"DATA", b"BDAT")


@dataclass
class RunConfig:
    target: Target
    context: ssl.SSLContext
    probes: dict[str, ServiceProbe]
    jobs: int = 1
    settle_s: float = 2.0
    evidence: RunEvidence | None = None  # packet capture and key logs, when the run keeps them
    _peer_pool: AccountPool | None = field(default=None, init=False, repr=False)

    def peer_pool(self) -> AccountPool:
        """The relay peer's accounts, leased like the target's (made on first use)."""
        if self._peer_pool is None:
            relay = self.target.relay
            peer_accounts = relay.peer.accounts if relay is not None and relay.peer else ()
            self._peer_pool = AccountPool(peer_accounts, settle_s=self.settle_s)
        return self._peer_pool

    def worker_context(self) -> ssl.SSLContext:
        """The TLS context one worker uses: its own when key logs are kept per case."""
        if self.evidence is None or not self.evidence.capturing_now:
            return self.context
        return self.evidence.worker_context(self.target)


async def run_scripts(
    scripts: Sequence[Case],
    config: RunConfig,
    on_result: Callable[[CaseResult], None] | None = None,
) -> list[CaseResult]:
    """Every script, ``config.jobs`` at a time; results in script order."""
    pool = AccountPool(config.target.accounts, settle_s=config.settle_s)
    results: dict[int, CaseResult] = {}
    send, receive = trio.open_memory_channel[tuple[int, Case]](len(scripts))
    for item in enumerate(scripts):
        send.send_nowait(item)
    send.close()

    async def worker() -> None:
        context = config.worker_context()
        async for index, script in receive:
            results[index] = await run_one(script, config, pool, context)
            if on_result is not None:
                on_result(results[index])

    async with trio.open_nursery() as nursery:
        for _ in range(max(1, min(config.jobs, len(scripts)))):
            nursery.start_soon(worker)
    return [results[index] for index in range(len(scripts))]


async def run_one(
    script: Case,
    config: RunConfig,
    pool: AccountPool,
    context: ssl.SSLContext | None = None,
) -> CaseResult:
    """One case; ``context`` is the worker's TLS context (default: the run's)."""
    context = context or config.context
    if isinstance(script, MessageCase):
        return await run_message_case(script, config, pool, context)
    started = time.monotonic()
    try:
        reason = why_not_applicable(script, config)
    except SetupFailed as error:
        return case_result(script, Outcome(Verdict.ERROR, str(error)), started)
    if reason is not None:
        return case_result(script, Outcome(Verdict.SKIPPED, reason), started)
    needed = accounts_needed(script)
    if config.evidence is not None:
        config.evidence.begin_case(script.id, context)
    async with pool.lease(needed, smtp=may_deliver_mail(script)) as accounts:
        outcome = await run_case(script, config.target, accounts, context)
    if config.evidence is not None:
        config.evidence.end_case(script.id, outcome.transcripts.values())
    return case_result(script, outcome, started)


async def run_case(
    script: Script, target: Target, accounts: Sequence[Account], context: ssl.SSLContext
) -> Outcome:
    """Prepare the accounts and execute the steps; never raises for the server's faults."""
    preparer = Preparer(target, context, trio.current_time() + PREPARE_S)
    execution = Execution(script, target, accounts, context)
    outcome = Outcome(Verdict.PASSED)
    try:
        with trio.move_on_after(case_budget(script)) as scope:
            for account in accounts:
                await preparer.clean(account)
            await preparer.seed(script.header.seed, accounts)
            await execution.run()
        if scope.cancelled_caught:
            budget = f"{case_budget(script):g} s"
            outcome = Outcome(Verdict.ERROR, f"the case ran over its time budget of {budget}")
    except StepFailed as failure:
        outcome = Outcome(Verdict.FAILED, str(failure), failure.expected, failure.received)
    except Flooded as flood:
        outcome = Outcome(Verdict.FAILED, str(flood))
    except (ConnectFailed, SetupFailed) as error:
        outcome = Outcome(Verdict.ERROR, f"setup failed: {error}")
    finally:
        with trio.CancelScope(shield=True):
            for session in preparer.sessions:
                await session.aclose()
    outcome.transcripts = {s.name: s.transcript for s in preparer.sessions}
    outcome.transcripts.update(execution.transcripts)
    return outcome


# --- does the case apply, and what does it need -----------------------------------------


def why_not_applicable(script: Script, config: RunConfig) -> str | None:
    """A skip reason, or None when the case can run on this target."""
    target, header = config.target, script.header
    for name in sorted(services_used(script)):
        if name not in target.services:
            return f"target has no {name} service"
    needed = accounts_needed(script)
    if needed > len(target.accounts):
        return f"the case needs {needed} accounts, the target lists {len(target.accounts)}"
    service = target.services[header.service.value]
    probe = config.probes.get(service.name, ServiceProbe(error="not probed"))
    return missing_requirement(
        header.requires, probe, service.name, service.protocol, service.tls, header.state
    )


def iter_steps(steps: Sequence[Step]) -> Iterator[Step]:
    for step in steps:
        yield step
        if isinstance(step, Parallel):
            yield from iter_steps(step.steps)


def services_used(script: Script) -> set[str]:
    opened = {s.service.value for s in iter_steps(script.steps) if isinstance(s, Open)}
    return opened | {script.header.service.value}


def may_deliver_mail(script: Script) -> bool:
    """Could the case hand mail to the server? Only SMTP DATA or BDAT can.

    Such a case's accounts rest before their next case (see ``pool``).
    """
    if not any(s in ("smtp", "submission", "smtps") for s in services_used(script)):
        return False
    for step in iter_steps(script.steps):
        if isinstance(step, Send):
            for chunk in step.chunks:
                first = chunk.template[0] if chunk.template else None
                if isinstance(first, TemplateLiteral) and first.data[:4].upper() in DELIVERY_VERBS:
                    return True
    return False


def accounts_needed(script: Script) -> int:
    """The header's ``accounts`` when the case uses an account at all, else 0."""
    steps = list(iter_steps(script.steps))
    logs_in = any(isinstance(s, Open) and s.state in LOGIN_STATES for s in steps)
    if script.header.seed or logs_in or any(_uses_account(s) for s in steps):
        return script.header.accounts
    return 0


def _uses_account(step: Step) -> bool:
    templates = []
    if isinstance(step, Send):
        templates = [chunk.template for chunk in step.chunks]
    elif isinstance(step, Expect):
        templates = [node.template for node in _line_nodes(step.nodes)]
    names = {name.rstrip("0123456789") for t in templates for name in names_used(t)}
    return bool(names & set(ACCOUNT_NAMES))


def _line_nodes(nodes: Sequence[Node]) -> Iterator[LineNode]:
    for node in nodes:
        if isinstance(node, LineNode):
            yield node
        elif isinstance(node, UnorderedNode):
            for item in node.items:
                yield from _line_nodes(item)
        elif isinstance(node, EitherNode):
            for branch in node.branches:
                yield from _line_nodes(branch)


def case_budget(script: Script) -> float:
    """The longest the case may take: the sum of every step's own bound, plus slack."""
    timeout = script.header.timeout
    total = PREPARE_S + SLACK_S + len(script.sessions) * GRACEFUL_CLOSE_S
    for step in iter_steps(script.steps):
        if isinstance(step, Open):
            total += max(timeout, MIN_SETUP_S)
        elif isinstance(step, ExpectSilence | Sleep):
            total += step.seconds
        elif isinstance(step, Close):
            total += GRACEFUL_CLOSE_S
        elif not isinstance(step, Parallel | Sync):
            total += timeout  # Send, Expect, StartTLS, ExpectClose: one timeout each
    return total
