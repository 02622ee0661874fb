"""Replies: building them, writing them, and reading them back.

RFC 5321 §4.2:

    Reply-line = *( Reply-code "-" [ textstring ] CRLF )
                 Reply-code [ SP textstring ] CRLF
    Reply-code = %x32-35 %x30-35 %x30-39
    textstring = 1*(%d09 / %d32-126) ; HT, SP, Printable US-ASCII

§4.2.1: in a multi-line reply "each line ... MUST have the same code", and
the last line uses SP. RFC 2034 §4 puts the enhanced status code (RFC 3463)
after the code on every line of a 2xx/4xx/5xx reply.

``ReplyDecoder`` is the reply reader the client core, the conformance
runner and the pcap analyser share: bytes in, ``Reply`` values out, no
knowledge of which command was sent.
"""

from __future__ import annotations

import binascii
import re

from harness.protocols.common import LineBuffer, LineTooLong, RemoteProtocolError
from harness.protocols.smtp.events import EnhancedStatus, Reply

_ESC_RE = re.compile("([245])\\.([0-9]{1,3})\\.([0-9]{1,3})(?: |$)")
# Reply-code [ ( SP / "-" ) textstring ], the text without C0 controls but HT, or DEL
_LINE_RE = re.compile(b"([2-5][0-5][0-9])(?:([ -])([^\\x00-\\x08\\x0a-\\x1f\\x7f]*))?")


def parse_enhanced_status(text: str) -> EnhancedStatus | None:
    """The RFC 3463 status code at the start of ``text``, if there is one."""
    match = _ESC_RE.match(text)
    if match is None:
        return None
    return EnhancedStatus(int(match[1]), int(match[2]), int(match[3]))


def reply(code: int, text: str = "", status: str | None = None) -> Reply:
    """Build a reply; ``text`` may hold "\\n" for a multi-line reply.

    ``status`` is an enhanced status code such as "2.1.0".
    """
    enhanced = None
    if status is not None:
        enhanced = parse_enhanced_status(status)
        if enhanced is None or _ESC_RE.fullmatch(status) is None:
            raise ValueError(f"not an enhanced status code: {status!r}")
    return Reply(code, tuple(text.split("\n")), enhanced)


def auth_challenge(data: bytes) -> Reply:
    """A 334 SASL challenge (RFC 4954 §4); empty data gives "334 " with its SP."""
    return Reply(334, (binascii.b2a_base64(data, newline=False).decode("ascii"),))


def decode_challenge(event: Reply) -> bytes:
    """The data of a 334 challenge; RemoteProtocolError if it is not base64."""
    try:
        return binascii.a2b_base64(event.lines[0].encode("ascii"), strict_mode=True)
    except (binascii.Error, UnicodeEncodeError):
        raise RemoteProtocolError(f"334 challenge is not base64: {event.lines[0][:40]!r}") from None


def format_reply(event: Reply) -> bytes:
    """Serialise a reply. An empty last line is "DDD" alone, except 334.

    RFC 4954 §4 writes the empty challenge as "334 " (continue-req = "334"
    SP [base64] CRLF), so a 334 always keeps its SP.
    """
    code = event.code
    prefix = "" if event.enhanced is None else f"{event.enhanced} "
    lines = event.lines
    out = [f"{code}-{prefix}{text}\r\n" for text in lines[:-1]]
    last = prefix + lines[-1]
    if last or code == 334:
        out.append(f"{code} {last}\r\n")
    else:
        out.append(f"{code}\r\n")
    return "".join(out).encode("utf-8", "surrogateescape")


def check_reply(event: Reply) -> None:
    """Raise ValueError unless ``event`` can be written as a valid reply."""
    if not 200 <= event.code <= 559 or event.code % 100 > 59:
        raise ValueError(f"reply code {event.code} outside 200-559")
    if not event.lines:
        raise ValueError("a reply needs at least one line")
    for text in event.lines:
        if "\r" in text or "\n" in text:
            raise ValueError("reply text may not hold CR or LF")
    if event.enhanced is not None and event.enhanced.class_ != event.code // 100:
        raise ValueError(f"enhanced status {event.enhanced} does not match {event.code}")


_STATUS_CACHE: dict[str, EnhancedStatus] = {}  # few distinct codes: parse each once


def _status(esc: str) -> EnhancedStatus:
    status = _STATUS_CACHE.get(esc)
    if status is None:
        if len(_STATUS_CACHE) >= 4096:
            _STATUS_CACHE.clear()
        class_, subject, detail = esc.split(".")
        status = _STATUS_CACHE[esc] = EnhancedStatus(int(class_), int(subject), int(detail))
    return status


def _split_enhanced(code: int, texts: list[str]) -> tuple[tuple[str, ...], EnhancedStatus | None]:
    """RFC 2034 §4: the status code follows the reply code on every line."""
    first = _ESC_RE.match(texts[0])
    if first is None or int(first[1]) != code // 100:  # also: never on 3xx
        return tuple(texts), None
    cut = first.end(3)
    esc = texts[0][:cut]
    if len(texts) == 1:
        return (texts[0][cut + 1 :],), _status(esc)
    if not all(text == esc or text.startswith(esc + " ") for text in texts):
        return tuple(texts), None
    return tuple(text[cut + 1 :] for text in texts), _status(esc)


class ReplyDecoder:
    """Reads replies from a byte stream, one complete reply at a time.

    Framing is bounded (``max_line`` per line, ``max_lines`` per reply); a
    malformed line raises ``RemoteProtocolError`` and drops the reply being
    collected, after which decoding resumes at the next line.
    """

    def __init__(
        self, max_line: int = 16384, max_lines: int = 1000, accept_bare_lf: bool = False
    ) -> None:
        self.lines = LineBuffer(max_line)
        self.max_lines = max_lines
        self.accept_bare_lf = accept_bare_lf
        self._code = b""
        self._texts: list[str] = []

    def feed(self, data: bytes) -> None:
        self.lines.feed(data)

    @property
    def in_reply(self) -> bool:
        """Some lines of a multi-line reply have arrived, not its last one."""
        return bool(self._texts)

    def next_reply(self) -> Reply | None:
        """The next complete reply, or None until more bytes arrive."""
        while True:
            try:
                line = self.lines.next_line()
            except LineTooLong as exc:
                self._abandon()
                raise RemoteProtocolError(f"reply line longer than {exc.limit} octets") from None
            if line is None:
                return None
            done = self._add_line(line)
            if done is not None:
                return done

    def _add_line(self, line: bytes) -> Reply | None:
        if line.endswith(b"\r\n"):
            body = line[:-2]
        elif self.accept_bare_lf:
            body = line[:-1]
        else:
            self._abandon()
            raise RemoteProtocolError("reply line ended by a bare LF")
        match = _LINE_RE.fullmatch(body)
        if match is None:
            self._abandon()
            raise RemoteProtocolError(f"malformed reply line {body[:40]!r}")
        code, sep, text = match.groups()
        if self._texts and code != self._code:
            self._abandon()
            raise RemoteProtocolError("multi-line reply changes its code (RFC 5321 section 4.2.1)")
        self._code = code
        self._texts.append(text.decode("utf-8", "surrogateescape") if text else "")
        if sep == b"-":
            if len(self._texts) >= self.max_lines:
                self._abandon()
                raise RemoteProtocolError(f"reply longer than {self.max_lines} lines", fatal=True)
            return None
        texts, self._texts = self._texts, []
        number = int(code)
        lines, enhanced = _split_enhanced(number, texts)
        return Reply(number, lines, enhanced)

    def _abandon(self) -> None:
        self._texts = []


def _fixed(code: int, status: str, text: str) -> bytes:
    return f"{code} {status} {text}\r\n".encode()


# The replies the server core answers by itself (RemoteProtocolError.reply).
UNRECOGNIZED = _fixed(500, "5.5.2", "Syntax error, command unrecognized")
LINE_TOO_LONG = _fixed(500, "5.5.2", "Line too long")
BARE_LF_COMMAND = _fixed(500, "5.5.2", "Command line must end with CRLF")
BAD_ENCODING = _fixed(500, "5.5.2", "Command line is not valid UTF-8")
BAD_ARGUMENTS = _fixed(501, "5.5.4", "Syntax error in parameters or arguments")
BAD_SENDER = _fixed(501, "5.1.7", "Bad sender address syntax")
BAD_RECIPIENT = _fixed(501, "5.1.3", "Bad recipient address syntax")
NOT_IMPLEMENTED = _fixed(502, "5.5.1", "Command not implemented")
BAD_SEQUENCE = _fixed(503, "5.5.1", "Bad sequence of commands")
NEED_HELO = _fixed(503, "5.5.1", "Send HELO or EHLO first")
NO_VALID_RECIPIENTS = _fixed(554, "5.5.1", "No valid recipients")
PARAM_NOT_RECOGNIZED = _fixed(
    555, "5.5.4", "MAIL FROM/RCPT TO parameters not recognized or not implemented"
)
BINARYMIME_NEEDS_BDAT = _fixed(503, "5.5.1", "BODY=BINARYMIME requires BDAT")
TOO_MANY_RECIPIENTS = _fixed(452, "4.5.3", "Too many recipients")
SIZE_EXCEEDED = _fixed(552, "5.3.4", "Message size exceeds fixed maximum message size")
BARE_NEWLINE_DATA = _fixed(550, "5.6.0", "Message contains bare CR or bare LF")
LONG_TEXT_LINE = _fixed(500, "5.5.2", "Message text line too long")
UTF8_SENDER = _fixed(550, "5.6.7", "Non-ASCII address requires SMTPUTF8")
UTF8_RECIPIENT = _fixed(553, "5.6.7", "Non-ASCII address requires SMTPUTF8")
AUTH_MECHANISM = _fixed(504, "5.5.4", "Unrecognized authentication type")
STARTTLS_FIRST = _fixed(530, "5.7.0", "Must issue a STARTTLS command first")  # RFC 3207 §4
AUTH_NEEDS_TLS = STARTTLS_FIRST
AUTH_BAD_BASE64 = _fixed(501, "5.5.2", "Cannot decode base64")
AUTH_LINE_TOO_LONG = _fixed(500, "5.5.6", "Authentication exchange line is too long")
REFUSED_SESSION = _fixed(503, "5.5.1", "Session refused, only QUIT is accepted")
