"""A blocking POP3 client over the sans-IO core, timing every command.

Requests reported: "POP3 connect", "POP3 TLS", "POP3 greeting", "POP3 STLS"
(command and handshake), "POP3 USER", "POP3 PASS", "POP3 STAT", "POP3 LIST",
"POP3 UIDL", "POP3 RETR" (until the last line of the message), "POP3 DELE",
"POP3 QUIT". An ``-ERR`` is reported failed with its response code
("-ERR [IN-USE]") and handed back as the ``Err``.
"""

from __future__ import annotations

import time
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
from harness.protocols.pop3 import (
    Command,
    ConnectionClosed,
    Dele,
    Err,
    List,
    MessageData,
    MultilineEnd,
    Ok,
    Pass,
    POP3Connection,
    Quit,
    Retr,
    ScanListing,
    Stat,
    Stls,
    Uidl,
    UniqueIdListing,
    User,
    parse_drop_listing,
)


def err_code(response: Err) -> str:
    return f"-ERR [{response.code}]" if response.code else "-ERR"


@dataclass
class Answer:
    """A status response and, for a multi-line one, what came with it."""

    status: Ok | Err
    parts: list[object] = field(default_factory=list)
    body: bytes = b""

    @property
    def ok(self) -> bool:
        return isinstance(self.status, Ok)


class POP3Client(ClientBase):
    """One POP3 session."""

    protocol = "POP3"

    def __init__(self, endpoint: Endpoint, sink: RequestSink = discard_requests) -> None:
        super().__init__(endpoint, sink)
        self.conn = self._new_core()

    def _new_core(self) -> POP3Connection:
        return POP3Connection(Role.CLIENT, tls=self.endpoint.tls == "implicit")

    def connect(self) -> Answer:
        self.conn = self._new_core()
        self._open()
        return self._exchange("greeting", None)

    def stls(self) -> Answer:
        start = time.perf_counter()
        answer = self._exchange("STLS", Stls(), report=False)
        if not answer.ok:
            self._report("STLS", start, 0, self._failure(answer))
            return answer
        try:
            self.wire.start_tls()
        except TRANSPORT_ERRORS as exc:
            raise self._lost("STLS", start, exc) from exc
        self.conn.start_tls()
        self._report("STLS", start, 0, None)
        return answer

    def login(self, user: str, password: str) -> Answer:
        answer = self._exchange("USER", User(user))
        return self._exchange("PASS", Pass(password)) if answer.ok else answer

    def stat(self) -> tuple[int, int] | None:
        answer = self._exchange("STAT", Stat())
        return parse_drop_listing(answer.status.text) if answer.ok else None

    def list(self) -> dict[int, int]:
        answer = self._exchange("LIST", List(), multiline=True)
        return {p.msg: p.size for p in answer.parts if isinstance(p, ScanListing)}

    def uidl(self) -> dict[int, str]:
        answer = self._exchange("UIDL", Uidl(), multiline=True)
        return {p.msg: p.uid for p in answer.parts if isinstance(p, UniqueIdListing)}

    def retr(self, msg: int) -> bytes | None:
        answer = self._exchange("RETR", Retr(msg), multiline=True)
        return answer.body if answer.ok else None

    def dele(self, msg: int) -> bool:
        return self._exchange("DELE", Dele(msg)).ok

    def quit(self) -> bool:
        """QUIT (the UPDATE state commits deletions) and close."""
        try:
            return self._exchange("QUIT", Quit()).ok
        except ConnectionLost:
            return False
        finally:
            self.close()

    def _exchange(
        self, name: str, command: Command | None, *, multiline: bool = False, report: bool = True
    ) -> Answer:
        """Send ``command`` (None: just read, for the greeting) and read its answer;
        ``multiline``: +OK is followed by lines up to "." (RFC 1939 §3)."""
        start = time.perf_counter()
        try:
            if command is not None:
                self.wire.send(self.conn.send(command))
            answer = self._read_answer(multiline)
        except TRANSPORT_ERRORS as exc:
            raise self._lost(name, start, exc) from exc
        if report:
            self._report(name, start, len(answer.body), self._failure(answer))
        return answer

    def _read_answer(self, multiline: bool) -> Answer:
        answer: Answer | None = None
        chunks: list[bytes] = []
        while True:
            event = self.conn.next_event()
            if event is NEED_DATA:
                self.conn.receive_data(self.wire.receive())
            elif isinstance(event, Ok | Err) and answer is None:
                answer = Answer(event)
                if not (multiline and isinstance(event, Ok)):
                    return answer
            elif isinstance(event, MessageData):
                chunks.append(event.data)
            elif isinstance(event, MultilineEnd) and answer is not None:
                answer.body = b"".join(chunks)
                return answer
            elif isinstance(event, ConnectionClosed):
                raise EOFError("server closed the connection")
            elif answer is not None:
                answer.parts.append(event)

    @staticmethod
    def _failure(answer: Answer) -> CommandFailed | None:
        if isinstance(answer.status, Err):
            return CommandFailed(err_code(answer.status), answer.status.text)
        return None
