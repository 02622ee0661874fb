"""The SMTP sans-IO core (RFC 5321 with PIPELINING, SIZE, 8BITMIME, CHUNKING,
BINARYMIME, DSN, SMTPUTF8, STARTTLS, AUTH and ENHANCEDSTATUSCODES).

``SMTPConnection`` in either role; the events it yields and accepts
(events.py); paths and parameters as values (address.py, params.py); the
grammar (grammar.py, commands.py), replies and their decoder (replies.py),
the EHLO reply (ehlo.py), the one state table (state.py) and the DATA, BDAT
and AUTH sub-dialogues (phases.py).
"""

from harness.protocols.smtp.address import NULL_PATH, Address, Path, PathSyntaxError
from harness.protocols.smtp.client import ClientConnection
from harness.protocols.smtp.commands import CommandParser, format_command
from harness.protocols.smtp.connection import SMTPConnection
from harness.protocols.smtp.ehlo import EhloInfo, ehlo_reply, parse_ehlo_reply
from harness.protocols.smtp.events import (
    Auth,
    AuthLine,
    Bdat,
    BdatChunk,
    ChunkEnd,
    ConnectionClosed,
    Data,
    Ehlo,
    EnhancedStatus,
    Event,
    Expn,
    Helo,
    Help,
    MailFrom,
    MessageData,
    MessageEnd,
    Noop,
    Quit,
    RcptTo,
    Reply,
    Rset,
    StartTLS,
    Vrfy,
)
from harness.protocols.smtp.limits import SMTPLimits, SMTPPolicy
from harness.protocols.smtp.params import MailParams, RcptParams, xtext_decode, xtext_encode
from harness.protocols.smtp.replies import (
    ReplyDecoder,
    auth_challenge,
    decode_challenge,
    format_reply,
    parse_enhanced_status,
    reply,
)
from harness.protocols.smtp.server import ServerConnection
from harness.protocols.smtp.state import State

__all__ = [
    "NULL_PATH",
    "Address",
    "Auth",
    "AuthLine",
    "Bdat",
    "BdatChunk",
    "ChunkEnd",
    "ClientConnection",
    "CommandParser",
    "ConnectionClosed",
    "Data",
    "Ehlo",
    "EhloInfo",
    "EnhancedStatus",
    "Event",
    "Expn",
    "Helo",
    "Help",
    "MailFrom",
    "MailParams",
    "MessageData",
    "MessageEnd",
    "Noop",
    "Path",
    "PathSyntaxError",
    "Quit",
    "RcptParams",
    "RcptTo",
    "Reply",
    "ReplyDecoder",
    "Rset",
    "SMTPConnection",
    "SMTPLimits",
    "SMTPPolicy",
    "ServerConnection",
    "StartTLS",
    "State",
    "Vrfy",
    "auth_challenge",
    "decode_challenge",
    "ehlo_reply",
    "format_command",
    "format_reply",
    "parse_ehlo_reply",
    "parse_enhanced_status",
    "reply",
    "xtext_decode",
    "xtext_encode",
]
