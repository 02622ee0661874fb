"""AUTHORIZATION state commands: USER, PASS, APOP (RFC 1939 §7), AUTH (RFC 5034),
STLS (RFC 2595 §4), UTF8 (RFC 6856 §2); and the APOP helpers.

RFC 1939 §4: "Once the TCP connection has been opened and the POP3 server has
sent the greeting, the session enters the AUTHORIZATION state."

    user    = "USER" SP name                    ; RFC 1939 §7
    pass    = "PASS" SP string                  ; may hold spaces (§7)
    apop    = "APOP" SP name SP digest          ; digest: 32 hex digits of MD5
    auth    = "AUTH" SP sasl-mech [SP (base64 / "=")]  ; RFC 5034 §4
    sasl-mech = 1*20(UPPER-ALPHA / DIGIT / "-" / "_")  ; RFC 4422 §3.1
    stls    = "STLS"                            ; RFC 2595 §4
    utf8    = "UTF8"                            ; RFC 6856 §2

PASS: RFC 1939 §7 "a POP3 server may treat spaces in the argument as part of
the password". The rest of the line is the password; 8-bit octets are taken
as they come (deployed clients send them even without UTF8).
"""

from __future__ import annotations

import hashlib
import re

from harness.protocols.common.errors import LocalProtocolError
from harness.protocols.pop3.events import Apop, Auth, Command, Pass, Stls, User, Utf8
from harness.protocols.pop3.grammar import (
    CommandSyntaxError,
    arity,
    command_line,
    no_arguments,
    params,
)
from harness.protocols.pop3.text import NO_CONTROLS, VCHAR, VCHAR_UTF8, decode, encode_checked
from harness.protocols.sasl.framing import (
    Base64Error,
    decode_initial_response,
    encode_initial_response,
)

_HEX32 = re.compile(rb"[0-9a-fA-F]{32}")
_MECH = re.compile(rb"[A-Za-z0-9_-]{1,20}")
_MECH_UPPER = re.compile(rb"[A-Z0-9_-]{1,20}")
_TIMESTAMP = re.compile(r"<[^<>\s]+@[^<>\s]+>")


def parse_user(args: bytes | None, utf8: bool) -> Command:
    (name,) = arity("USER", params(args, utf8=utf8), 1, 1)
    return User(decode(name))


def parse_pass(args: bytes | None, utf8: bool) -> Command:
    if not args or not NO_CONTROLS.fullmatch(args):
        raise CommandSyntaxError("PASS takes a password without control characters")
    return Pass(decode(args))


def parse_apop(args: bytes | None, utf8: bool) -> Command:
    name, digest = arity("APOP", params(args, utf8=utf8), 2, 2)
    if not _HEX32.fullmatch(digest):
        raise CommandSyntaxError("APOP digest must be 32 hexadecimal digits")
    return Apop(decode(name), digest.decode("ascii"))


def parse_auth(args: bytes | None, utf8: bool) -> Command:
    parts = arity("AUTH", params(args, utf8=False), 1, 2)
    if not _MECH.fullmatch(parts[0]):
        raise CommandSyntaxError("not a SASL mechanism name (RFC 4422 section 3.1)")
    initial = None
    if len(parts) == 2:
        try:
            initial = decode_initial_response(parts[1])
        except Base64Error:
            # RFC 5034 §4: "If the server cannot Base64 decode any client
            # response, it MUST reject the AUTH command with an -ERR reply."
            raise CommandSyntaxError("initial response is not base64") from None
    return Auth(parts[0].decode("ascii").upper(), initial)


def format_user(command: User, utf8: bool) -> bytes:
    return command_line("USER", encode_checked(command.name, VCHAR_UTF8 if utf8 else VCHAR, "name"))


def format_pass(command: Pass, utf8: bool) -> bytes:
    password = encode_checked(command.password, NO_CONTROLS, "password")
    if not password:
        raise LocalProtocolError("PASS needs a password")
    return command_line("PASS", password)


def format_apop(command: Apop, utf8: bool) -> bytes:
    name = encode_checked(command.name, VCHAR_UTF8 if utf8 else VCHAR, "name")
    return command_line("APOP", name, encode_checked(command.digest, _HEX32, "digest"))


def format_auth(command: Auth, utf8: bool) -> bytes:
    mechanism = encode_checked(command.mechanism, _MECH_UPPER, "SASL mechanism")
    initial = encode_initial_response(command.initial_response)
    return command_line("AUTH", mechanism, *([initial] if initial is not None else []))


def parse_stls(args: bytes | None, utf8: bool) -> Command:
    no_arguments("STLS")(args, utf8)
    return Stls()


def parse_utf8(args: bytes | None, utf8: bool) -> Command:
    no_arguments("UTF8")(args, utf8)
    return Utf8()


def apop_timestamp(greeting_text: str) -> str | None:
    """The msg-id style timestamp in a greeting (RFC 1939 §7), None if absent."""
    found = _TIMESTAMP.search(greeting_text)
    return found.group(0) if found else None


def apop_digest(timestamp: str, secret: str) -> str:
    """RFC 1939 §7: lower-case hex MD5 of the timestamp followed by the shared secret."""
    return hashlib.md5((timestamp + secret).encode("utf-8")).hexdigest()
