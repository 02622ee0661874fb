"""Status responses and continuation requests (RFC 9051 §7.1, §7.5) and the
response codes they carry (§7.1, RFC 4315 §3, RFC 7162 §3.1, RFC 5530).

    continue-req    = "+" SP (resp-text / base64) CRLF
    response-tagged = tag SP resp-cond-state CRLF
    resp-cond-state = ("OK" / "NO" / "BAD") SP resp-text
    resp-cond-auth  = ("OK" / "PREAUTH") SP resp-text
    resp-cond-bye   = "BYE" SP resp-text
    resp-text       = ["[" resp-text-code "]" SP] [text]
    resp-text-code  = "ALERT" / "BADCHARSET" [SP "(" charset *(SP charset) ")"] /
                      capability-data / "PARSE" / "PERMANENTFLAGS" SP "("
                      [flag-perm *(SP flag-perm)] ")" / "READ-ONLY" / "READ-WRITE" /
                      "TRYCREATE" / "UIDNEXT" SP nz-number / "UIDVALIDITY" SP nz-number /
                      "UNSEEN" SP nz-number / resp-code-apnd / resp-code-copy /
                      "HIGHESTMODSEQ" SP mod-sequence-value / "NOMODSEQ" /
                      "MODIFIED" SP sequence-set / ... /
                      atom [SP 1*<any TEXT-CHAR except "]">]

RFC 9051 §7.1: "Client implementations MUST ignore response codes that they
do not recognize", so unknown codes are kept raw (name plus text), never an
error. Reading is lenient where servers differ (catalogue: empty text, no SP
after "]"); writing follows the RFC 9051 grammar exactly.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass

from harness.protocols.imap.events import Event
from harness.protocols.imap.lexer import Reader, decode
from harness.protocols.imap.values import SequenceSet
from harness.protocols.imap.writer import Writer, encode

CodeValue = (
    None
    | int
    | str
    | tuple[str, ...]
    | SequenceSet
    | tuple[int, SequenceSet]
    | tuple[int, SequenceSet, SequenceSet]
)
NUMBER_CODES = frozenset({"UIDNEXT", "UIDVALIDITY", "UNSEEN", "HIGHESTMODSEQ"})
LIST_CODES = frozenset({"CAPABILITY", "PERMANENTFLAGS", "BADCHARSET"})
_CODE_TEXT_RE = re.compile(rb"[^\]\r\n\x00]+")
_TEXT_BAD = re.compile(r"[\r\n\x00]")
TAGGED_STATUS = ("OK", "NO", "BAD")
UNTAGGED_STATUS = ("OK", "NO", "BAD", "PREAUTH", "BYE")


@dataclass(frozen=True, slots=True)
class ResponseCode:
    """A resp-text-code. ``value`` by ``name``: int for UIDNEXT, UIDVALIDITY,
    UNSEEN, HIGHESTMODSEQ; tuple of str for CAPABILITY, PERMANENTFLAGS,
    BADCHARSET; (uidvalidity, uids) for APPENDUID; (uidvalidity, source,
    destination) for COPYUID; SequenceSet for MODIFIED; None for codes without
    data; the raw text (or None) for codes this module does not know."""

    name: str
    value: CodeValue = None


@dataclass(frozen=True, slots=True)
class Continuation(Event):
    """``+ text``: the server is ready for literal octets, IDLE, or more command."""

    text: str = ""

    def encode(self, w: Writer) -> None:
        _check_text(self.text)
        w.raw(b"+ " + encode(self.text))


@dataclass(frozen=True, slots=True)
class AuthenticateChallenge(Event):
    """``+ base64``: a SASL challenge inside AUTHENTICATE (decoded here)."""

    data: bytes = b""

    def encode(self, w: Writer) -> None:
        w.raw(b"+ " + base64.b64encode(self.data))


@dataclass(frozen=True, slots=True)
class TaggedResponse(Event):
    """``tag OK|NO|BAD [code] text``: completion of the command ``tag``."""

    tag: str
    status: str
    text: str = ""
    code: ResponseCode | None = None

    def encode(self, w: Writer) -> None:
        if self.status not in TAGGED_STATUS:
            raise ValueError(f"tagged status must be OK, NO or BAD, not {self.status!r}")
        w.raw(self.tag.encode("ascii"))
        w.sp()
        write_cond(w, self.status, self.code, self.text)


@dataclass(frozen=True, slots=True)
class UntaggedStatus(Event):
    """``* OK|NO|BAD|PREAUTH|BYE [code] text`` (greeting, alerts, BYE)."""

    status: str
    text: str = ""
    code: ResponseCode | None = None

    def encode(self, w: Writer) -> None:
        if self.status not in UNTAGGED_STATUS:
            raise ValueError(f"not an untagged status: {self.status!r}")
        w.raw(b"* ")
        write_cond(w, self.status, self.code, self.text)


# -- reading -----------------------------------------------------------------


def read_resp_text(r: Reader) -> tuple[ResponseCode | None, str]:
    """resp-text after the status word's SP; lenient about the optional parts."""
    code = None
    if r.take(b"["):
        code = read_code(r)
        r.expect(b"]")
        r.take(b" ")
    text = r.text()
    return code, text


def read_cond(r: Reader) -> tuple[ResponseCode | None, str]:
    """What follows a status word: nothing, or SP resp-text."""
    if r.at_end():
        return None, ""
    r.sp()
    return read_resp_text(r)


def read_code(r: Reader) -> ResponseCode:
    name = r.keyword()
    if name in NUMBER_CODES:
        r.sp()
        return ResponseCode(name, r.number64())
    if name in LIST_CODES:
        return ResponseCode(name, _read_code_list(r, name))
    if name == "APPENDUID":
        r.sp()
        uidvalidity = r.nz_number()
        r.sp()
        return ResponseCode(name, (uidvalidity, r.sequence_set()))
    if name == "COPYUID":
        r.sp()
        uidvalidity = r.nz_number()
        r.sp()
        source = r.sequence_set()
        r.sp()
        return ResponseCode(name, (uidvalidity, source, r.sequence_set()))
    if name == "MODIFIED":
        r.sp()
        return ResponseCode(name, r.sequence_set())
    text = None
    if r.take(b" "):
        match = _CODE_TEXT_RE.match(r.line, r.pos)
        if match is None:
            r.fail("response code text")
        r.pos = match.end()
        text = decode(match[0])
    return ResponseCode(name, text)


def _read_code_list(r: Reader, name: str) -> tuple[str, ...]:
    if name == "CAPABILITY":  # capability-data = "CAPABILITY" *(SP capability)
        caps = []
        while r.take(b" "):
            caps.append(r.atom())
            r.check_items(len(caps))
        return tuple(caps)
    if name == "PERMANENTFLAGS":
        r.sp()
        return r.flag_list()
    if not r.take(b" "):  # "BADCHARSET" [SP "(" charset *(SP charset) ")"]
        return ()
    return tuple(r.paren_list(r.astring, allow_empty=False))


# -- writing -----------------------------------------------------------------


def write_cond(w: Writer, status: str, code: ResponseCode | None, text: str) -> None:
    _check_text(text)
    w.raw(status.encode("ascii"))
    if code is not None:
        w.raw(b" [")
        write_code(w, code)
        w.raw(b"] ")
    elif text:
        w.sp()
    w.raw(encode(text))


def write_code(w: Writer, code: ResponseCode) -> None:
    name, value = code.name.upper(), code.value
    w.atom(name)
    if name in NUMBER_CODES and isinstance(value, int):
        w.sp()
        w.number(value)
    elif name in LIST_CODES and isinstance(value, tuple):
        _write_code_list(w, name, value)
    elif name == "APPENDUID" and isinstance(value, tuple) and len(value) == 2:
        w.raw(b" %d " % _int(value[0]))
        w.sequence_set(_seq(value[1]))
    elif name == "COPYUID" and isinstance(value, tuple) and len(value) == 3:
        w.raw(b" %d " % _int(value[0]))
        w.sequence_set(_seq(value[1]))
        w.sp()
        w.sequence_set(_seq(value[2]))
    elif name == "MODIFIED" and isinstance(value, SequenceSet):
        w.sp()
        w.sequence_set(value)
    elif isinstance(value, str) and name not in NUMBER_CODES | LIST_CODES:
        if not value or _CODE_TEXT_RE.fullmatch(encode(value)) is None:
            raise ValueError(f"bad response code text: {value!r}")
        w.sp()
        w.raw(encode(value))
    elif value is not None or name in NUMBER_CODES or name in ("APPENDUID", "COPYUID", "MODIFIED"):
        raise ValueError(f"bad value for response code {name}: {value!r}")


def _write_code_list(w: Writer, name: str, values: tuple[object, ...]) -> None:
    items = [str(v) for v in values]
    if name == "CAPABILITY":
        for cap in items:
            w.sp()
            w.atom(cap)
    elif name == "PERMANENTFLAGS":
        w.sp()
        w.flag_list(items)
    elif items:
        w.sp()
        w.paren(items, w.astring)


def _int(value: object) -> int:
    if not isinstance(value, int):
        raise ValueError(f"expected a number, not {value!r}")
    return value


def _seq(value: object) -> SequenceSet:
    if not isinstance(value, SequenceSet):
        raise ValueError(f"expected a SequenceSet, not {value!r}")
    return value


def _check_text(text: str) -> None:
    if _TEXT_BAD.search(text):
        raise ValueError("response text cannot hold CR, LF or NUL")
    if text.startswith("["):
        raise ValueError("response text cannot start with '[' (it would read as a code)")
