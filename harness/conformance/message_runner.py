"""Running a message case (``message_case``) the way the runner runs a script.

The same steps as for a script (suites/README.md, "What the runner does"),
with the journey in place of the dialogue:

1. **Applies?** The submission service and a service for each protocol the
   message is read back with exist, the target lists an account, and the
   submission service advertises what the message needs after login
   (8BITMIME, SMTPUTF8, CHUNKING and BINARYMIME, the case's ``requires``).
   Otherwise: skipped, with the reason.
2. **Accounts** are leased from the pool like a script's; the account rests
   afterwards like one that was sent mail.
3. **The journey** runs (``fidelity``), its connections recorded as the
   case's transcript, and the case's key log and capture follow the run's
   evidence like a script's.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING

from harness.conformance.capabilities import ServiceProbe, missing_requirement
from harness.conformance.dialogue import SetupFailed
from harness.conformance.fidelity import run_fidelity
from harness.conformance.message_case import Journey, MessageCase
from harness.conformance.outcome import Outcome, case_result
from harness.conformance.pool import AccountPool
from harness.report import CaseResult, Verdict
from harness.targets import Account, Target

if TYPE_CHECKING:  # the runner imports this module: no import cycle at run time
    from harness.conformance.runner import RunConfig

JourneyRun = Callable[[MessageCase, Target, Sequence[Account], ssl.SSLContext], Awaitable[Outcome]]
JOURNEYS: dict[Journey, JourneyRun] = {Journey.FIDELITY: run_fidelity}


async def run_message_case(
    case: MessageCase, config: RunConfig, pool: AccountPool, context: ssl.SSLContext
) -> CaseResult:
    started = time.monotonic()
    try:
        reason = why_not_applicable(case, config.target, config.probes)
    except SetupFailed as error:
        return case_result(case, Outcome(Verdict.ERROR, str(error)), started)
    if reason is not None:
        return case_result(case, Outcome(Verdict.SKIPPED, reason), started)
    if config.evidence is not None:
        config.evidence.begin_case(case.id, context)
    async with pool.lease(case.header.accounts, smtp=True) as accounts:
        outcome = await JOURNEYS[case.journey](case, config.target, accounts, context)
    if config.evidence is not None:
        config.evidence.end_case(case.id, outcome.transcripts.values())
    return case_result(case, outcome, started)


def why_not_applicable(
    case: MessageCase, target: Target, probes: dict[str, ServiceProbe]
) -> str | None:
    """A skip reason, or None when the journey can run on this target."""
    header = case.header
    name = header.service.value
    if name not in target.services:
        return f"target has no {name} service"
    for protocol in case.read:
        if protocol not in target.services and f"{protocol}s" not in target.services:
            return f"target has no {protocol} service to read the message back with"
    if len(target.accounts) < header.accounts:
        return f"the case needs {header.accounts} accounts, the target lists {len(target.accounts)}"
    service = target.services[name]
    probe = probes.get(name, ServiceProbe(error="not probed"))
    return missing_requirement(
        header.requires, probe, name, service.protocol, service.tls, header.state
    )
