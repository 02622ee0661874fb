"""What each service of the target advertises, and which cases that rules out.

Once per run, before any case, every service is probed in turn through its
stages (recorded in the report's ``meta.target``):

* SMTP: EHLO; after STARTTLS, EHLO again; after AUTH, EHLO again.
* POP3: CAPA; after STLS; after login.
* IMAP: CAPABILITY; after STARTTLS; after login.

``before_tls`` is the plaintext stage (absent on implicit-TLS services, whose
first stage is ``after_tls``); a stage not reached is None. A case's
``requires`` is checked against the stage its ``state`` starts in, with the
spellings of suites/README.md: SMTP ``AUTH PLAIN LOGIN`` and POP3 ``SASL PLAIN``
count as ``AUTH=PLAIN`` and ``AUTH=LOGIN``. POP3 has no APOP capability: a
server offers APOP by a timestamp in its greeting (RFC 1939 §7, RFC 2449 §6),
so a greeting with one counts as advertising ``APOP``.

Some behaviours no keyword advertises; the probe observes them (``observed``,
valid whatever the case's ``state``), and ``requires`` names them like
capabilities. ``TLS-REQUIRED`` (SMTP): the service takes no mail without TLS,
the condition under which RFC 3207 §4 asks for 530 to nearly every command.
Seen as MAIL before STARTTLS refused with 530 while no AUTH is offered before
TLS: a 530 with AUTH on offer may only ask for authentication (RFC 4954 §6),
which plaintext would then satisfy.
"""

from __future__ import annotations

import re
import ssl
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

import trio

from harness.conformance.dialogue import (
    SetupFailed,
    ehlo_keywords,
    expect_greeting,
    imap,
    imap_capabilities,
    multiline_lines,
    pop3,
    read_response,
    smtp,
)
from harness.conformance.model import SessionState
from harness.conformance.session import ConnectFailed, Session, connect
from harness.conformance.setup import EHLO, LOGIN, upgrade
from harness.report import Capabilities
from harness.targets import Target, TLSMode
from harness.transcript import escape_text

PROBE_TIMEOUT_S = 30.0
APOP_TIMESTAMP = re.compile(r"<[^<>\s]*@[^<>\s]*>")  # RFC 1939 §7: msg-id syntax
Stage = list[str] | None
TLS_REQUIRED = "TLS-REQUIRED"
# Observed capabilities: the skip reason when one was not seen
NOT_OBSERVED = {
    TLS_REQUIRED: "{service} does not require TLS (MAIL before STARTTLS was not refused"
    " with 530, or AUTH is offered without TLS)",
}


@dataclass
class ServiceProbe:
    """What one service showed: its greeting and its capabilities per stage."""

    banner: str | None = None
    capabilities: Capabilities = field(default_factory=Capabilities)
    error: str | None = None  # why the probe stopped early, if it did
    observed: set[str] = field(default_factory=set)  # behaviours no keyword advertises


async def discover(
    target: Target, context: ssl.SSLContext, timeout: float = PROBE_TIMEOUT_S
) -> dict[str, ServiceProbe]:
    """Probe every service of the target, one after the other.

    Not concurrently: two logins as the same account at once would meet the
    POP3 maildrop lock (RFC 2449 §8.1.2, [IN-USE]) and misreport the stage.
    """
    return {name: await probe_service(target, name, context, timeout) for name in target.services}


async def probe_service(
    target: Target, name: str, context: ssl.SSLContext, timeout: float
) -> ServiceProbe:
    probe = ServiceProbe()
    deadline = trio.current_time() + timeout
    try:
        with trio.move_on_at(deadline) as scope:
            session = await connect(
                target,
                name,
                name="probe",
                account=1,
                connection_id=f"probe-{name}",
                context=context,
            )
        if scope.cancelled_caught:
            raise ConnectFailed(f"cannot connect to {name}: no answer in {timeout:g} s")
    except ConnectFailed as error:
        probe.error = str(error)
        return probe
    try:
        greeting = await expect_greeting(session, deadline)
        probe.banner = escape_text(greeting.raw.rstrip(b"\r\n"))
        await PROBES[session.protocol](session, target, context, probe, deadline)
    except SetupFailed as error:
        probe.error = str(error)
    finally:
        await session.aclose()
    return probe


def _first_stage(session: Session, probe: ServiceProbe, values: list[str]) -> None:
    if session.service.tls is TLSMode.IMPLICIT:
        probe.capabilities.after_tls = values
    else:
        probe.capabilities.before_tls = values


async def _login(session: Session, target: Target, deadline: float) -> bool:
    """Log in with account 1 when there is one; False when the target has none."""
    if not target.accounts:
        return False
    await LOGIN[session.protocol](session, target.accounts[0], deadline)
    return True


async def probe_smtp(
    session: Session, target: Target, context: ssl.SSLContext, probe: ServiceProbe, deadline: float
) -> None:
    keywords = ehlo_keywords(await smtp(session, EHLO, 250, deadline))
    _first_stage(session, probe, keywords)
    if session.service.tls is TLSMode.STARTTLS and _has(keywords, "STARTTLS"):
        if await _mail_needs_tls(session, keywords, deadline):
            probe.observed.add(TLS_REQUIRED)
        await smtp(session, b"STARTTLS", 220, deadline)
        await upgrade(session, context, deadline)
        keywords = ehlo_keywords(await smtp(session, EHLO, 250, deadline))
        probe.capabilities.after_tls = keywords
    if _has(keywords, "AUTH") and await _login(session, target, deadline):
        probe.capabilities.after_login = ehlo_keywords(await smtp(session, EHLO, 250, deadline))
    await session.send(b"QUIT\r\n")


async def _mail_needs_tls(session: Session, keywords: list[str], deadline: float) -> bool:
    """MAIL before TLS refused with 530 and no AUTH to get past it in plaintext."""
    await session.send(b"MAIL FROM:<>\r\n")
    reply = await read_response(session, deadline)
    if reply.raw.startswith(b"2"):  # accepted: undo it before going on
        await smtp(session, b"RSET", 250, deadline)
    return reply.raw.startswith(b"530") and not _has(keywords, "AUTH")


async def probe_pop3(
    session: Session, target: Target, context: ssl.SSLContext, probe: ServiceProbe, deadline: float
) -> None:
    async def capa() -> list[str]:
        await session.send(b"CAPA\r\n")
        response = await read_response(session, deadline)
        return multiline_lines(response) if response.raw.startswith(b"+OK") else []

    lines = await capa()
    _first_stage(session, probe, lines)
    if session.service.tls is TLSMode.STARTTLS and _has(lines, "STLS"):
        await pop3(session, b"STLS", deadline)
        await upgrade(session, context, deadline)
        probe.capabilities.after_tls = await capa()
    if await _login(session, target, deadline):
        probe.capabilities.after_login = await capa()
    await pop3(session, b"QUIT", deadline)  # its +OK: the maildrop lock is released


async def probe_imap(
    session: Session, target: Target, context: ssl.SSLContext, probe: ServiceProbe, deadline: float
) -> None:
    async def capability() -> list[str]:
        return imap_capabilities(await imap(session, [b"CAPABILITY"], deadline)) or []

    atoms = await capability()
    _first_stage(session, probe, atoms)
    if session.service.tls is TLSMode.STARTTLS and _has(atoms, "STARTTLS"):
        await imap(session, [b"STARTTLS"], deadline)
        await upgrade(session, context, deadline)
        probe.capabilities.after_tls = await capability()
    if await _login(session, target, deadline):
        probe.capabilities.after_login = await capability()
    await imap(session, [b"LOGOUT"], deadline, check=False)


Prober = Callable[[Session, Target, ssl.SSLContext, ServiceProbe, float], Coroutine[Any, Any, None]]
PROBES: dict[str, Prober] = {"smtp": probe_smtp, "pop3": probe_pop3, "imap": probe_imap}


def _has(values: list[str], keyword: str) -> bool:
    return any(value.upper().split()[:1] == [keyword] for value in values if value.strip())


# --- gating --------------------------------------------------------------------------


def stage_for(probe: ServiceProbe, tls: TLSMode, state: SessionState) -> Stage:
    """The capabilities a session starting in ``state`` sees."""
    caps = probe.capabilities
    if state in (SessionState.CONNECTED, SessionState.GREETED):
        return caps.after_tls if tls is TLSMode.IMPLICIT else caps.before_tls
    return caps.after_login or caps.after_tls or caps.before_tls


def normalise(protocol: str, advertised: list[str]) -> set[str]:
    """Upper-cased names as ``requires`` spells them (SASL mechanisms as AUTH=X)."""
    names: set[str] = set()
    for entry in advertised:
        words = entry.upper().split()
        if not words:
            continue
        if protocol == "imap":
            names.update(words)
            continue
        if protocol == "pop3":
            names.add("CAPA")  # RFC 2449 §5: a server that answers CAPA supports it
        keyword, _, inline = words[0].partition("=")  # old SMTP "AUTH=LOGIN"
        names.add(keyword)
        if keyword in ("AUTH", "SASL"):
            mechanisms = words[1:] + ([inline] if inline else [])
            names.update(f"AUTH={mechanism}" for mechanism in mechanisms)
    return names


def missing_requirement(
    requires: tuple[str, ...],
    probe: ServiceProbe,
    service: str,
    protocol: str,
    tls: TLSMode,
    state: SessionState,
) -> str | None:
    """The skip reason when the service lacks a required capability, else None."""
    if not requires:
        return None
    stage = stage_for(probe, tls, state)
    if stage is None:
        raise SetupFailed(f"capabilities of {service} unknown: {probe.error or 'not reached'}")
    have = normalise(protocol, stage) | probe.observed
    if protocol == "pop3" and probe.banner and APOP_TIMESTAMP.search(probe.banner):
        have.add("APOP")
    for capability in requires:
        name = capability.upper()
        if name not in have:
            reason = NOT_OBSERVED.get(name, "target lacks {capability} on {service}")
            return reason.format(capability=capability, service=service)
    return None
