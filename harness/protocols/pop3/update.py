"""QUIT, the one command that leads to the UPDATE state (RFC 1939 §6).

RFC 1939 §6: "When the client issues the QUIT command from the TRANSACTION
state, the POP3 session enters the UPDATE state." and "If a session
terminates for some reason other than a client-issued QUIT command, the POP3
session does NOT enter the UPDATE state and MUST not remove any messages from
the maildrop." QUIT in AUTHORIZATION (§4) just ends the session.

    quit = "QUIT"

The core moves to UPDATE when it yields QUIT from TRANSACTION; the server
application removes the deleted messages, answers (+OK, or -ERR "some deleted
messages not removed"), and closes. A peer close is ``ConnectionClosed`` and
never passes through UPDATE.
"""

from __future__ import annotations

from harness.protocols.pop3.events import Command, Quit
from harness.protocols.pop3.grammar import no_arguments


def parse_quit(args: bytes | None, utf8: bool) -> Command:
    no_arguments("QUIT")(args, utf8)
    return Quit()
