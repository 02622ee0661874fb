"""Bring a fresh session to the state a script starts in (suites/README.md, ``state``).

* ``connected``: nothing (implicit TLS is already up); the script reads the greeting.
* ``greeted``: the greeting is read and must be the protocol's "ready" form.
* ``authenticated``: after the greeting, STARTTLS/STLS when the service's
  ``tls`` is ``starttls``, then login with the session's account: SMTP EHLO +
  AUTH PLAIN (or LOGIN), POP3 USER/PASS (or AUTH PLAIN), IMAP LOGIN (or
  AUTHENTICATE PLAIN when LOGIN is refused).
* ``selected``: authenticated, then ``SELECT INBOX``.

Every step is recorded in the session's transcript; a refusal is
``SetupFailed`` (verdict error: the case never started).
"""

from __future__ import annotations

import base64
import ssl

import trio

from harness.conformance.dialogue import (
    SetupFailed,
    completed_ok,
    ehlo_keywords,
    expect_greeting,
    imap,
    imap_string,
    multiline_lines,
    pop3,
    read_response,
    sasl_plain,
    smtp,
    text_of,
)
from harness.conformance.model import SessionState
from harness.conformance.session import Session
from harness.targets import Account, TLSMode

EHLO = b"EHLO mailharness.test"
IN_USE_RETRY_S = 0.1


async def bring_to_state(
    session: Session,
    state: SessionState,
    account: Account | None,
    context: ssl.SSLContext,
    deadline: float,
) -> None:
    if state is SessionState.CONNECTED:
        return
    await expect_greeting(session, deadline)
    if state is SessionState.GREETED:
        return
    if account is None:
        raise SetupFailed("the target lists no account to log in with")
    await secure(session, context, deadline)
    await LOGIN[session.protocol](session, account, deadline)
    if state is SessionState.SELECTED:
        await imap(session, [b"SELECT", b"INBOX"], deadline)


async def upgrade(session: Session, context: ssl.SSLContext, deadline: float) -> None:
    """The TLS handshake after the go-ahead, bounded by ``deadline``."""
    with trio.move_on_at(deadline) as scope:
        try:
            await session.start_tls(context)
        except trio.BrokenResourceError as error:
            raise SetupFailed(f"TLS handshake failed: {error.__cause__ or error}") from None
    if scope.cancelled_caught:
        raise SetupFailed("TLS handshake did not finish in time")


async def secure(session: Session, context: ssl.SSLContext, deadline: float) -> None:
    """STARTTLS / STLS when the service says ``tls = "starttls"``."""
    if session.service.tls is not TLSMode.STARTTLS:
        return
    if session.protocol == "smtp":
        await smtp(session, EHLO, 250, deadline)
        await smtp(session, b"STARTTLS", 220, deadline)
    elif session.protocol == "pop3":
        await pop3(session, b"STLS", deadline)
    else:
        await imap(session, [b"STARTTLS"], deadline)
    await upgrade(session, context, deadline)


async def smtp_login(session: Session, account: Account, deadline: float) -> None:
    reply = await smtp(session, EHLO, 250, deadline)
    mechanisms = smtp_auth_mechanisms(ehlo_keywords(reply))
    user, password = account.user, account.resolve_password()
    if "PLAIN" in mechanisms:
        await smtp(session, b"AUTH PLAIN " + sasl_plain(user, password), 235, deadline)
    elif "LOGIN" in mechanisms:
        await smtp(session, b"AUTH LOGIN", 334, deadline)
        await smtp(session, base64.b64encode(user.encode()), 334, deadline)
        await smtp(session, base64.b64encode(password.encode()), 235, deadline)
    else:
        raise SetupFailed(f"{session.service.name} offers neither AUTH PLAIN nor AUTH LOGIN")


def smtp_auth_mechanisms(keywords: list[str]) -> set[str]:
    """SASL mechanisms from EHLO keyword lines (``AUTH PLAIN LOGIN``, old ``AUTH=LOGIN``)."""
    mechanisms: set[str] = set()
    for keyword in keywords:
        words = keyword.upper().replace("=", " ", 1).split()
        if words and words[0] == "AUTH":
            mechanisms.update(words[1:])
    return mechanisms


async def pop3_login(session: Session, account: Account, deadline: float) -> None:
    user, password = account.user, account.resolve_password()
    while True:  # bounded by the deadline: each pass waits for two responses
        await session.send(b"USER " + user.encode() + b"\r\n")
        answer = await read_response(session, deadline)
        if not answer.raw.startswith(b"+OK"):  # no USER/PASS here (RFC 2595 §2.3)
            await pop3(session, b"AUTH PLAIN " + sasl_plain(user, password), deadline)
            return
        await session.send(b"PASS " + password.encode() + b"\r\n")
        answer = await read_response(session, deadline)
        if answer.raw.startswith(b"+OK"):
            return
        if not answer.raw.startswith(b"-ERR [IN-USE]"):
            raise SetupFailed(f"pop3 PASS: expected +OK, got {text_of(answer)}")
        # RFC 2449 §8.1.2: the previous case's session has not let go of the
        # maildrop yet; the server notices the closed connection shortly.
        await trio.sleep(IN_USE_RETRY_S)


async def pop3_utf8(session: Session, deadline: float) -> bool:
    """Enable UTF8 mode (RFC 6856 §2) when CAPA offers it; whether it was.

    Only valid in AUTHORIZATION, so between TLS and login. A reader that must
    get a message as stored needs it: without UTF8 mode a server must refuse
    or downgrade a message with UTF-8 header fields (RFC 6856 §2.1).
    """
    capabilities = multiline_lines(await pop3(session, b"CAPA", deadline))
    if not any(line.split(" ", 1)[0].upper() == "UTF8" for line in capabilities):
        return False
    await pop3(session, b"UTF8", deadline)
    return True


async def imap_login(session: Session, account: Account, deadline: float) -> None:
    user, password = account.user, account.resolve_password()
    command = [b"LOGIN", imap_string(user), imap_string(password)]
    responses = await imap(session, command, deadline, check=False)
    if completed_ok(responses):
        return
    await session.send(b"mh0 AUTHENTICATE PLAIN\r\n")
    challenge = await read_response(session, deadline)
    if not challenge.raw.startswith(b"+"):
        raise SetupFailed(f"imap LOGIN and AUTHENTICATE PLAIN refused: {text_of(challenge)}")
    await session.send(sasl_plain(user, password) + b"\r\n")
    while not (done := await read_response(session, deadline)).raw.startswith(b"mh0 "):
        continue  # untagged data before the completion
    if not done.raw.startswith(b"mh0 OK"):
        raise SetupFailed(f"imap login failed: {text_of(done)}")


LOGIN = {"smtp": smtp_login, "pop3": pop3_login, "imap": imap_login}
