"""Carrying one message through a server: submit it by SMTP, read it back by IMAP and POP3.

A ``Courier`` holds the connections of one case on one target (its
transcripts go into the case's report). What it does is protocol work with
the harness's own sessions (``session``, ``setup``, ``dialogue``):

* ``submit``: EHLO, ``MAIL FROM`` with ``BODY=8BITMIME`` / ``BODY=BINARYMIME``
  and ``SMTPUTF8`` as the message needs (RFC 6152, 3030, 6531), ``RCPT TO``,
  then ``DATA`` with the message dot-stuffed, or one ``BDAT n LAST`` chunk
  carrying it as it is (RFC 3030).
* ``read_imap``: ``SELECT INBOX``, ``NOOP`` until a message exists (delivery
  may be queued), then ``FETCH 1 (RFC822.SIZE BODY.PEEK[])``.
* ``read_pop3``: log in (in UTF8 mode when offered, RFC 6856, so a message
  with UTF-8 header fields comes as stored) until ``STAT`` counts a message
  (a maildrop is a snapshot taken at login), ``LIST 1``, ``RETR 1``, un-stuffed.

Getting there (connect, TLS, login, SELECT) failing is ``SetupFailed``
(verdict error); the server refusing the journey itself (the message, a
recipient) or losing the message is ``JourneyFailed`` (verdict failed).
"""

from __future__ import annotations

import re
import ssl
from collections.abc import Sequence
from dataclasses import dataclass

import trio

from harness.conformance.dialogue import (
    SetupFailed,
    ehlo_keywords,
    imap,
    pop3,
    read_response,
    smtp,
    text_of,
)
from harness.conformance.message_case import Message, Transfer
from harness.conformance.model import SessionState
from harness.conformance.response import Response
from harness.conformance.session import Session, connect
from harness.conformance.setup import EHLO, bring_to_state, pop3_login, pop3_utf8, secure
from harness.conformance.transit import unstuff
from harness.protocols.common import dot_stuff
from harness.protocols.imap.codec import decode_response
from harness.protocols.imap.fetch_response import FetchResponse
from harness.protocols.imap.framing import Framer, IMAPLimits
from harness.protocols.imap.lexer import ParseError
from harness.targets import Account, Target
from harness.transcript import Transcript

POLL_S = 0.05  # between looks at a mailbox the message has not reached yet
_EXISTS = re.compile(rb"^\* (\d+) EXISTS", re.I)


class JourneyFailed(Exception):
    """The server refused or lost the message: the case failed."""

    def __init__(self, message: str, expected: str | None = None, received: str | None = None):
        super().__init__(message)
        self.expected = expected
        self.received = received


@dataclass(frozen=True)
class Stage:
    """One server of a journey: its target, the accounts leased there, the TLS context."""

    name: str  # "home" (the target) or "peer" (its relay peer): prefixes connection names
    target: Target
    accounts: Sequence[Account]
    context: ssl.SSLContext

    def courier(self, deadline: float) -> Courier:
        return Courier(self.target, self.context, deadline, prefix=f"{self.name}-")


@dataclass(frozen=True)
class Stages:
    home: Stage
    peer: Stage | None = None  # for journeys across a relay pair


@dataclass(frozen=True)
class Retrieved:
    """A message as one protocol gave it back, and the size that protocol announced."""

    protocol: str
    raw: bytes
    announced_size: int | None  # IMAP RFC822.SIZE, POP3 LIST size


class Courier:
    """The connections one case makes to one target, bounded by ``deadline`` (trio time)."""

    def __init__(
        self, target: Target, context: ssl.SSLContext, deadline: float, prefix: str = ""
    ) -> None:
        self.target = target
        self.context = context
        self.deadline = deadline
        self.prefix = prefix  # names this target's connections apart from another's
        self.sessions: list[Session] = []

    @property
    def transcripts(self) -> dict[str, Transcript]:
        return {session.name: session.transcript for session in self.sessions}

    def service_for(self, protocol: str) -> str:
        """The target's plain service for a protocol, else its implicit-TLS one."""
        for name in (protocol, f"{protocol}s"):
            if name in self.target.services:
                return name
        raise SetupFailed(f"target {self.target.name} has no {protocol} service")

    async def open(self, service: str, account: Account, state: SessionState) -> Session:
        name = f"{self.prefix}{service}-{len(self.sessions) + 1}"
        with trio.move_on_at(self.deadline):
            session = await connect(
                self.target, service, name=name, account=1, connection_id=name, context=self.context
            )
            self.sessions.append(session)
            await bring_to_state(session, state, account, self.context, self.deadline)
            return session
        raise SetupFailed(f"{service} at {self.target.name} did not answer in time")

    async def close_all(self) -> None:
        with trio.CancelScope(shield=True):
            for session in self.sessions:
                await session.aclose()

    # --- SMTP ------------------------------------------------------------------------

    async def submit(
        self,
        service: str,
        account: Account,
        message: Message,
        recipients: list[str],
        transfer: Transfer,
        *,
        refusable: bool = False,
    ) -> str | None:
        """Submit ``message`` from ``account`` to ``recipients``; every step must be accepted.

        ``refusable``: a 5xx to RCPT is an answer too (the server checked the
        recipient at once): it is returned, and nothing is sent.
        """
        session = await self.open(service, account, SessionState.AUTHENTICATED)
        keywords = {k.split()[0].upper() for k in ehlo_keywords(await self._ehlo(session)) if k}
        mail = b"MAIL FROM:<" + account.user.encode() + b">" + mail_parameters(message, keywords)
        await self._step(session, mail, 250, "MAIL FROM")
        for recipient in recipients:
            rcpt = b"RCPT TO:<" + recipient.encode() + b">"
            if refusable:
                await session.send(rcpt + b"\r\n")
                reply = await read_response(session, self.deadline)
                if reply.raw.startswith(b"5") and not reply.problem:
                    await session.send(b"QUIT\r\n")
                    return text_of(reply)
                self._check(reply, 250, "RCPT TO")
            else:
                await self._step(session, rcpt, 250, "RCPT TO")
        if use_bdat(message, transfer):
            chunk = b"BDAT %d LAST\r\n" % len(message.raw) + message.raw
            await self._step(session, chunk, 250, "BDAT LAST", line_end=False)
        else:
            await self._step(session, b"DATA", 354, "DATA")
            await self._step(
                session, dot_stuff(message.raw), 250, "the end of DATA", line_end=False
            )
        await session.send(b"QUIT\r\n")
        return None

    async def _ehlo(self, session: Session) -> Response:
        """EHLO again after login: what the session may use now (RFC 4954 §4)."""
        return await smtp(session, EHLO, 250, self.deadline)

    async def _step(
        self, session: Session, data: bytes, code: int, what: str, *, line_end: bool = True
    ) -> Response:
        await session.send(data + (b"\r\n" if line_end else b""))
        reply = await read_response(session, self.deadline)
        self._check(reply, code, what)
        return reply

    @staticmethod
    def _check(reply: Response, code: int, what: str) -> None:
        if reply.problem or not reply.raw.startswith(str(code).encode()):
            got = text_of(reply)
            raise JourneyFailed(f"{what}: expected {code}, got {got}", f"S: {code} ...", got)

    # --- IMAP ------------------------------------------------------------------------

    async def read(self, protocol: str, account: Account, arrive_by: float) -> Retrieved:
        """The one message in ``account``'s mailbox, by IMAP or POP3."""
        if protocol == "imap":
            return await self.read_imap(account, arrive_by)
        return await self.read_pop3(account, arrive_by)

    async def read_imap(self, account: Account, arrive_by: float) -> Retrieved:
        session = await self.open(self.service_for("imap"), account, SessionState.AUTHENTICATED)
        count = exists(await imap(session, [b"SELECT", b"INBOX"], self.deadline))
        while count == 0 and trio.current_time() < arrive_by:  # bounded by arrive_by
            await trio.sleep(POLL_S)
            count = exists(await imap(session, [b"NOOP"], self.deadline), count)
        expect_one(count, "imap INBOX")
        fetch = [b"FETCH", b"1", b"(RFC822.SIZE BODY.PEEK[])"]
        retrieved = fetched_message(await imap(session, fetch, self.deadline))
        await imap(session, [b"LOGOUT"], self.deadline, check=False)
        return retrieved

    # --- POP3 ------------------------------------------------------------------------

    async def read_pop3(self, account: Account, arrive_by: float) -> Retrieved:
        service = self.service_for("pop3")
        while True:  # bounded by arrive_by: a login per look (the maildrop is a snapshot)
            session = await self.open_pop3_reader(service, account)
            count = stat_count(await pop3(session, b"STAT", self.deadline))
            if count or trio.current_time() >= arrive_by:
                break
            await pop3(session, b"QUIT", self.deadline)
            await session.aclose()
            await trio.sleep(POLL_S)
        expect_one(count, "pop3 maildrop")
        listed = await pop3(session, b"LIST 1", self.deadline)
        size = int(listed.raw.split()[2]) if len(listed.raw.split()) > 2 else None
        retr = await pop3(session, b"RETR 1", self.deadline)
        raw = unstuff(retr.lines[1:])
        if raw is None:
            raise JourneyFailed("pop3 RETR 1: the multi-line response has no terminating dot")
        # Not awaited: after a RETR that ended early, the rest of the message
        # would be read as QUIT's answer; the copy is what gets judged.
        await session.send(b"QUIT\r\n")
        return Retrieved("pop3", raw, size)

    async def open_pop3_reader(self, service: str, account: Account) -> Session:
        """Logged in, in UTF8 mode if the server offers it (``setup.pop3_utf8``)."""
        session = await self.open(service, account, SessionState.GREETED)
        await secure(session, self.context, self.deadline)
        await pop3_utf8(session, self.deadline)
        await pop3_login(session, account, self.deadline)
        return session


def mail_parameters(message: Message, keywords: set[str]) -> bytes:
    """The MAIL FROM parameters the message needs (only those advertised are ever sent)."""
    parameters = b""
    if message.needs_binarymime and "BINARYMIME" in keywords:
        parameters += b" BODY=BINARYMIME"
    elif message.needs_8bitmime and "8BITMIME" in keywords:
        parameters += b" BODY=8BITMIME"
    if message.needs_smtputf8 and "SMTPUTF8" in keywords:
        parameters += b" SMTPUTF8"
    return parameters


def use_bdat(message: Message, transfer: Transfer) -> bool:
    return transfer is Transfer.BDAT or (transfer is Transfer.AUTO and message.needs_binarymime)


def exists(responses: list[Response], previous: int = 0) -> int:
    """The last ``* n EXISTS`` among the responses, else ``previous``."""
    count = previous
    for response in responses:
        match = _EXISTS.match(response.raw)
        if match:
            count = int(match[1])
    return count


def stat_count(status: Response) -> int:
    words = status.raw.split()
    if len(words) < 2 or not words[1].isdigit():
        raise SetupFailed(f"pop3 STAT answer without a count: {text_of(status)}")
    return int(words[1])


def expect_one(count: int, where: str) -> None:
    if count == 0:
        raise JourneyFailed(f"the message did not arrive in the {where} in time")
    if count > 1:
        raise JourneyFailed(f"{count} messages arrived in the {where}; one was sent")


def fetched_message(responses: list[Response]) -> Retrieved:
    """BODY[] and RFC822.SIZE of message 1, from however many FETCH responses carry them."""
    body: bytes | None = None
    size: int | None = None
    for response in responses[:-1]:
        event = parse_imap(response)
        if isinstance(event, FetchResponse) and event.seq == 1:
            size = event.rfc822_size if event.rfc822_size is not None else size
            body = next((s.data for s in event.sections if s.key == "BODY[]"), body)
    if body is None:
        raise JourneyFailed("imap FETCH 1 returned no BODY[]", "* 1 FETCH (... BODY[] ...)")
    return Retrieved("imap", body, size)


def parse_imap(response: Response) -> object:
    """One IMAP response, parsed by the client core (None if it does not parse)."""
    limits = IMAPLimits.for_client()
    framer = Framer(limits, decide_sync_literals=False, allow_nonsync=False)
    framer.feed(response.raw)
    unit = framer.next_unit()
    if unit is None:
        return None
    try:
        return decode_response(unit, limits)  # type: ignore[arg-type]
    except ParseError:
        return None
