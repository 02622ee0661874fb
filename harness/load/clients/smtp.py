"""A blocking SMTP client over the sans-IO core, timing every command.

Requests reported: "SMTP connect", "SMTP TLS" (implicit TLS handshake),
"SMTP greeting" (connected until the 220), "SMTP EHLO", "SMTP STARTTLS"
(command, 220 and handshake), "SMTP AUTH", "SMTP MAIL", "SMTP RCPT",
"SMTP DATA" (until the 354), "SMTP DATA end" (from the first octet of the
message text to the reply: transfer plus the server's decision, so it grows
with the message size), "SMTP RSET", "SMTP QUIT".

A reply of 4yz or 5yz is reported failed with its code and returned to the
caller, who decides what follows (RFC 5321 §3.3: RSET after a refused RCPT).
"""

from __future__ import annotations

import time

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
from harness.protocols.sasl.plain import build_plain_message
from harness.protocols.smtp import (
    Address,
    Auth,
    AuthLine,
    ClientConnection,
    ConnectionClosed,
    Data,
    Ehlo,
    Event,
    MailFrom,
    MessageData,
    MessageEnd,
    Path,
    Quit,
    RcptTo,
    Reply,
    Rset,
    SMTPConnection,
    StartTLS,
)


def mailbox_path(address: str) -> Path:
    local, _, domain = address.rpartition("@")
    return Path(Address(local, domain))


def reply_code(reply: Reply) -> str:
    """ "550 5.1.1" when the reply carries an enhanced status, else "550"."""
    return f"{reply.code} {reply.enhanced}" if reply.enhanced else str(reply.code)


class SMTPClient(ClientBase):
    """One SMTP session; methods return the server's ``Reply``."""

    protocol = "SMTP"

    def __init__(self, endpoint: Endpoint, sink: RequestSink = discard_requests) -> None:
        super().__init__(endpoint, sink)
        self.conn: SMTPConnection = ClientConnection(Role.CLIENT)

    @property
    def extensions(self) -> frozenset[str]:
        return frozenset(self.conn.extensions)

    def connect(self) -> Reply:
        self.conn = ClientConnection(Role.CLIENT)
        self._open()
        return self._exchange("greeting", b"", expect=220)

    def ehlo(self, domain: str) -> Reply:
        return self._command(Ehlo(domain), "EHLO")

    def starttls(self) -> Reply:
        start = time.perf_counter()
        reply = self._exchange("STARTTLS", self.conn.send(StartTLS()), report=False)
        if reply.code != 220:
            self._report("STARTTLS", start, 0, CommandFailed(reply_code(reply)))
            return reply
        try:
            self.wire.start_tls()
        except TRANSPORT_ERRORS as exc:
            raise self._lost("STARTTLS", start, exc) from exc
        self.conn.start_tls()
        self._report("STARTTLS", start, 0, None)
        return reply

    def auth_plain(self, user: str, password: str) -> Reply:
        """AUTH PLAIN with an initial response; answers an empty 334 if asked."""
        start = time.perf_counter()
        message = build_plain_message(None, user, password)
        reply = self._exchange("AUTH", self.conn.send(Auth("PLAIN", message)), report=False)
        if reply.code == 334:
            reply = self._exchange("AUTH", self.conn.send(AuthLine(message)), report=False)
        self._report("AUTH", start, 0, self._failure(reply, 235))
        return reply

    def mail(self, sender: str) -> Reply:
        return self._command(MailFrom(mailbox_path(sender)), "MAIL")

    def rcpt(self, recipient: str) -> Reply:
        return self._command(RcptTo(mailbox_path(recipient)), "RCPT")

    def data(self, message: bytes) -> Reply:
        """DATA, then the message text: the 354 and the final reply, timed apart."""
        reply = self._exchange("DATA", self.conn.send(Data()), expect=354)
        if reply.code != 354:
            return reply
        wire = self.conn.send(MessageData(message)) + self.conn.send(MessageEnd())
        return self._exchange("DATA end", wire, length=len(message))

    def rset(self) -> Reply:
        return self._command(Rset(), "RSET")

    def quit(self) -> Reply | None:
        """QUIT and close; None when the server closed without a 221."""
        try:
            return self._command(Quit(), "QUIT")
        except ConnectionLost:
            return None
        finally:
            self.close()

    def _command(self, event: Event, name: str) -> Reply:
        return self._exchange(name, self.conn.send(event))

    def _exchange(
        self,
        name: str,
        wire: bytes,
        *,
        expect: int | None = None,
        length: int = 0,
        report: bool = True,
    ) -> Reply:
        """Send ``wire`` (may be empty), read one reply, report it as ``name``."""
        start = time.perf_counter()
        try:
            if wire:
                self.wire.send(wire)
            reply = self._read_reply()
        except TRANSPORT_ERRORS as exc:
            raise self._lost(name, start, exc) from exc
        if report:
            self._report(name, start, length, self._failure(reply, expect))
        return reply

    def _read_reply(self) -> Reply:
        while True:
            event = self.conn.next_event()
            if event is NEED_DATA:
                self.conn.receive_data(self.wire.receive())
            elif isinstance(event, Reply):
                return event
            elif isinstance(event, ConnectionClosed):
                raise EOFError("server closed the connection")

    @staticmethod
    def _failure(reply: Reply, expect: int | None) -> CommandFailed | None:
        ok = reply.code == expect if expect is not None else reply.code < 400
        return None if ok else CommandFailed(reply_code(reply), reply.text)
