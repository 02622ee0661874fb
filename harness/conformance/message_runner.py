"""Running a message case (``message_case``) the way the runner runs a script.

The same steps as for a script (suites/README.md, "What the runner does"),
with the journey in place of the dialogue:

1. **Applies?** The submission service and a service for each protocol the
   message is read back with exist, the target lists an account, and the
   submission service advertises what the message needs after login
   (8BITMIME, SMTPUTF8, CHUNKING and BINARYMIME, the case's ``requires``).
   Relay and bounce journeys need a relay peer (``Relay.peer``) with an
   account of its own. Otherwise: skipped, with the reason.
2. **Accounts** are leased from the pool like a script's (and, across a
   relay pair, one of the peer's from the peer's pool); they rest afterwards
   like accounts that were sent mail.
3. **The journey** runs (``fidelity``, ``relay``), its connections recorded
   as the case's transcript; the case's key log holds the TLS secrets of
   both servers' sessions.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from harness.conformance.capabilities import ServiceProbe, missing_requirement
from harness.conformance.dialogue import SetupFailed
from harness.conformance.fidelity import run_fidelity
from harness.conformance.journey import Stage, Stages
from harness.conformance.message_case import Direction, Journey, MessageCase
from harness.conformance.outcome import Outcome, case_result
from harness.conformance.pool import AccountPool
from harness.conformance.relay import run_bounce, run_relay
from harness.net import client_ssl_context
from harness.report import CaseResult, Verdict
from harness.targets import Target

if TYPE_CHECKING:  # the runner imports this module: no import cycle at run time
    from harness.conformance.runner import RunConfig

JourneyRun = Callable[[MessageCase, Stages], Awaitable[Outcome]]
JOURNEYS: dict[Journey, JourneyRun] = {
    Journey.FIDELITY: run_fidelity,
    Journey.RELAY: run_relay,
    Journey.BOUNCE: run_bounce,
}


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
        home = Stage("home", config.target, accounts, context)
        async with peer_stage(case, config) as peer:
            outcome = await JOURNEYS[case.journey](case, Stages(home, peer))
    if config.evidence is not None:
        config.evidence.end_case(case.id, outcome.transcripts.values())
    return case_result(case, outcome, started)


@asynccontextmanager
async def peer_stage(case: MessageCase, config: RunConfig) -> AsyncIterator[Stage | None]:
    """The relay peer with an account leased there, when the journey crosses to it."""
    relay = config.target.relay
    if not case.journey.needs_peer or relay is None or relay.peer is None:
        yield None
        return
    peer = relay.peer
    keylog = config.evidence.keylog_for(case.id) if config.evidence is not None else None
    # Its own context: the peer has its own certificate; the case's key log is shared.
    context = client_ssl_context(
        verify=peer.tls_verify, ca_file=peer.ca_file, keylog_filename=keylog
    )
    async with config.peer_pool().lease(1, smtp=True) as accounts:
        yield Stage("peer", peer, accounts, context)


def why_not_applicable(
    case: MessageCase, target: Target, probes: dict[str, ServiceProbe]
) -> str | None:
    """A skip reason, or None when the journey can run on this target."""
    header = case.header
    if case.journey.needs_peer and (reason := why_no_peer(target)) is not None:
        return reason
    submitting, reading = servers_of(case, target)
    name = header.service.value
    if name not in submitting.services:
        return f"{submitting.name} has no {name} service"
    for protocol in case.read:
        if protocol not in reading.services and f"{protocol}s" not in reading.services:
            return f"{reading.name} has no {protocol} service to read the message with"
    if len(target.accounts) < header.accounts:
        return f"the case needs {header.accounts} accounts, the target lists {len(target.accounts)}"
    if submitting is not target:
        return None  # a reply from the peer: 7-bit by DATA only (message_case checks)
    service = target.services[name]
    probe = probes.get(name, ServiceProbe(error="not probed"))
    return missing_requirement(
        header.requires, probe, name, service.protocol, service.tls, header.state
    )


def servers_of(case: MessageCase, target: Target) -> tuple[Target, Target]:
    """(where the message is submitted, where it is read back)."""
    peer = target.relay.peer if target.relay is not None else None
    if case.journey is not Journey.RELAY or peer is None:
        return target, target  # fidelity; and a bounce comes back to the sender
    return (peer, target) if case.direction is Direction.IN else (target, peer)


def why_no_peer(target: Target) -> str | None:
    relay = target.relay
    if relay is None:
        return "target has no relay peer ([relay] with target = FILE in the target file)"
    if relay.peer is None:
        return f"the target's [relay] names no peer target to read {relay.domain} mail on"
    if not relay.peer.accounts:
        return f"the relay peer {relay.peer.name} lists no account"
    return None
