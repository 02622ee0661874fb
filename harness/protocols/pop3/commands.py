"""Command lines <-> command events: the keyword table, and AUTH continuation lines.

The parsers live with the state that owns them (``authorization``,
``transaction``, ``update``, ``capabilities``); this module only dispatches.
Keywords are case-insensitive (RFC 1939 §3) and are emitted upper-case.
Whether a command is *allowed* now is the state table's business (``state``).

    auth-line = (base64 / "*") CRLF            ; RFC 5034 §4, inside AUTH
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from harness.protocols.common.errors import LocalProtocolError
from harness.protocols.pop3 import authorization as authz
from harness.protocols.pop3 import capabilities as capa
from harness.protocols.pop3 import transaction as trans
from harness.protocols.pop3.events import (
    Apop,
    Auth,
    AuthLine,
    Capa,
    Command,
    Dele,
    Lang,
    List,
    Noop,
    Pass,
    Quit,
    Retr,
    Rset,
    Stat,
    Stls,
    Top,
    Uidl,
    User,
    Utf8,
)
from harness.protocols.pop3.grammar import CommandSyntaxError, Parser, command_line
from harness.protocols.pop3.text import CRLF, VCHAR
from harness.protocols.pop3.update import parse_quit
from harness.protocols.sasl.framing import (
    CANCEL,
    Base64Error,
    decode_payload,
    encode_payload,
    is_cancel,
)

PARSERS: dict[bytes, Parser] = {
    b"USER": authz.parse_user,
    b"PASS": authz.parse_pass,
    b"APOP": authz.parse_apop,
    b"AUTH": authz.parse_auth,
    b"STLS": authz.parse_stls,
    b"UTF8": authz.parse_utf8,
    b"STAT": trans.parse_stat,
    b"LIST": trans.parse_list,
    b"RETR": trans.parse_retr,
    b"DELE": trans.parse_dele,
    b"NOOP": trans.parse_noop,
    b"RSET": trans.parse_rset,
    b"TOP": trans.parse_top,
    b"UIDL": trans.parse_uidl,
    b"CAPA": capa.parse_capa,
    b"LANG": capa.parse_lang,
    b"QUIT": parse_quit,
}


def _bare(command: Command, utf8: bool) -> bytes:
    return command_line(command.keyword)


# Each formatter takes exactly its own event type; the table keys guarantee it.
FORMATTERS: dict[type[Command], Callable[[Any, bool], bytes]] = {
    User: authz.format_user,
    Pass: authz.format_pass,
    Apop: authz.format_apop,
    Auth: authz.format_auth,
    Stls: _bare,
    Utf8: _bare,
    Stat: _bare,
    List: trans.format_optional_msg,
    Retr: trans.format_msg,
    Dele: trans.format_msg,
    Noop: _bare,
    Rset: _bare,
    Top: trans.format_top,
    Uidl: trans.format_optional_msg,
    Capa: _bare,
    Lang: capa.format_lang,
    Quit: _bare,
}


def parse_command(line: bytes, *, utf8: bool = False) -> Command:
    """A command from one line without its CRLF (CommandSyntaxError if malformed)."""
    keyword, sep, args = line.partition(b" ")
    if not 3 <= len(keyword) <= 4 or not VCHAR.fullmatch(keyword):
        raise CommandSyntaxError("a command starts with a 3 or 4 letter keyword")
    parser = PARSERS.get(keyword.upper())
    if parser is None:
        raise CommandSyntaxError(f"unknown command {keyword.decode('ascii')}")
    return parser(args if sep else None, utf8)


def format_command(command: Command, *, utf8: bool = False) -> bytes:
    """The command line for ``command``, CRLF included (LocalProtocolError if unsendable)."""
    formatter = FORMATTERS.get(type(command))
    if formatter is None:
        raise LocalProtocolError(f"{command!r} is not a POP3 command")
    return formatter(command, utf8)


def parse_auth_line(line: bytes) -> AuthLine:
    """A client line inside AUTH, without CRLF (Base64Error if undecodable)."""
    if is_cancel(line):
        return AuthLine(cancelled=True)
    return AuthLine(decode_payload(line))


def format_auth_line(line: AuthLine) -> bytes:
    if line.cancelled:
        if line.data:
            raise LocalProtocolError("a cancelled AuthLine carries no data")
        return CANCEL + CRLF
    return encode_payload(line.data) + CRLF


__all__ = [
    "Base64Error",
    "CommandSyntaxError",
    "format_auth_line",
    "format_command",
    "parse_auth_line",
    "parse_command",
]
