"""AUTH (RFC 4954 §4): one SASL exchange at a time, run by ``ctx.auth``.

The core has already refused what the state forbids (AUTH twice, AUTH in a
transaction, an unoffered mechanism, and, by policy, any AUTH before TLS
with 530 5.7.0). Here the mechanism runs: each challenge goes out as a 334,
each client line comes back as an ``AuthLine``. Outcomes (RFC 4954 §6):

* success: 235 2.7.0, and the session is the authenticated account's;
* "*" from the client: 501 (§4 "MUST reject the AUTH command by sending a
  501 reply");
* a response that breaks the mechanism's grammar: 501 5.5.2;
* wrong or unknown credentials: 535 5.7.8, after the configured delay (it
  slows password guessing; the delay is the same for an unknown user).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.protocols.sasl import (
    Challenge,
    Failure,
    FailureKind,
    Outcome,
    ServerExchange,
    Success,
    UnknownMechanism,
)
from harness.protocols.smtp import Auth, AuthLine, auth_challenge
from harness.server.smtp import replies as R

if TYPE_CHECKING:
    from harness.server.smtp.session import SmtpSession

_CREDENTIAL_FAILURES = frozenset(
    {FailureKind.CREDENTIALS, FailureKind.AUTHORIZATION, FailureKind.UNAVAILABLE}
)


async def on_auth(session: SmtpSession, event: Auth) -> None:
    try:
        exchange = session.ctx.auth.new_exchange(event.mechanism)
    except UnknownMechanism:
        session.reply(R.AUTH_MECHANISM)
        return
    outcome = await session.ctx.auth.start(exchange, event.initial_response)
    await answer(session, exchange, outcome)


async def on_auth_line(session: SmtpSession, event: AuthLine) -> None:
    exchange = session.exchange
    assert exchange is not None, "the core yields AuthLine only after a 334"
    if event.cancelled:
        exchange.cancel()
        session.exchange = None
        session.reply(R.AUTH_CANCELLED)
        return
    outcome = await session.ctx.auth.step(exchange, event.data)
    await answer(session, exchange, outcome)


async def answer(session: SmtpSession, exchange: ServerExchange, outcome: Outcome) -> None:
    if isinstance(outcome, Challenge):
        session.exchange = exchange
        session.reply(auth_challenge(outcome.data))
        return
    session.exchange = None
    if isinstance(outcome, Success):
        account = session.ctx.auth.account_name(outcome.identity) or outcome.identity
        session.user = session.record.user = account
        session.reply(R.AUTH_OK)
        return
    await refuse(session, outcome)


async def refuse(session: SmtpSession, failure: Failure) -> None:
    session.count_error()
    if failure.kind is FailureKind.CANCELLED:
        session.reply(R.AUTH_CANCELLED)
    elif failure.kind in _CREDENTIAL_FAILURES:
        await session.flush()  # answers pipelined before AUTH are not held back
        await session.ctx.auth.delay_after_failure()
        session.reply(R.AUTH_FAILED)
    else:
        session.reply(R.AUTH_MALFORMED)
