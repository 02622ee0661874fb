"""TRANSACTION state (RFC 1939 §5, §7) and QUIT, the way into UPDATE (§6).

Message numbers are the maildrop's, fixed at login; a number that does not
exist or is marked deleted gets ``-ERR no such message`` from every command
(POP3-DELE). Listings skip marked messages; nothing is renumbered.

RETR and TOP stream the message from the store chunk by chunk; the core's
encoder byte-stuffs and terminates it (RFC 1939 §3). The first chunk is read
before ``+OK``, so a message removed meanwhile gets ``-ERR``, not half a reply.
A message with UTF-8 in its header section is refused with ``-ERR [UTF8]``
unless the client enabled UTF8 mode (RFC 6856 §2.1); LIST and STAT still
count it, at the size RETR sends once UTF8 is on.

QUIT from TRANSACTION removes the marked messages (UPDATE), then says +OK;
if the removal fails the answer is ``-ERR [SYS/TEMP]`` and nothing is lost
(RFC 1939 §6: "-ERR some deleted messages not removed"). QUIT from
AUTHORIZATION just ends the session (§4).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing

from harness.protocols.pop3 import (
    SYS_TEMP,
    UTF8,
    Command,
    Dele,
    List,
    MessageData,
    MultilineEnd,
    Noop,
    Ok,
    Quit,
    Retr,
    Rset,
    ScanListing,
    Stat,
    State,
    Top,
    Uidl,
    UniqueIdListing,
)
from harness.server.pop3.capabilities import CAPABILITY_COMMANDS
from harness.server.pop3.maildrop import DropMessage, Maildrop
from harness.server.pop3.session_state import CommandHandler, Pop3Session
from harness.server.pop3.wire import TopCutter
from harness.server.store import NoSuchMessage, StoreError

NO_SUCH_MESSAGE = "no such message"
NEEDS_UTF8 = "message has UTF-8 header fields; use the UTF8 command first"


def maildrop_of(session: Pop3Session) -> Maildrop:
    # The core allows these commands only in TRANSACTION, entered with a maildrop.
    assert session.maildrop is not None
    return session.maildrop


async def on_stat(session: Pop3Session, command: Stat) -> None:
    count, octets = maildrop_of(session).stat()
    await session.ok(f"{count} {octets}")  # exactly two numbers (POP3-STAT)


async def on_list(session: Pop3Session, command: List) -> None:
    maildrop = maildrop_of(session)
    if command.msg is not None:
        message = maildrop.get(command.msg)
        if message is None:
            await session.err(NO_SUCH_MESSAGE)
        else:
            await session.ok(f"{message.number} {message.size}")
        return
    count, octets = maildrop.stat()
    listing = [ScanListing(m.number, m.size) for m in maildrop.present()]
    await session.reply_all([Ok(f"{count} messages ({octets} octets)"), *listing, MultilineEnd()])


async def on_uidl(session: Pop3Session, command: Uidl) -> None:
    maildrop = maildrop_of(session)
    if command.msg is not None:
        message = maildrop.get(command.msg)
        if message is None:
            await session.err(NO_SUCH_MESSAGE)
        else:
            await session.ok(f"{message.number} {message.uidl}")
        return
    listing = [UniqueIdListing(m.number, m.uidl) for m in maildrop.present()]
    await session.reply_all([Ok("unique-id listing follows"), *listing, MultilineEnd()])


async def on_retr(session: Pop3Session, command: Retr) -> None:
    message = await _sendable(session, command.msg)
    if message is None:
        return
    chunks = maildrop_of(session).content(message)
    if await send_message(session, message, chunks, f"{message.size} octets"):
        session.record.message("retrieved", uid=message.uid, size=message.size)


async def on_top(session: Pop3Session, command: Top) -> None:
    message = await _sendable(session, command.msg)
    if message is None:
        return
    chunks = _cut(maildrop_of(session).content(message), TopCutter(command.lines))
    await send_message(session, message, chunks, "top of message follows")


async def _sendable(session: Pop3Session, number: int) -> DropMessage | None:
    """Message ``number`` if it may be sent now; else None, the -ERR sent."""
    message = maildrop_of(session).get(number)
    if message is None:
        await session.err(NO_SUCH_MESSAGE)
    elif message.utf8_header and not session.conn.session.utf8:
        # RFC 6856 §2.1: "the server MUST either send the client a surrogate
        # message ... or fail the request with an -ERR response".
        await session.err(NEEDS_UTF8, UTF8)
        return None
    return message


async def _cut(
    chunks: AsyncGenerator[bytes, None], cutter: TopCutter
) -> AsyncGenerator[bytes, None]:
    async with aclosing(chunks):
        async for chunk in chunks:
            part = cutter.feed(chunk)
            if part:
                yield part
            if cutter.done:
                return


async def send_message(
    session: Pop3Session, message: DropMessage, chunks: AsyncGenerator[bytes, None], text: str
) -> bool:
    """+OK, the (stuffed) message, "."; or -ERR if the store no longer has it."""
    async with aclosing(chunks):
        try:
            first = await anext(chunks, b"")
        except NoSuchMessage:
            await session.err(f"{NO_SUCH_MESSAGE}: removed by another session", SYS_TEMP)
            return False
        await session.reply_all([Ok(text), MessageData(first)])
        async for chunk in chunks:
            await session.reply(MessageData(chunk))
    await session.reply(MultilineEnd())
    return True


async def on_dele(session: Pop3Session, command: Dele) -> None:
    if maildrop_of(session).delete(command.msg):
        await session.ok(f"message {command.msg} deleted")
    else:
        await session.err(NO_SUCH_MESSAGE)


async def on_noop(session: Pop3Session, command: Noop) -> None:
    await session.ok()


async def on_rset(session: Pop3Session, command: Rset) -> None:
    maildrop = maildrop_of(session)
    maildrop.reset()
    count, octets = maildrop.stat()
    await session.ok(f"maildrop has {count} messages ({octets} octets)")


async def on_quit(session: Pop3Session, command: Quit) -> None:
    goodbye = f"{session.ctx.hostname} mailharness POP3 server signing off"
    if session.conn.state is not State.UPDATE:  # QUIT in AUTHORIZATION (RFC 1939 §4)
        session.record.result = "quit"
        await session.ok(goodbye)
        return
    try:
        removed = await maildrop_of(session).commit()
    except StoreError as exc:
        session.record.result = f"quit: update failed: {exc}"
        await session.err("some deleted messages not removed", SYS_TEMP)
        return
    session.record.result = "quit"
    if removed:
        session.record.message("deleted", uids=",".join(map(str, removed)), count=len(removed))
    await session.ok(f"{goodbye} ({len(removed)} messages deleted)")


TRANSACTION_COMMANDS: dict[type[Command], CommandHandler] = {
    Stat: on_stat,
    List: on_list,
    Uidl: on_uidl,
    Retr: on_retr,
    Top: on_top,
    Dele: on_dele,
    Noop: on_noop,
    Rset: on_rset,
    Quit: on_quit,
    **CAPABILITY_COMMANDS,
}
