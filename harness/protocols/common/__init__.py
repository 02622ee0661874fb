"""Pieces every protocol core shares: roles, the NEED_DATA sentinel, the error
types (which carry the reply a server should send), bounded CRLF line framing,
and the dot-stuffing codec used by SMTP DATA and POP3 multi-line responses."""

from harness.protocols.common.dotstuff import DotStuffDecoder, dot_stuff
from harness.protocols.common.errors import (
    LocalProtocolError,
    ProtocolError,
    RemoteProtocolError,
)
from harness.protocols.common.lines import LineBuffer, LineTooLong
from harness.protocols.common.roles import NEED_DATA, NeedData, Role

__all__ = [
    "NEED_DATA",
    "DotStuffDecoder",
    "LineBuffer",
    "LineTooLong",
    "LocalProtocolError",
    "NeedData",
    "ProtocolError",
    "RemoteProtocolError",
    "Role",
    "dot_stuff",
]
