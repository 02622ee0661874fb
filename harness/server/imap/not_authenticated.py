"""Not-authenticated state: STARTTLS, AUTHENTICATE, LOGIN (RFC 9051 §6.2).

Policy comes from the server's ``Authenticator``: while TLS is required for
any login, a plaintext connection gets LOGINDISABLED in its capabilities and
NO [PRIVACYREQUIRED] for both commands (RFC 9051 §6.2.3: "A server
implementation MUST NOT ... permit the LOGIN command ... unless ... TLS";
RFC 5530 §3 names the code). A failed login is answered only after the
configured delay, and with [AUTHENTICATIONFAILED] (RFC 5530 §3).
"""

from __future__ import annotations

from typing import NoReturn

from harness.net.stream import PeerClosed
from harness.protocols.imap import (
    Authenticate,
    AuthenticateChallenge,
    AuthenticationCancel,
    AuthenticationData,
    Login,
    ResponseCode,
    StartTLS,
    TaggedResponse,
)
from harness.protocols.sasl import (
    Challenge,
    Failure,
    Outcome,
    ServerExchange,
    Success,
    UnknownMechanism,
)
from harness.server.imap.base import Bad, Done, No, Session
from harness.server.imap.capabilities import capabilities
from harness.targets import TLSMode


async def starttls(s: Session, command: StartTLS) -> None:
    """RFC 9051 §6.2.1: OK, then the TLS handshake at once.

    The core drops every octet the client sent after the command line (the
    STARTTLS command-injection attack): nothing read before the handshake is
    ever executed.
    """
    if s.tls:
        raise Bad("TLS is already active")
    if s.listener.tls is not TLSMode.STARTTLS:
        raise Bad("STARTTLS is not offered on this port")
    await s.send_now(TaggedResponse(command.tag, "OK", "Begin TLS negotiation now"))
    await s.stream.start_tls(s.ctx.ssl_context, server_side=True)
    s.tls = True
    s.record.tls = s.stream.tls


async def login(s: Session, command: Login) -> Done:
    _require_privacy(s)
    account = await s.ctx.auth.verify_password(command.username, command.password)
    if account is None:
        await _refuse(s)
    return await _logged_in(s, account)


async def authenticate(s: Session, command: Authenticate) -> Done:
    """RFC 9051 §6.2.2 with SASL-IR (RFC 4959 §3): challenges as "+ base64"."""
    _require_privacy(s)
    try:
        exchange = s.ctx.auth.new_exchange(command.mechanism)
    except UnknownMechanism:
        # §6.2.2: "the server SHOULD reject the AUTHENTICATE command by sending
        # a tagged NO response"
        raise No(f"mechanism {command.mechanism} is not supported", "CANNOT") from None
    outcome = await s.ctx.auth.start(exchange, command.initial_response)
    outcome = await _run_challenges(s, exchange, outcome)
    if isinstance(outcome, Failure):
        await _refuse(s)
    account = s.ctx.auth.account_name(outcome.identity)
    if account is None:
        await _refuse(s)
    return await _logged_in(s, account)


async def _run_challenges(
    s: Session, exchange: ServerExchange, outcome: Outcome
) -> Success | Failure:
    """Send each challenge and feed the answer back; bounded by the exchange's step cap."""
    while isinstance(outcome, Challenge):
        await s.send_now(AuthenticateChallenge(outcome.data))
        event = await s.stream.next_event()  # invalid base64: the core's tagged BAD
        if isinstance(event, AuthenticationCancel):
            # §6.2.2: "the server MUST reject the AUTHENTICATE command by sending
            # a tagged BAD response"
            raise Bad("AUTHENTICATE cancelled")
        if not isinstance(event, AuthenticationData):
            raise PeerClosed("the client left during AUTHENTICATE")
        outcome = await s.ctx.auth.step(exchange, event.data)
    return outcome


def _require_privacy(s: Session) -> None:
    if not s.ctx.auth.may_authenticate(tls=s.tls):
        raise No("login is only allowed over TLS: use STARTTLS first", "PRIVACYREQUIRED")


async def _refuse(s: Session) -> NoReturn:
    await s.ctx.auth.delay_after_failure()
    raise No("invalid credentials", "AUTHENTICATIONFAILED")


async def _logged_in(s: Session, account: str | None) -> Done:
    user = await s.ctx.store.get_user(account) if account else None
    if user is None:  # an account in the config that the store lost: refuse plainly
        await _refuse(s)
    s.user = user
    s.record.user = account
    return Done("logged in", ResponseCode("CAPABILITY", capabilities(s)))
