"""Command lines: parsing them (server role) and writing them (client role).

RFC 5321 §4.1.1 gives one production per command; each parser below quotes
its production. §2.4: "Verbs and argument values ... are not case sensitive"
(the local part excepted), so verbs, "FROM:" / "TO:" and keywords are matched
case-insensitively. Parsing is pure (no session state); the connection then
checks sequence and extension rules (state.py).

Every failure is a ``RemoteProtocolError`` whose ``reply`` is the exact reply a
server sends: 500 for an unknown verb, a bad line ending or encoding, 501 for
bad arguments, 555 for parameters nobody offered.
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Callable, Container
from typing import Any

from harness.protocols.common import RemoteProtocolError
from harness.protocols.smtp import replies as R
from harness.protocols.smtp.address import (
    NULL_PATH,
    Address,
    Path,
    PathSyntaxError,
    new_address,
    new_path,
    parse_path,
)
from harness.protocols.smtp.construct import builder2, builder_from_dict
from harness.protocols.smtp.events import (
    Auth,
    AuthLine,
    Bdat,
    Data,
    Ehlo,
    Event,
    Expn,
    Helo,
    Help,
    MailFrom,
    Noop,
    Quit,
    RcptTo,
    Rset,
    StartTLS,
    Vrfy,
)
from harness.protocols.smtp.grammar import (
    CONTROL_RE,
    DOMAIN_OR_LITERAL_RE,
    ESMTP_PARAM_RE,
    FAST_FROM_RE,
    FAST_TO_RE,
    address_literal_ok,
)
from harness.protocols.smtp.limits import SMTPLimits, SMTPPolicy
from harness.protocols.smtp.params import (
    EMPTY_MAIL_PARAMS,
    EMPTY_RCPT_PARAMS,
    MAIL_KEYWORDS,
    RCPT_KEYWORDS,
    KeywordTable,
    MailParams,
    ParamError,
    RcptParams,
    parse_params,
)

_SASL_MECH_RE = re.compile(
    "[A-Za-z0-9_-]{1,20}"
)  # sasl-mech = 1*20(UPPER-ALPHA / DIGIT / "-" / "_")
_BDAT_RE = re.compile(
    "([0-9]{1,18})(?: (LAST))?", re.IGNORECASE | re.ASCII
)  # chunk-size [SP end-marker]
_WSP = " \t"  # WSP = SP / HTAB (RFC 5234 B.1)
_DATA, _RSET, _QUIT, _STARTTLS, _NOOP = Data(), Rset(), Quit(), StartTLS(), Noop()
_new_mail, _new_rcpt = builder2(MailFrom), builder2(RcptTo)
_mail_params, _rcpt_params = builder_from_dict(MailParams), builder_from_dict(RcptParams)


def bad(reply: bytes, message: str, fatal: bool = False) -> RemoteProtocolError:
    return RemoteProtocolError(message, reply=reply, fatal=fatal)


def decode_base64(text: str) -> bytes:
    """Strict base64 (RFC 4648): RFC 4954 §4 "If the server cannot BASE64 decode
    any client response, it MUST reject the AUTH command with a 501 reply"."""
    try:
        return binascii.a2b_base64(text.encode("ascii"), strict_mode=True)
    except (binascii.Error, UnicodeEncodeError):
        raise bad(R.AUTH_BAD_BASE64, "invalid base64") from None


def encode_base64(data: bytes) -> str:
    return binascii.b2a_base64(data, newline=False).decode("ascii")


class _Anything:
    def __contains__(self, item: object) -> bool:
        return True


ANY_KEYWORD: Container[str] = _Anything()


class CommandParser:
    """Turns one command line (with its terminator) into an event."""

    def __init__(self, limits: SMTPLimits, policy: SMTPPolicy, *, any_param: bool = False) -> None:
        self.limits = limits
        self.policy = policy
        self._extra_mail: Container[str] = ANY_KEYWORD if any_param else policy.extra_mail_params
        self._extra_rcpt: Container[str] = ANY_KEYWORD if any_param else policy.extra_rcpt_params
        self._verbs: dict[str, Callable[[str], Event]] = {
            "EHLO": self._ehlo,
            "HELO": self._helo,
            "MAIL": self._mail,
            "RCPT": self._rcpt,
            "DATA": self._no_args(_DATA),
            "RSET": self._no_args(_RSET),
            "QUIT": self._no_args(_QUIT),
            "STAR": self._starttls,
            "NOOP": self._noop,
            "HELP": self._help,
            "VRFY": self._vrfy,
            "EXPN": self._expn,
            "BDAT": self._bdat,
            "AUTH": self._auth,
        }
        envelope, auth = limits.max_envelope_line, limits.max_auth_line
        self._line_limits = {"MAIL": envelope, "RCPT": envelope, "AUTH": auth}
        self._max_command = limits.max_command_line
        self._path_limits = (limits.max_local_part, limits.max_domain, limits.max_path)
        self.advertised: Container[str] | None = None  # set by the server after EHLO

    def line_text(self, line: bytes) -> str:
        """The line without its terminator, applying the bare-LF policy and decoding.

        RFC 5321 §2.3.8: lines end in CRLF; a bare LF is refused unless the
        policy accepts it. RFC 6531 allows UTF-8 in commands; anything that is
        not UTF-8 is refused.
        """
        if line.endswith(b"\r\n"):
            raw = line[:-2]
        elif self.policy.bare_lf_lines == "accept":
            raw = line[:-1]
        else:
            raise bad(R.BARE_LF_COMMAND, "command line ended by a bare LF")
        try:
            return raw.decode("ascii")
        except UnicodeDecodeError:
            pass
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise bad(R.BAD_ENCODING, "command line is not UTF-8") from None

    def parse(self, line: bytes) -> Event:
        """Parse one line; handlers get the rest after the verb, leading SP included.

        Every verb but STARTTLS has four letters, so dispatch is one dict
        lookup on the first four characters.
        """
        try:  # the common case inline: CRLF-terminated ASCII
            text = line[:-2].decode("ascii") if line.endswith(b"\r\n") else self.line_text(line)
        except UnicodeDecodeError:
            text = self.line_text(line)
        # §4.1.1: "SMTP receivers SHOULD tolerate trailing white space before the
        # terminating <CRLF>". No production ends in SP or HTAB (a String is an
        # Atom or a Quoted-string), so dropping it here changes no argument, and
        # every parser below sees the line as if it were not there.
        text = text.rstrip(_WSP)
        verb = text[:4]
        key = verb.upper()
        handler = self._verbs.get(key)
        # isascii: "maıl".upper() == "MAIL"; a verb is ASCII or it is not a verb
        if handler is None or (text[4:5] not in ("", " ") and key != "STAR") or not verb.isascii():
            raise bad(R.UNRECOGNIZED, f"unknown command {text[:20]!r}")
        if len(line) > self._max_command and len(line) > self._line_limits.get(
            key, self._max_command
        ):
            raise bad(R.LINE_TOO_LONG, f"{key} line longer than allowed")
        return handler(text[4:])

    def _starttls(self, rest: str) -> Event:
        # starttls = "STARTTLS" CRLF  (RFC 3207 §4)
        verb, sp, _ = rest.partition(" ")
        if verb.upper() != "TTLS" or not verb.isascii():
            raise bad(R.UNRECOGNIZED, f"unknown command {'STAR' + verb[:16]!r}")
        if sp:
            raise bad(R.BAD_ARGUMENTS, "STARTTLS takes no arguments")
        return _STARTTLS

    @staticmethod
    def _no_args(event: Event) -> Callable[[str], Event]:
        # data = "DATA" CRLF ; rset = "RSET" CRLF ; quit = "QUIT" CRLF
        def parse(arg: str) -> Event:
            if arg:
                raise bad(R.BAD_ARGUMENTS, "command takes no arguments")
            return event

        return parse

    def _domain(self, rest: str) -> str:
        arg = rest[1:]
        if (
            not rest.startswith(" ")
            or DOMAIN_OR_LITERAL_RE.fullmatch(arg) is None
            or len(arg) > self.limits.max_domain
            or (arg[0] == "[" and not address_literal_ok(arg))
        ):
            raise bad(R.BAD_ARGUMENTS, "expected a domain or address literal")
        return arg

    def _ehlo(self, arg: str) -> Event:
        # ehlo = "EHLO" SP ( Domain / address-literal ) CRLF
        return Ehlo(self._domain(arg))

    def _helo(self, arg: str) -> Event:
        # helo = "HELO" SP Domain CRLF  (address literals accepted: clients send them)
        return Helo(self._domain(arg))

    def _mail(self, arg: str) -> Event:
        # mail = "MAIL FROM:" Reverse-path [SP Mail-parameters] CRLF
        fast = FAST_FROM_RE.match(arg)
        if fast is not None and self._fits(fast, 6):
            path, end = new_path(new_address(fast[1], fast[2]), ()), fast.end()
        else:
            path, end = self._mail_path(arg)
        if end == len(arg):
            return _new_mail(path, EMPTY_MAIL_PARAMS)
        fields = self._params(arg, end, MAIL_KEYWORDS, self._extra_mail)
        return _new_mail(path, _mail_params(fields))

    def _rcpt(self, arg: str) -> Event:
        # rcpt = "RCPT TO:" ( "<Postmaster@" Domain ">" / "<Postmaster>" /
        #        Forward-path ) [SP Rcpt-parameters] CRLF
        fast = FAST_TO_RE.match(arg)
        if fast is not None and self._fits(fast, 4):
            path, end = new_path(new_address(fast[1], fast[2]), ()), fast.end()
        else:
            path, end = self._rcpt_path(arg)
        if end == len(arg):
            return _new_rcpt(path, EMPTY_RCPT_PARAMS)
        fields = self._params(arg, end, RCPT_KEYWORDS, self._extra_rcpt)
        return _new_rcpt(path, _rcpt_params(fields))

    def _fits(self, fast: re.Match[str], start: int) -> bool:
        """An all-ASCII path within the §4.5.3.1 limits (its lengths are octets)."""
        max_local, max_domain, max_path = self._path_limits
        return (
            fast.end() - start <= max_path
            and len(fast[1]) <= max_local
            and len(fast[2]) <= max_domain
        )

    def _mail_path(self, arg: str) -> tuple[Path, int]:
        if arg[:6].upper() != " FROM:" or not arg[:6].isascii():
            raise bad(R.BAD_ARGUMENTS, "expected MAIL FROM:<reverse-path>")
        pos = 6 if arg[6:7] != " " else self._after_colon(arg, 6)
        if arg.startswith("<>", pos):
            return NULL_PATH, pos + 2
        return self._path(arg, pos, R.BAD_SENDER)

    def _rcpt_path(self, arg: str) -> tuple[Path, int]:
        if arg[:4].upper() != " TO:" or not arg[:4].isascii():
            raise bad(R.BAD_ARGUMENTS, "expected RCPT TO:<forward-path>")
        pos = 4 if arg[4:5] != " " else self._after_colon(arg, 4)
        if arg[pos + 1 : pos + 2] in "Pp" and arg[pos : pos + 12].lower() == "<postmaster>":
            return Path(Address(arg[pos + 1 : pos + 11], "")), pos + 12
        return self._path(arg, pos, R.BAD_RECIPIENT)

    def _after_colon(self, arg: str, pos: int) -> int:
        # "MAIL FROM: <a@b>" is outside the grammar but nearly universal
        if not self.policy.strict_envelope:
            while arg[pos : pos + 1] == " ":
                pos += 1
        return pos

    def _path(self, arg: str, pos: int, reply: bytes) -> tuple[Path, int]:
        max_local, max_domain, max_path = self._path_limits
        try:
            return parse_path(arg, pos, max_local, max_domain, max_path)
        except PathSyntaxError as exc:
            raise bad(reply, str(exc)) from None

    def _params(
        self, arg: str, end: int, keywords: KeywordTable, extra: Container[str]
    ) -> dict[str, Any]:
        # Mail-parameters = esmtp-param *(SP esmtp-param)
        if arg[end] != " ":
            raise bad(R.BAD_ARGUMENTS, "expected SP after the path")
        words: list[tuple[str, str | None]] = []
        for word in arg[end + 1 :].split(" "):
            match = ESMTP_PARAM_RE.fullmatch(word)
            if match is None:
                raise bad(R.BAD_ARGUMENTS, f"malformed parameter {word[:30]!r}")
            words.append((match[1], match[2]))
        try:
            return parse_params(words, keywords, self.advertised, extra)
        except ParamError as exc:
            reply = R.PARAM_NOT_RECOGNIZED if exc.unknown else R.BAD_ARGUMENTS
            raise bad(reply, str(exc)) from None

    @staticmethod
    def _free_text(rest: str, required: bool) -> str:
        text = rest[1:]
        if (rest and rest[0] != " ") or (required and not text) or CONTROL_RE.search(text):
            raise bad(R.BAD_ARGUMENTS, "bad argument")
        return text

    def _noop(self, arg: str) -> Event:
        # noop = "NOOP" [ SP String ] CRLF  ; §4.1.1.9: the parameter is ignored
        return Noop(self._free_text(arg, False)) if arg else _NOOP

    def _help(self, arg: str) -> Event:
        # help = "HELP" [ SP String ] CRLF
        return Help(self._free_text(arg, False))

    def _vrfy(self, arg: str) -> Event:
        # vrfy = "VRFY" SP String CRLF
        return Vrfy(self._free_text(arg, True))

    def _expn(self, arg: str) -> Event:
        # expn = "EXPN" SP String CRLF
        return Expn(self._free_text(arg, True))

    def _bdat(self, arg: str) -> Event:
        # bdat-cmd = "BDAT" SP chunk-size [ SP end-marker ] CR LF   (RFC 3030 §2)
        # chunk-size = 1*DIGIT ; end-marker = "LAST"
        match = _BDAT_RE.fullmatch(arg, 1) if arg.startswith(" ") else None
        if match is None:
            # the chunk's length is unknown, so where the next command starts is too
            raise bad(R.BAD_ARGUMENTS, "BDAT needs a chunk size", fatal=True)
        return Bdat(int(match[1]), match[2] is not None)

    def _auth(self, arg: str) -> Event:
        # auth-command = "AUTH" SP sasl-mech [SP initial-response] CRLF  (RFC 4954 §4)
        # initial-response = base64 / "="
        mechanism, sp, initial = arg[1:].partition(" ")
        if (
            not arg.startswith(" ")
            or _SASL_MECH_RE.fullmatch(mechanism) is None
            or (sp and not initial)
        ):
            raise bad(R.BAD_ARGUMENTS, "AUTH needs a mechanism name")
        if not sp:
            return Auth(mechanism.upper(), None)
        response = b"" if initial == "=" else decode_base64(initial)
        if not response and initial != "=":
            raise bad(R.AUTH_BAD_BASE64, "empty initial response must be sent as =")
        return Auth(mechanism.upper(), response)


def _text_arg(verb: str, text: str) -> str:
    return f"{verb} {text}\r\n" if text else f"{verb}\r\n"


def format_command(event: Event) -> bytes:
    """The wire form of a command event (the client writes exactly this)."""
    formatter = _FORMATTERS.get(type(event))
    if formatter is None:
        raise TypeError(f"{type(event).__name__} is not a command")
    return formatter(event).encode()


def format_auth_line(event: AuthLine) -> bytes:
    if event.cancelled:
        return b"*\r\n"
    return encode_base64(event.data).encode() + b"\r\n"


def _auth_wire(event: Auth) -> str:
    if event.initial_response is None:
        return f"AUTH {event.mechanism}\r\n"
    encoded = encode_base64(event.initial_response) or "="
    return f"AUTH {event.mechanism} {encoded}\r\n"


_FORMATTERS: dict[type, Callable[..., str]] = {
    Ehlo: lambda e: f"EHLO {e.domain}\r\n",
    Helo: lambda e: f"HELO {e.domain}\r\n",
    MailFrom: lambda e: f"MAIL FROM:{e.reverse_path}{e.params.to_wire()}\r\n",
    RcptTo: lambda e: f"RCPT TO:{e.forward_path}{e.params.to_wire()}\r\n",
    Data: lambda e: "DATA\r\n",
    Rset: lambda e: "RSET\r\n",
    Quit: lambda e: "QUIT\r\n",
    StartTLS: lambda e: "STARTTLS\r\n",
    Noop: lambda e: _text_arg("NOOP", e.text),
    Help: lambda e: _text_arg("HELP", e.text),
    Vrfy: lambda e: _text_arg("VRFY", e.text),
    Expn: lambda e: _text_arg("EXPN", e.text),
    Bdat: lambda e: f"BDAT {e.size} LAST\r\n" if e.last else f"BDAT {e.size}\r\n",
    Auth: _auth_wire,
}
