"""Sub-dialogues inside one command: IDLE, AUTHENTICATE, STARTTLS, and (client
role) a command waiting for "+" before its next literal.

Each phase object knows its command's tag and where the exchange stands, and
answers three questions for the connection: does a "+" continuation belong
to me (``continued``), must the server core read a bare client line now
(``awaiting_client_line``), and may the client start another command
(``blocks_new_commands``).

    idle         = "IDLE" CRLF "DONE"                        ; RFC 9051 §9
    authenticate = "AUTHENTICATE" SP auth-type [SP initial-resp] *(CRLF base64)
"""

from __future__ import annotations

import enum

from harness.protocols.imap.cmd_auth import IdleDone
from harness.protocols.imap.cmd_nonauth import (
    AuthenticationCancel,
    AuthenticationData,
    parse_sasl_line,
)
from harness.protocols.imap.lexer import ParseError


class Step(enum.Enum):
    SERVER_TURN = "the server answers next"
    CLIENT_TURN = "the client sends a line next"
    WINDING_UP = "the exchange is over, the tagged reply is still due"


class Phase:
    """Base: a phase that takes no continuation and never reads a client line."""

    def __init__(self, tag: str) -> None:
        self.tag = tag
        self.step = Step.SERVER_TURN

    def continued(self) -> bool:
        return False

    @property
    def awaiting_client_line(self) -> bool:
        return False

    @property
    def blocks_new_commands(self) -> bool:
        return True

    def client_line(self, line: bytes) -> IdleDone | AuthenticationData | AuthenticationCancel:
        raise ParseError("no client line is expected here")


class IdlePhase(Phase):
    """RFC 2177 §3: after "+ idling", only DONE; then the tagged reply."""

    def continued(self) -> bool:
        if self.step is not Step.SERVER_TURN:
            return False
        self.step = Step.CLIENT_TURN
        return True

    @property
    def awaiting_client_line(self) -> bool:
        return self.step is Step.CLIENT_TURN

    @property
    def blocks_new_commands(self) -> bool:
        # Commands may be pipelined after DONE (the OK for IDLE may come later).
        return self.step is not Step.WINDING_UP

    def client_line(self, line: bytes) -> IdleDone:
        if line.upper() != b"DONE":  # "DONE" is case-insensitive (RFC 9051 §9 rule 1)
            raise ParseError("expected DONE to end IDLE")
        self.step = Step.WINDING_UP
        return IdleDone()


class AuthenticatePhase(Phase):
    """RFC 9051 §6.2.2: challenge ("+ base64"), response line, ... tagged reply."""

    def continued(self) -> bool:
        if self.step is not Step.SERVER_TURN:
            return False
        self.step = Step.CLIENT_TURN
        return True

    @property
    def awaiting_client_line(self) -> bool:
        return self.step is Step.CLIENT_TURN

    def client_line(self, line: bytes) -> AuthenticationData | AuthenticationCancel:
        self.step = Step.SERVER_TURN
        return parse_sasl_line(line)


class StartTlsPhase(Phase):
    """RFC 9051 §6.2.1: after the tagged OK, the next octets are TLS.

    ``WINDING_UP`` here means the OK was given: anything still buffered, or
    received before ``start_tls()``, was injected and is never processed.
    """


class LiteralWait(Phase):
    """Client role: a command's remaining segments, each sent after a "+"."""

    def __init__(self, tag: str, segments: list[bytes]) -> None:
        super().__init__(tag)
        self.segments = segments
        self.ready = False

    def continued(self) -> bool:
        if self.ready:
            return False
        self.ready = True
        return True

    def next_segment(self) -> bytes:
        self.ready = False
        return self.segments.pop(0)
