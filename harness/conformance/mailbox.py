"""Isolation and seeding: the accounts of a case start empty, then get its messages.

**Cleaning**, before every case, for each account it uses:

* with an IMAP service (``imap``, else ``imaps``): log in, delete every
  mailbox but INBOX (one that cannot be deleted is emptied instead), and
  expunge every message of INBOX;
* with POP3 only: log in, ``DELE`` every message, ``QUIT`` (RFC 1939 §6:
  deletions happen in the UPDATE state).

**Seeding**, in the order the header lists the messages, so the first seed is
message 1:

* with IMAP: ``APPEND`` to the mailbox (created if missing) with the flags
  given: the stored bytes are exactly the seed's bytes;
* without IMAP: delivered by SMTP (``smtp``, else ``submission``/``smtps``
  with login) to the account's address, one at a time, each awaited with
  POP3 ``STAT`` until it has arrived. The server adds its trace headers, so
  sizes differ from the seed's; flags and mailboxes other than INBOX need IMAP.

Corpus seeds name a corpus kind (``plain-7bit``, ``leading-dots``, ...):
the message is ``harness.mail`` corpus message 1 of that kind, seed 0.
"""

from __future__ import annotations

import re
import ssl
from collections.abc import Sequence

import trio

from harness.conformance.dialogue import (
    Literal,
    SetupFailed,
    completed_ok,
    ehlo_keywords,
    imap,
    imap_string,
    pop3,
    smtp,
)
from harness.conformance.model import SeedMessage, SessionState
from harness.conformance.response import Response
from harness.conformance.session import Session, connect
from harness.conformance.setup import EHLO, bring_to_state, secure
from harness.mail.corpus import build_message
from harness.mail.kinds import kind_named
from harness.protocols.common import dot_stuff
from harness.targets import Account, Target

MAX_MAILBOXES = 500  # a cleaning pass never walks more than this many
POLL_INTERVAL_S = 0.05
SEED_SENDER = b"mailharness-seed@mailharness.test"
_LIST_NAME = re.compile(rb'^\* LIST \([^)]*\) (?:NIL|"(?:[^"\\]|\\.)*"|\S+) (.+?)\r?\n?$', re.I)
_EXISTS = re.compile(rb"^\* (\d+) EXISTS", re.I)


def seed_bytes(seed: SeedMessage) -> bytes:
    """The octets of a seed: an inline message, or a corpus message by kind name."""
    if seed.message is not None:
        return seed.message
    assert seed.corpus is not None  # the parser guarantees one of the two
    try:
        kind = kind_named(seed.corpus)
    except ValueError as error:
        raise SetupFailed(f"seed: {error}") from None
    return build_message(0, 0, kind).raw


class Preparer:
    """Opens the harness's own connections for one case; keeps them for its transcript."""

    def __init__(self, target: Target, context: ssl.SSLContext, deadline: float) -> None:
        self.target = target
        self.context = context
        self.deadline = deadline
        self.sessions: list[Session] = []

    def mail_service(self) -> str | None:
        return next((s for s in ("imap", "imaps") if s in self.target.services), None)

    def pop3_service(self) -> str | None:
        return next((s for s in ("pop3", "pop3s") if s in self.target.services), None)

    async def open(self, service: str, account: Account, state: SessionState) -> Session:
        name = f"prepare-{len(self.sessions) + 1}"
        with trio.move_on_at(self.deadline):
            session = await connect(
                self.target, service, name=name, account=0, connection_id=name, context=self.context
            )
            self.sessions.append(session)
            await bring_to_state(session, state, account, self.context, self.deadline)
            return session
        raise SetupFailed(f"preparing an account: {service} did not answer in time")

    async def clean(self, account: Account) -> None:
        if (service := self.mail_service()) is not None:
            session = await self.open(service, account, SessionState.AUTHENTICATED)
            await self._clean_imap(session)
        elif (service := self.pop3_service()) is not None:
            session = await self.open(service, account, SessionState.AUTHENTICATED)
            await self._clean_pop3(session)
        else:
            return  # SMTP only: nothing is stored where the harness could see it
        await session.aclose()

    async def _clean_imap(self, session: Session) -> None:
        listing = await imap(session, [b"LIST", b'""', b'"*"'], self.deadline)
        names = [name for name in _mailbox_names(listing) if name.upper() != "INBOX"]
        for name in sorted(names, key=len, reverse=True)[:MAX_MAILBOXES]:
            deleted = await imap(
                session, [b"DELETE", imap_string(name)], self.deadline, check=False
            )
            if not completed_ok(deleted):
                await self._expunge_all(session, name)
        await self._expunge_all(session, "INBOX")
        await imap(session, [b"LOGOUT"], self.deadline, check=False)

    async def _expunge_all(self, session: Session, mailbox: str) -> None:
        selected = await imap(
            session, [b"SELECT", imap_string(mailbox)], self.deadline, check=False
        )
        exists = max((int(m[1]) for r in selected if (m := _EXISTS.match(r.raw))), default=0)
        if exists:
            flag = [b"STORE", b"1:*", b"+FLAGS.SILENT", b"(\\Deleted)"]
            await imap(session, flag, self.deadline)
            await imap(session, [b"EXPUNGE"], self.deadline)

    async def _clean_pop3(self, session: Session) -> None:
        count = await self._pop3_count(session)
        for number in range(1, count + 1):
            await pop3(session, b"DELE %d" % number, self.deadline)
        await pop3(session, b"QUIT", self.deadline)

    async def _pop3_count(self, session: Session) -> int:
        status = await pop3(session, b"STAT", self.deadline)
        words = status.raw.split()
        if len(words) < 2 or not words[1].isdigit():
            raise SetupFailed(f"pop3 STAT answer without a count: {status.raw[:80]!r}")
        return int(words[1])

    # --- seeding ---------------------------------------------------------------------

    async def seed(self, seeds: Sequence[SeedMessage], accounts: Sequence[Account]) -> None:
        if not seeds:
            return
        if (service := self.mail_service()) is not None:
            await self._seed_imap(service, seeds, accounts)
        else:
            await self._seed_smtp(seeds, accounts)

    async def _seed_imap(
        self, service: str, seeds: Sequence[SeedMessage], accounts: Sequence[Account]
    ) -> None:
        for number, account in enumerate(accounts, start=1):
            mine = [seed for seed in seeds if seed.account == number]
            if not mine:
                continue
            session = await self.open(service, account, SessionState.AUTHENTICATED)
            for seed in mine:
                await self._append(session, seed)
            await imap(session, [b"LOGOUT"], self.deadline, check=False)
            await session.aclose()

    async def _append(self, session: Session, seed: SeedMessage) -> None:
        mailbox = imap_string(seed.mailbox)
        if seed.mailbox.upper() != "INBOX":
            await imap(session, [b"CREATE", mailbox], self.deadline, check=False)
        flags = b"(" + " ".join(seed.flags).encode() + b")"
        await imap(session, [b"APPEND", mailbox, flags, Literal(seed_bytes(seed))], self.deadline)

    async def _seed_smtp(self, seeds: Sequence[SeedMessage], accounts: Sequence[Account]) -> None:
        pop3_service = self.pop3_service()
        if pop3_service is None:
            raise SetupFailed("seeding needs an IMAP service, or SMTP and POP3")
        for seed in seeds:
            if seed.flags or seed.mailbox.upper() != "INBOX":
                raise SetupFailed("seeding flags or a mailbox other than INBOX needs IMAP")
            account = accounts[seed.account - 1]
            reader = await self.open(pop3_service, account, SessionState.AUTHENTICATED)
            before = await self._pop3_count(reader)
            await pop3(reader, b"QUIT", self.deadline)
            await reader.aclose()
            await self._deliver(account, seed_bytes(seed))
            await self._await_arrival(pop3_service, account, before + 1)

    async def _deliver(self, account: Account, message: bytes) -> None:
        service = next(
            (s for s in ("smtp", "submission", "smtps") if s in self.target.services), None
        )
        if service is None:
            raise SetupFailed("seeding without IMAP needs an SMTP service")
        state = SessionState.GREETED if service == "smtp" else SessionState.AUTHENTICATED
        session = await self.open(service, account, state)
        if state is SessionState.GREETED:
            await secure(session, self.context, self.deadline)
        keywords = ehlo_keywords(await smtp(session, EHLO, 250, self.deadline))
        body = b" BODY=8BITMIME" if not message.isascii() and "8BITMIME" in keywords else b""
        await smtp(session, b"MAIL FROM:<" + SEED_SENDER + b">" + body, 250, self.deadline)
        await smtp(session, b"RCPT TO:<" + account.user.encode() + b">", 250, self.deadline)
        await smtp(session, b"DATA", 354, self.deadline)
        # dot_stuff ends with ".\r\n"; smtp() adds the CRLF itself.
        await smtp(session, dot_stuff(message)[:-2], 250, self.deadline)
        await session.send(b"QUIT\r\n")
        await session.aclose()

    async def _await_arrival(self, service: str, account: Account, count: int) -> None:
        # Bounded by the deadline: SMTP delivery may be queued before it lands.
        while trio.current_time() < self.deadline:
            reader = await self.open(service, account, SessionState.AUTHENTICATED)
            arrived = await self._pop3_count(reader)
            await pop3(reader, b"QUIT", self.deadline)
            await reader.aclose()
            if arrived >= count:
                return
            await trio.sleep(POLL_INTERVAL_S)
        raise SetupFailed(f"a seed message sent by SMTP did not reach {account.user} in time")


def _mailbox_names(responses: Sequence[Response]) -> list[str]:
    names: list[str] = []
    for response in responses:
        lines = response.lines
        match = _LIST_NAME.match(lines[0])
        if match is None:
            continue
        token = match[1]
        if token.endswith(b"}") and len(lines) > 1:  # the name is a literal
            token = lines[1].rstrip(b"\r\n")
        elif token.startswith(b'"'):
            token = re.sub(rb"\\(.)", rb"\1", token[1:-1])
        names.append(token.decode("utf-8", "replace"))
    return names
