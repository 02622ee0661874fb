"""The fidelity journey: submit a message by SMTP, read it back by IMAP and POP3, compare.

For a case of ``suites/fidelity/*.toml`` (catalogue rows XP-SMTP-IMAP-BYTES,
XP-SMTP-POP3-BYTES, XP-SIZE-CONSISTENCY), after the account is emptied:

1. account 1 submits the message to itself on the case's ``service``
   (``journey.Courier.submit``: the MAIL parameters and DATA or BDAT the
   message needs; a case whose needs are not advertised was skipped);
2. each protocol of ``read`` gets it back (IMAP ``BODY[]``, POP3 ``RETR``);
3. ``judge`` compares, and every problem found is reported, not just the first:

   * each copy = leading trace fields (``trace_fields``) + exactly the octets sent;
   * the integrity header (``harness.mail.integrity``) still matches;
   * IMAP ``RFC822.SIZE`` = len(``BODY[]``); POP3 ``LIST`` size = len(``RETR``);
   * ``RETR`` = ``BODY[]`` octet for octet, when both are read;
   * the corpus kind's own ``verify`` (signatures that must still verify).
"""

from __future__ import annotations

from collections.abc import Sequence

import trio

from harness.conformance.crew import PREPARE_S, Crew, run_journey
from harness.conformance.journey import Courier, Retrieved, Stages
from harness.conformance.message_case import Message, MessageCase
from harness.conformance.outcome import Outcome
from harness.conformance.transit import describe_difference, difference_excerpts, strip_trace
from harness.mail import integrity
from harness.report import Verdict
from harness.targets import Account

SLACK_S = 10.0
COMMANDS_PER_CASE = 12  # commands whose replies are each awaited up to ``timeout``


def journey_budget(case: MessageCase) -> float:
    """The longest a case may take: cleaning, the message's arrival per reader, commands."""
    arrivals = case.deliver_within * len(case.read)
    return PREPARE_S + SLACK_S + arrivals + COMMANDS_PER_CASE * case.header.timeout


async def run_fidelity(case: MessageCase, stages: Stages) -> Outcome:
    """Clean account 1, submit to it, read back, judge."""
    home = stages.home
    account = home.accounts[0]

    async def journey(crew: Crew) -> Outcome:
        await crew.clean(home, account)
        courier = crew.courier(home)
        service = case.header.service.value
        await courier.submit(service, account, case.message, [account.user], case.transfer)
        copies = await read_back(case, courier, account)
        return judge(case.message, copies, case.trace_fields)

    return await run_journey(journey_budget(case), journey)


async def read_back(case: MessageCase, courier: Courier, account: Account) -> list[Retrieved]:
    """The message by each protocol of ``read``, each given ``deliver_within`` to be there."""
    copies = []
    for protocol in case.read:
        arrive_by = trio.current_time() + case.deliver_within
        copies.append(await courier.read(protocol, account, arrive_by))
    return copies


# --- judging ---------------------------------------------------------------------------


def judge(message: Message, copies: Sequence[Retrieved], trace_fields: Sequence[str]) -> Outcome:
    """Every problem with the copies read back; passed when there is none."""
    problems: list[str] = []
    excerpts: tuple[str, str] | None = None
    for copy in copies:
        what = "imap BODY[]" if copy.protocol == "imap" else "pop3 RETR"
        stripped = strip_trace(copy.raw, message.raw, trace_fields)
        if stripped.rest != message.raw:
            problems.append(describe_difference(what, copy.raw, message.raw, stripped))
            excerpts = excerpts or difference_excerpts(stripped.rest, message.raw)
        problems += size_problems(copy, what)
        problems += content_problems(copy, message, what)
    problems += agreement_problems(copies)
    if not problems:
        return Outcome(Verdict.PASSED)
    expected, received = excerpts if excerpts else (None, None)
    return Outcome(Verdict.FAILED, "; ".join(problems), expected, received)


def size_problems(copy: Retrieved, what: str) -> list[str]:
    item = "RFC822.SIZE" if copy.protocol == "imap" else "LIST size"
    if copy.announced_size is None:
        return [f"no {item} was given for {what}"]
    if copy.announced_size != len(copy.raw):
        return [f"{item} is {copy.announced_size:,} but {what} has {len(copy.raw):,} octets"]
    return []


def content_problems(copy: Retrieved, message: Message, what: str) -> list[str]:
    problems = []
    if integrity.claimed_digest(message.raw) is not None and not integrity.verify(copy.raw):
        problems.append(f"{what}: the {integrity.HASH_HEADER} digest no longer matches")
    if message.verify is not None:
        problem = message.verify(copy.raw)
        if problem is not None:
            problems.append(f"{what}: {problem}")
    return problems


def agreement_problems(copies: Sequence[Retrieved]) -> list[str]:
    """XP-SMTP-POP3-BYTES: POP3 RETR equals IMAP BODY[] octet for octet, trace included."""
    by_protocol = {copy.protocol: copy.raw for copy in copies}
    if {"imap", "pop3"} <= by_protocol.keys() and by_protocol["imap"] != by_protocol["pop3"]:
        sizes = f"{len(by_protocol['pop3']):,} vs {len(by_protocol['imap']):,} octets"
        return [f"pop3 RETR and imap BODY[] differ ({sizes})"]
    return []
