"""AUTHORIZATION state: USER/PASS and APOP (RFC 1939 §7), AUTH (RFC 5034),
STLS (RFC 2595 §4), UTF8 (RFC 6856 §2).

Login policy, the same for every way in:

* While the connection is plaintext and ``require_tls_for_auth`` is set, every
  login command is refused with ``-ERR [AUTH]`` (RFC 2595 §2.3: a server
  SHOULD NOT allow plaintext passwords before TLS; RFC 8314 §3) and CAPA
  lists neither USER nor SASL until after STLS.
* A failure is answered only after ``limits.auth_failure_delay`` and carries
  ``[AUTH]`` (RFC 3206 §4, advertised as AUTH-RESP-CODE); USER itself always
  succeeds, so user names cannot be probed.
* Success takes the maildrop lock (RFC 1939 §4); a second session for the same
  maildrop gets ``-ERR [IN-USE]`` (RFC 2449 §8.1.2) and stays in AUTHORIZATION.
* APOP is served only while the server keeps plaintext secrets (it needs the
  shared secret, RFC 1939 §7); otherwise the greeting carries no timestamp.
"""

from __future__ import annotations

from harness.net.stream import PeerClosed
from harness.protocols.pop3 import (
    AUTH,
    IN_USE,
    Apop,
    Auth,
    AuthChallenge,
    AuthLine,
    Command,
    ConnectionClosed,
    Pass,
    Stls,
    User,
    Utf8,
)
from harness.protocols.sasl import Challenge, Outcome, ServerExchange, Success
from harness.server.pop3.capabilities import CAPABILITY_COMMANDS
from harness.server.pop3.maildrop import Maildrop
from harness.server.pop3.session_state import CommandHandler, Pop3Session
from harness.targets import TLSMode

TLS_REQUIRED = "TLS is required before authentication: use STLS (RFC 2595 section 2.3)"
LOGIN_FAILED = "authentication failed"


async def on_user(session: Pop3Session, command: User) -> None:
    if await refused_before_tls(session):
        return
    session.user_name = command.name
    await session.ok("send PASS")


async def on_pass(session: Pop3Session, command: Pass) -> None:
    # The core only yields PASS right after a successful USER.
    assert session.user_name is not None
    account = await session.ctx.auth.verify_password(session.user_name, command.password)
    await finish_login(session, account)


async def on_apop(session: Pop3Session, command: Apop) -> None:
    if session.timestamp is None:
        await session.err("APOP is not offered: this server keeps no plaintext secrets")
        return
    if await refused_before_tls(session):
        return
    account = session.ctx.auth.verify_apop(command.name, session.timestamp, command.digest)
    await finish_login(session, account)


async def on_auth(session: Pop3Session, command: Auth) -> None:
    if await refused_before_tls(session):
        return
    auth = session.ctx.auth
    if command.mechanism not in auth.mechanisms(tls=session.tls):
        await session.err(f"mechanism {command.mechanism} is not offered")
        return
    exchange = auth.new_exchange(command.mechanism)
    outcome = await auth.start(exchange, command.initial_response)
    account = await run_exchange(session, exchange, outcome)
    await finish_login(session, account)


async def run_exchange(
    session: Pop3Session, exchange: ServerExchange, outcome: Outcome
) -> str | None:
    """Challenge until the exchange ends; the account on success, None on failure.

    Each challenge is bounded by ``ServerExchange.max_steps``. A line the core
    cannot decode ends the exchange inside the core (it raises with the -ERR);
    that propagates to the session loop, which answers it.
    """
    while isinstance(outcome, Challenge):
        await session.reply(AuthChallenge(outcome.data))
        line = await session.stream.next_event()
        if isinstance(line, ConnectionClosed):
            raise PeerClosed("the client closed inside AUTH")
        assert isinstance(line, AuthLine)  # the core yields only AuthLine inside AUTH
        if line.cancelled:
            exchange.cancel()
            return None
        outcome = await session.ctx.auth.step(exchange, line.data)
    if not isinstance(outcome, Success):
        return None
    return session.ctx.auth.account_name(outcome.identity)


async def finish_login(session: Pop3Session, account: str | None) -> None:
    """Answer a login attempt: open the maildrop, or fail after the delay."""
    if account is None:
        await session.ctx.auth.delay_after_failure()
        await session.err(LOGIN_FAILED, AUTH)
        return
    if not session.lock(account):
        await session.err("maildrop already locked by another session", IN_USE)
        return
    try:
        session.maildrop = await Maildrop.open(session.ctx.store, account)
    except BaseException:
        session.release()
        raise
    session.record.user = account
    count, octets = session.maildrop.stat()
    await session.ok(f"maildrop has {count} messages ({octets} octets)")


async def refused_before_tls(session: Pop3Session) -> bool:
    """Refuse a login command on a plaintext connection when TLS is required."""
    if session.ctx.auth.may_authenticate(tls=session.tls):
        return False
    await session.err(TLS_REQUIRED, AUTH)
    return True


async def on_stls(session: Pop3Session, command: Stls) -> None:
    if session.listener.tls is not TLSMode.STARTTLS:
        await session.err("STLS is not offered on this port")
        return
    await session.ok("begin TLS negotiation")
    await session.stream.start_tls(session.ctx.ssl_context, server_side=True)
    session.record.tls = session.stream.tls


async def on_utf8(session: Pop3Session, command: Utf8) -> None:
    # RFC 6856 §2: from now on arguments and responses may be UTF-8; the core
    # accepts UTF-8 arguments once +OK is sent, and RETR/TOP send messages with
    # UTF-8 header fields, refused until now (transaction._sendable).
    await session.ok("UTF8 enabled")


AUTHORIZATION_COMMANDS: dict[type[Command], CommandHandler] = {
    User: on_user,
    Pass: on_pass,
    Apop: on_apop,
    Auth: on_auth,
    Stls: on_stls,
    Utf8: on_utf8,
    **CAPABILITY_COMMANDS,
}
