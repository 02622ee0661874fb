"""Commands valid in AUTHORIZATION and TRANSACTION: CAPA (RFC 2449 §5) and LANG
(RFC 6856 §3), with the listing lines they answer with.

RFC 2449 §9:

    capa       = "CAPA"
    capability = capa-tag *(SP param) CRLF     ; 512 octets maximum
    capa-tag   = 1*cchar
    param      = 1*pchar
    cchar      = %x21-2D / %x2F-7F             ; printable ASCII, excluding "."
    pchar      = %x21-7F                       ; printable ASCII

RFC 6856 §3:

    lang      = "LANG" [SP lang-range]         ; "*" or a language tag
    lang-line = language-tag SP description CRLF   ; the listing after +OK to LANG

RFC 2449 §5: "The capability list ... MAY change" with the state: a client
re-issues CAPA after login and after STLS (RFC 2595 §4).
"""

from __future__ import annotations

import re

from harness.protocols.pop3.events import Capa, Capability, Command, Lang, LanguageListing
from harness.protocols.pop3.grammar import (
    CommandSyntaxError,
    arity,
    command_line,
    no_arguments,
    params,
)
from harness.protocols.pop3.text import NO_CONTROLS, VCHAR, decode, encode_checked

# Capability tags the harness knows (RFC 2449 §6, RFC 2595, RFC 5034, RFC 6856).
TOP = "TOP"
USER = "USER"
SASL = "SASL"
RESP_CODES = "RESP-CODES"
LOGIN_DELAY = "LOGIN-DELAY"
PIPELINING = "PIPELINING"
EXPIRE = "EXPIRE"
UIDL = "UIDL"
IMPLEMENTATION = "IMPLEMENTATION"
STLS = "STLS"
AUTH_RESP_CODE = "AUTH-RESP-CODE"
UTF8 = "UTF8"
LANG = "LANG"

_CAPA_TAG = re.compile(rb"[\x21-\x2d\x2f-\x7f]+")
_PARAM = re.compile(rb"[\x21-\x7f]+")
_LANG_TAG = re.compile(rb"[\x21-\x2d\x2f-\x7e][\x21-\x7e]*")


def parse_capa(args: bytes | None, utf8: bool) -> Command:
    no_arguments("CAPA")(args, utf8)
    return Capa()


def parse_lang(args: bytes | None, utf8: bool) -> Command:
    parts = arity("LANG", params(args, utf8=False), 0, 1)
    return Lang(parts[0].decode("ascii") if parts else None)


def format_lang(command: Lang, utf8: bool) -> bytes:
    if command.language is None:
        return command_line("LANG")
    return command_line("LANG", encode_checked(command.language, VCHAR, "language"))


def parse_capability(line: bytes) -> Capability:
    """A CAPA listing line (without CRLF)."""
    tag, *args = line.split(b" ")
    if not _CAPA_TAG.fullmatch(tag) or not all(_PARAM.fullmatch(arg) for arg in args):
        raise CommandSyntaxError("capability lines are capa-tag *(SP param) (RFC 2449 section 9)")
    return Capability(tag.decode("ascii"), tuple(arg.decode("ascii") for arg in args))


def format_capability(capability: Capability) -> bytes:
    tag = encode_checked(capability.name, _CAPA_TAG, "capability tag")
    args = [encode_checked(arg, _PARAM, "capability parameter") for arg in capability.args]
    return b" ".join((tag, *args))


def parse_language_listing(line: bytes) -> LanguageListing:
    """A LANG listing line: language tag, SP, free-text description."""
    tag, _, description = line.partition(b" ")
    if not _LANG_TAG.fullmatch(tag) or not NO_CONTROLS.fullmatch(description):
        raise CommandSyntaxError("LANG listing lines are language-tag SP description")
    return LanguageListing(tag.decode("ascii"), decode(description))


def format_language_listing(listing: LanguageListing) -> bytes:
    tag = encode_checked(listing.tag, _LANG_TAG, "language tag")
    description = encode_checked(listing.description, NO_CONTROLS, "description")
    return tag + (b" " + description if description else b"")
