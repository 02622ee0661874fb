"""Journeys across a relay pair: the target and its relay peer (``Relay.peer``).

``check = "relay"`` (suites/e2e): Alice, the target's account 1, submits
the message on the target to Bob, an account of the peer (``direction =
"in"``: Bob to Alice, through the peer). Bob's copy, read on the peer by
IMAP and POP3, must be the trace fields both servers prepended followed by
exactly the octets Alice sent (``fidelity.judge``), and its ``Return-Path``
the address Alice sent from (RFC 5321 §4.4).

``check = "bounce"``: Alice sends to a user the peer does not have. Either
the target refuses the recipient at once (a 5xx to RCPT: Alice knows, no
notification is owed), or Alice gets a delivery status notification in her
mailbox: from the null sender (``Return-Path: <>``, RFC 5321 §4.5.5, §6.1),
a ``multipart/report; report-type=delivery-status`` (RFC 6522) whose
``message/delivery-status`` part has, for that recipient, ``Action: failed``
and a 5.x.x ``Status`` (RFC 3464 §2.3), and which returns the original
message's header (RFC 3461 §6.2, so Alice can tell which message failed).
"""

from __future__ import annotations

import email
import email.policy
import re
from email.message import Message as EmailMessage

import trio

from harness.conformance.crew import Crew, run_journey
from harness.conformance.fidelity import journey_budget, judge, read_back
from harness.conformance.journey import JourneyFailed, Retrieved, Stage, Stages
from harness.conformance.message_case import Direction, MessageCase
from harness.conformance.outcome import Outcome
from harness.conformance.transit import strip_trace
from harness.mail.integrity import ID_HEADER
from harness.report import Verdict

NO_SUCH_USER = "mailharness-no-such-user"
_RETURN_PATH = re.compile(rb"^Return-Path:[ \t]*<([^>]*)>", re.IGNORECASE | re.MULTILINE)


async def run_relay(case: MessageCase, stages: Stages) -> Outcome:
    peer = _peer(stages)
    sender, receiver = (
        (stages.home, peer) if case.direction is Direction.OUT else (peer, stages.home)
    )
    alice, bob = sender.accounts[0], receiver.accounts[0]

    async def journey(crew: Crew) -> Outcome:
        await crew.clean(receiver, bob)
        service = case.header.service.value
        await crew.courier(sender).submit(service, alice, case.message, [bob.user], case.transfer)
        copies = await read_back(case, crew.courier(receiver), bob)
        outcome = judge(case.message, copies, case.trace_fields)
        problems = [p for c in copies if (p := return_path_problem(c, alice.user)) is not None]
        return with_problems(outcome, problems)

    return await run_journey(journey_budget(case), journey)


async def run_bounce(case: MessageCase, stages: Stages) -> Outcome:
    home, peer = stages.home, _peer(stages)
    alice = home.accounts[0]
    nobody = f"{NO_SUCH_USER}@{peer_domain(peer)}"

    async def journey(crew: Crew) -> Outcome:
        await crew.clean(home, alice)
        courier = crew.courier(home)
        service = case.header.service.value
        refused = await courier.submit(
            service, alice, case.message, [nobody], case.transfer, refusable=True
        )
        if refused is not None:
            return Outcome(
                Verdict.PASSED, f"refused at RCPT, so no notification is owed: {refused}"
            )
        arrive_by = trio.current_time() + case.deliver_within
        notice = await courier.read(case.read[0], alice, arrive_by)
        return with_problems(Outcome(Verdict.PASSED), dsn_problems(notice, nobody, case))

    return await run_journey(journey_budget(case), journey)


def _peer(stages: Stages) -> Stage:
    if stages.peer is None:  # message_runner skips such cases; this is a bug guard
        raise JourneyFailed("no relay peer to carry the journey")
    return stages.peer


def peer_domain(peer: Stage) -> str:
    return peer.target.domains[0] if peer.target.domains else peer.target.host


def with_problems(outcome: Outcome, problems: list[str]) -> Outcome:
    if not problems:
        return outcome
    reason = "; ".join([outcome.reason, *problems] if outcome.reason else problems)
    return Outcome(Verdict.FAILED, reason, outcome.expected, outcome.received)


def return_path_problem(copy: Retrieved, sender: str) -> str | None:
    """RFC 5321 §4.4: the delivering server records the envelope sender in Return-Path."""
    trace = strip_trace(copy.raw, b"", ["Return-Path", "Received", "Delivered-To"]).trace
    match = _RETURN_PATH.search(trace)
    what = "imap BODY[]" if copy.protocol == "imap" else "pop3 RETR"
    if match is None:
        return f"{what} has no Return-Path field among its trace fields"
    if match[1].decode("utf-8", "replace").lower() != sender.lower():
        return f"{what}: Return-Path is <{match[1].decode('utf-8', 'replace')}>, not <{sender}>"
    return None


# --- the delivery status notification ---------------------------------------------------


def dsn_problems(notice: Retrieved, recipient: str, case: MessageCase) -> list[str]:
    """What is wrong with the notification Alice got (empty: nothing)."""
    problems = []
    problem = return_path_problem(notice, "")
    if problem is not None:
        problems.append(f"the notification is not from the null sender: {problem}")
    parsed = email.message_from_bytes(notice.raw, policy=email.policy.compat32)
    if parsed.get_content_type() != "multipart/report" or (
        str(parsed.get_param("report-type", "")).lower() != "delivery-status"
    ):
        problems.append(
            "the notification is not multipart/report; report-type=delivery-status "
            f"(it is {parsed.get_content_type()})"
        )
    problems += recipient_problems(parsed, recipient)
    original_id = _original_id(case)
    if original_id and original_id not in notice.raw:
        problems.append(f"the notification does not return the original header ({ID_HEADER})")
    return problems


def recipient_problems(report: EmailMessage, recipient: str) -> list[str]:
    """RFC 3464 §2.3: the recipient's block says Action: failed and a 5.x.x Status."""
    blocks = [
        block
        for part in report.walk()
        if part.get_content_type() == "message/delivery-status"
        for block in _status_blocks(part)
    ]
    if not blocks:
        return ["the notification has no message/delivery-status part"]
    mine = [b for b in blocks if recipient.lower() in str(b.get("Final-Recipient", "")).lower()]
    if not mine:
        return [f"no Final-Recipient block names {recipient}"]
    block = mine[0]
    action = str(block.get("Action", "")).strip().lower()
    status = str(block.get("Status", "")).strip()
    problems = []
    if action != "failed":
        problems.append(f"Action is {action or 'missing'!r}, not 'failed'")
    if not status.startswith("5."):
        problems.append(f"Status is {status or 'missing'!r}, not a permanent failure 5.x.x")
    return problems


def _status_blocks(part: EmailMessage) -> list[EmailMessage]:
    payload = part.get_payload()
    return (
        [block for block in payload if isinstance(block, EmailMessage)]
        if isinstance(payload, list)
        else []
    )


def _original_id(case: MessageCase) -> bytes | None:
    match = re.search(rb"^X-Mailharness-Id:[ \t]*(\S+)", case.message.raw, re.I | re.M)
    return match[1] if match else None
