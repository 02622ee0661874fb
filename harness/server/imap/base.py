"""What every IMAP command handler works with: the ``Session`` and the way a
handler finishes (return ``Done``, raise ``No`` / ``Bad``).

A handler is ``async def handler(s: Session, command) -> Done | None``. It
queues its untagged responses with ``s.emit`` and returns ``Done`` for the
tagged OK; the session loop then announces mailbox changes and sends the
tagged line. ``No`` and ``Bad`` become a tagged NO or BAD (RFC 9051 §7.1.2-3:
NO for an operational failure, BAD for a command that is wrong as sent).
A handler that must answer on its own (STARTTLS, LOGOUT) returns None.

Responses are collected in one buffer and written at the end of the command
(or when the buffer grows large), so a FETCH of many messages costs few
system calls.
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import TYPE_CHECKING

from harness.net.stream import ProtocolStream
from harness.protocols.common import RemoteProtocolError
from harness.protocols.imap import Event, IMAPConnection, ResponseCode, TaggedResponse
from harness.protocols.imap.mutf7 import mailbox_from_wire, mailbox_to_wire
from harness.server.config import ListenerConfig
from harness.server.context import ServerContext
from harness.server.listeners import ClientInfo
from harness.server.sessionlog import SessionRecord
from harness.server.store import StoreError, User

if TYPE_CHECKING:
    from harness.server.imap.selected.view import SelectedMailbox

FLUSH_AT = 32 * 1024  # octets queued before a write: the client parses while we go on


@dataclass(frozen=True, slots=True)
class Done:
    """A command completed: the tagged OK's text and optional response code."""

    text: str = "completed"
    code: ResponseCode | None = None


class CommandFailed(Exception):
    """Base of ``No`` and ``Bad``: the command ends with this tagged status."""

    status = "NO"

    def __init__(self, text: str, code: str | ResponseCode | None = None) -> None:
        super().__init__(text)
        self.text = text
        self.code = ResponseCode(code) if isinstance(code, str) else code


class No(CommandFailed):
    """RFC 9051 §7.1.2: "an operational error message from the server"."""

    status = "NO"


class Bad(CommandFailed):
    """RFC 9051 §7.1.3: "a protocol-level error in the client's command"."""

    status = "BAD"


def store_failure(exc: StoreError, text: str | None = None) -> No:
    """A store error as a tagged NO, with the response code the store names."""
    return No(text or str(exc), exc.imap_code)


class Session:
    """One IMAP connection's state beyond the core's: who, what is selected, output."""

    def __init__(
        self,
        stream: ProtocolStream,
        conn: IMAPConnection,
        ctx: ServerContext,
        client: ClientInfo,
        listener: ListenerConfig,
        record: SessionRecord,
    ) -> None:
        self.stream = stream
        self.conn = conn
        self.ctx = ctx
        self.client = client
        self.listener = listener
        self.record = record
        self.tls = client.tls is not None
        self.user: User | None = None
        self.selected: SelectedMailbox | None = None
        self.condstore = False  # RFC 7162 §3.1: enabled by ENABLE or first use
        self.saved_uids: tuple[int, ...] = ()  # SEARCHRES "$" (RFC 5182)
        self.finished = False
        self.watch = AsyncExitStack()  # the selected mailbox's change feed
        self._out = bytearray()

    # -- modes ---------------------------------------------------------------

    @property
    def rev2(self) -> bool:
        """The client enabled IMAP4rev2 (RFC 9051 §6.3.1): rev2 responses from now on."""
        return "IMAP4REV2" in self.conn.enabled

    @property
    def utf8(self) -> bool:
        """Mailbox names travel as UTF-8, not modified UTF-7 (RFC 9051 §5.1, RFC 6855 §3)."""
        return self.conn.utf8

    @property
    def account(self) -> User:
        assert self.user is not None, "an authenticated-state command before login"
        return self.user

    def require_selected(self) -> SelectedMailbox:
        assert self.selected is not None, "a selected-state command with nothing selected"
        return self.selected

    # -- mailbox names ---------------------------------------------------------

    def mailbox_name(self, wire: str) -> str:
        """The Unicode name of a mailbox argument; NO if it is not well formed."""
        try:
            return mailbox_from_wire(wire, utf8=self.utf8)
        except (ValueError, UnicodeError):
            raise No(f"malformed mailbox name {wire!r}", "CANNOT") from None

    def wire_name(self, name: str) -> str:
        return mailbox_to_wire(name, utf8=self.utf8)

    # -- output ----------------------------------------------------------------

    def emit(self, event: Event) -> None:
        """Queue a response; it is written by the next ``flush``."""
        self._out += self.conn.send(event)

    @property
    def queued(self) -> int:
        return len(self._out)

    async def flush(self) -> None:
        if self._out:
            data = bytes(self._out)
            self._out.clear()
            await self.stream.send_raw(data)

    async def flush_if_large(self) -> None:
        if len(self._out) >= FLUSH_AT:
            await self.flush()

    async def send_now(self, event: Event) -> None:
        self.emit(event)
        await self.flush()

    def emit_tagged(self, tag: str, status: str, text: str, code: ResponseCode | None) -> None:
        self.emit(TaggedResponse(tag, status, text, code))

    async def send_error_reply(self, exc: RemoteProtocolError) -> None:
        """The core's own answer to a command it could not accept (a tagged BAD...)."""
        await self.flush()
        if exc.reply:
            await self.stream.send_raw(exc.reply)
