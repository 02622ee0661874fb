"""One POP3 server session: ``handle`` is the reference server's POP3 handler.

The sans-IO core (``harness.protocols.pop3``) owns the grammar and the state
table; this module drives it over the connection in the order its docstring
gives: greeting first, then one event at a time, each answered completely
before the core yields the next (so pipelined commands, RFC 2449 §6.6, come
out in order). A line the core refuses carries its ``-ERR`` reply, which is
written, and the session goes on (RFC 1939 §3). The commands themselves are
answered in ``authorization`` and ``transaction``, grouped by RFC 1939 state.

Time limits: the idle timeout (``limits.pop3_idle_timeout``, RFC 1939 §3:
at least 10 minutes) bounds waiting for a command, and the same figure bounds
answering one, so a client that stops reading a RETR cannot hold the session.
Expiry never enters UPDATE: nothing is deleted (RFC 1939 §3, §6).
"""

from __future__ import annotations

import trio

from harness.net.stream import PeerClosed
from harness.protocols.pop3 import SYS_TEMP, Command, Err
from harness.server.config import ListenerConfig
from harness.server.context import ServerContext
from harness.server.listeners import ClientInfo
from harness.server.pop3.authorization import AUTHORIZATION_COMMANDS
from harness.server.pop3.session_state import CommandHandler, Pop3Session
from harness.server.pop3.transaction import TRANSACTION_COMMANDS

CLOSE_TIMEOUT = 5.0  # a client that stops reading cannot hold the close forever

COMMANDS: dict[type[Command], CommandHandler] = {
    **AUTHORIZATION_COMMANDS,
    **TRANSACTION_COMMANDS,
}


async def handle(
    stream: trio.abc.Stream, client: ClientInfo, listener: ListenerConfig, ctx: ServerContext
) -> None:
    """The POP3 session handler (``harness.server.context`` describes the contract)."""
    with ctx.log.session(listener.service, client) as record:
        session = Pop3Session(stream, client, listener, ctx, record)
        if client.over_limit:
            record.result = "refused: too many connections"
            await session.reply(Err("too many connections from your address", SYS_TEMP))
            return
        try:
            await session.run(COMMANDS)
        except trio.TooSlowError:  # IdleTimeout included
            record.result = "timeout"
        except PeerClosed:
            record.result = "closed"
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            record.result = "connection lost"
        finally:
            session.release()
            # Close the stream the session ended on: after STLS that is the TLS
            # stream, whose close sends close_notify (RFC 8446 §6.1).
            with trio.move_on_after(CLOSE_TIMEOUT):
                await session.stream.aclose()
