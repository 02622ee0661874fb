"""A blocking IMAP client over the sans-IO core, timing every command.

Requests reported: "IMAP connect", "IMAP TLS", "IMAP greeting", "IMAP
STARTTLS" (command and handshake), "IMAP LOGIN", "IMAP SELECT", "IMAP
CREATE", "IMAP FETCH headers" / "IMAP FETCH body" (the caller names the
fetch), "IMAP STORE", "IMAP MOVE", "IMAP COPY", "IMAP EXPUNGE", "IMAP
APPEND", "IMAP IDLE" (IDLE until the server's "+"), "IMAP DONE" (DONE until
the tagged OK), "IMAP LOGOUT". A tagged NO or BAD is reported failed with
its status and response code ("NO [TRYCREATE]") and handed back.

Untagged responses arrive at any time (DESIGN.md §4): every completion carries
the ones read while waiting for it, so the caller sees each EXISTS.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from harness.load.clients.base import (
    TRANSPORT_ERRORS,
    ClientBase,
    CommandFailed,
    ConnectionLost,
    Endpoint,
    RequestSink,
    discard_requests,
)
from harness.protocols.common import NEED_DATA, Role
from harness.protocols.imap import (
    Append,
    Command,
    ConnectionClosed,
    Continuation,
    Copy,
    Create,
    Event,
    ExistsResponse,
    Expunge,
    Fetch,
    FetchAtt,
    FetchResponse,
    IdleDone,
    IMAPConnection,
    Login,
    Logout,
    Move,
    SequenceSet,
    StartTLS,
    Store,
    TaggedResponse,
    UntaggedStatus,
)
from harness.protocols.imap import Idle as IdleCommand
from harness.protocols.imap import Select as SelectCommand


@dataclass
class Completion:
    """A command's tagged response and the untagged responses read before it."""

    status: str  # OK, NO or BAD
    text: str = ""
    code: str | None = None
    untagged: list[Event] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == "OK"

    def fetched(self) -> list[FetchResponse]:
        return [event for event in self.untagged if isinstance(event, FetchResponse)]

    def failure(self) -> CommandFailed | None:
        if self.ok:
            return None
        return CommandFailed(
            f"{self.status} [{self.code}]" if self.code else self.status, self.text
        )


@dataclass(frozen=True)
class Selected:
    """What SELECT said about the mailbox."""

    exists: int = 0
    uidvalidity: int = 0
    uidnext: int = 0


class IMAPClient(ClientBase):
    """One IMAP session; commands are not pipelined (one tag in flight)."""

    protocol = "IMAP"

    def __init__(self, endpoint: Endpoint, sink: RequestSink = discard_requests) -> None:
        super().__init__(endpoint, sink)
        self.conn = IMAPConnection(Role.CLIENT)
        self._tags = (f"A{n}" for n in itertools.count(1))

    @property
    def capabilities(self) -> frozenset[str]:
        return self.conn.capabilities

    def connect(self) -> Completion:
        self.conn = IMAPConnection(Role.CLIENT)
        self._open()
        start = time.perf_counter()
        try:
            greeting = self._read_greeting()
        except TRANSPORT_ERRORS as exc:
            raise self._lost("greeting", start, exc) from exc
        self._report("greeting", start, 0, greeting.failure())
        return greeting

    def starttls(self) -> Completion:
        start = time.perf_counter()
        completion = self._run("STARTTLS", StartTLS(self._tag()), report=False)
        if completion.ok:
            try:
                self.wire.start_tls()
            except TRANSPORT_ERRORS as exc:
                raise self._lost("STARTTLS", start, exc) from exc
            self.conn.start_tls()
        self._report("STARTTLS", start, 0, completion.failure())
        return completion

    def login(self, user: str, password: str) -> Completion:
        return self._run("LOGIN", Login(self._tag(), user, password))

    def select(self, mailbox: str = "INBOX") -> tuple[Completion, Selected]:
        completion = self._run("SELECT", SelectCommand(self._tag(), mailbox))
        return completion, selected_from(completion.untagged)

    def create(self, mailbox: str, *, exists_ok: bool = False) -> Completion:
        """CREATE; with ``exists_ok`` a NO [ALREADYEXISTS] (RFC 5530) is success."""
        start = time.perf_counter()
        completion = self._run("CREATE", Create(self._tag(), mailbox), report=False)
        failure = completion.failure()
        if exists_ok and completion.code == "ALREADYEXISTS":
            failure = None
        self._report("CREATE", start, 0, failure)
        return completion

    def uid_fetch(self, name: str, uids: SequenceSet, items: Iterable[FetchAtt]) -> Completion:
        command = Fetch(self._tag(), uids, tuple(items), uid=True)
        return self._run(f"FETCH {name}", command)

    def uid_store(self, uids: SequenceSet, flags: tuple[str, ...], action: str = "+") -> Completion:
        return self._run("STORE", Store(self._tag(), uids, action, flags, silent=True, uid=True))

    def uid_move(self, uids: SequenceSet, mailbox: str) -> Completion:
        return self._run("MOVE", Move(self._tag(), uids, mailbox, uid=True))

    def uid_copy(self, uids: SequenceSet, mailbox: str) -> Completion:
        return self._run("COPY", Copy(self._tag(), uids, mailbox, uid=True))

    def expunge(self) -> Completion:
        return self._run("EXPUNGE", Expunge(self._tag()))

    def append(self, mailbox: str, message: bytes, flags: tuple[str, ...] = ()) -> Completion:
        return self._run("APPEND", Append(self._tag(), mailbox, message, flags), len(message))

    def idle(self, wait_s: float) -> list[Event]:
        """IDLE until an EXISTS arrives or ``wait_s`` passes; DONE; what arrived."""
        tag = self._tag()
        start = time.perf_counter()
        try:
            self.wire.send(self.conn.send(IdleCommand(tag)))
            early = self._read_until_continuation(tag)
        except TRANSPORT_ERRORS as exc:
            raise self._lost("IDLE", start, exc) from exc
        if isinstance(early, Completion):  # refused: no "+"
            self._report("IDLE", start, 0, early.failure())
            return early.untagged
        self._report("IDLE", start, 0, None)
        arrived = self._wait_for_exists(wait_s)
        done = self._finish_idle(tag)
        return arrived + done.untagged

    def logout(self) -> bool:
        """LOGOUT and close; a session cut off mid-command is only closed."""
        if self.conn.pending or self.conn.phase is not None:
            self.close()
            return False
        try:
            return self._run("LOGOUT", Logout(self._tag())).ok
        except ConnectionLost:
            return False
        finally:
            self.close()

    # -- the exchange ------------------------------------------------------------

    def _tag(self) -> str:
        return next(self._tags)

    def _run(
        self, name: str, command: Command, length: int = 0, *, report: bool = True
    ) -> Completion:
        start = time.perf_counter()
        try:
            completion = self._send_command(command)
        except TRANSPORT_ERRORS as exc:
            raise self._lost(name, start, exc) from exc
        if report:
            octets = length or fetched_octets(completion)
            self._report(name, start, octets, completion.failure())
        return completion

    def _send_command(self, command: Command) -> Completion:
        self.wire.send(self.conn.send(command))
        while self.conn.awaiting_continuation:  # a synchronising literal (APPEND)
            refused = self._read_until_continuation(command.tag)
            if refused is not None:
                return refused
            self.wire.send(self.conn.continue_literal())
        return self._read_completion(command.tag)

    def _next_event(self) -> Event:
        while True:
            event = self.conn.next_event()
            if event is NEED_DATA:
                self.conn.receive_data(self.wire.receive())
            elif isinstance(event, ConnectionClosed):
                raise EOFError("server closed the connection")
            else:
                assert isinstance(event, Event)
                return event

    def _read_completion(self, tag: str, untagged: list[Event] | None = None) -> Completion:
        collected = untagged if untagged is not None else []
        while True:
            event = self._next_event()
            if isinstance(event, TaggedResponse) and event.tag == tag:
                code = event.code.name if event.code else None
                return Completion(event.status, event.text, code, collected)
            collected.append(event)

    def _read_until_continuation(self, tag: str) -> Completion | None:
        """None once "+" arrived; the completion if the server refused instead."""
        untagged: list[Event] = []
        while True:
            event = self._next_event()
            if isinstance(event, Continuation):
                return None
            if isinstance(event, TaggedResponse) and event.tag == tag:
                code = event.code.name if event.code else None
                return Completion(event.status, event.text, code, untagged)
            untagged.append(event)

    def _read_greeting(self) -> Completion:
        event = self._next_event()
        if isinstance(event, UntaggedStatus) and event.status in ("OK", "PREAUTH"):
            return Completion("OK", event.text)
        status = event.status if isinstance(event, UntaggedStatus) else "BAD"
        return Completion("NO" if status == "BYE" else status, str(event))

    def _wait_for_exists(self, wait_s: float) -> list[Event]:
        arrived: list[Event] = []
        deadline = time.monotonic() + wait_s
        try:
            while not any(isinstance(event, ExistsResponse) for event in arrived):
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.wire.set_timeout(left)
                arrived.append(self._next_event())
        except TimeoutError:
            pass  # nothing new within wait_s: end the IDLE anyway
        except TRANSPORT_ERRORS as exc:
            raise self._lost("IDLE", time.perf_counter(), exc) from exc
        finally:
            if self.wire.connected:
                self.wire.set_timeout(self.endpoint.timeout)
        return arrived

    def _finish_idle(self, tag: str) -> Completion:
        start = time.perf_counter()
        try:
            self.wire.send(self.conn.send(IdleDone()))
            completion = self._read_completion(tag)
        except TRANSPORT_ERRORS as exc:
            raise self._lost("DONE", start, exc) from exc
        self._report("DONE", start, 0, completion.failure())
        return completion


def fetched_octets(completion: Completion) -> int:
    """Octets of message data a FETCH brought back (the request's length)."""
    return sum(len(s.data or b"") for f in completion.fetched() for s in f.sections)


def selected_from(untagged: Iterable[Event]) -> Selected:
    exists = uidvalidity = uidnext = 0
    for event in untagged:
        if isinstance(event, ExistsResponse):
            exists = event.count
        elif isinstance(event, UntaggedStatus) and event.code is not None:
            if event.code.name == "UIDVALIDITY" and isinstance(event.code.value, int):
                uidvalidity = event.code.value
            elif event.code.name == "UIDNEXT" and isinstance(event.code.value, int):
                uidnext = event.code.value
    return Selected(exists, uidvalidity, uidnext)
