"""MAIL and RCPT parameters (RFC 5321 §4.1.2 esmtp-param) and the extensions
that define them.

    Mail-parameters = esmtp-param *(SP esmtp-param)
    esmtp-param     = esmtp-keyword ["=" esmtp-value]

Known keywords are parsed into typed fields and validated; a keyword no
extension defines is "not recognized" (RFC 5321 §4.1.1.11: 555), a known
keyword with a bad value or given twice is a syntax error (501).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container
from dataclasses import dataclass, field
from typing import Any

# xtext = *( xchar / hexchar )                           (RFC 3461 §4)
# xchar = any ASCII CHAR between "!" (33) and "~" (126) inclusive, except "+" and "="
# hexchar = ASCII "+" immediately followed by two upper case hexadecimal digits
_XTEXT_RE = re.compile("(?:[\\x21-\\x2a\\x2c-\\x3c\\x3e-\\x7e]|\\+[0-9A-F]{2})*")
_HEXCHAR_RE = re.compile("\\+([0-9A-F]{2})")
_ADDR_TYPE_RE = re.compile("[A-Za-z0-9!#$%&'*+\\-/=?^_`{|}~]+")  # addr-type = atom

BODY_TYPES = frozenset({"7BIT", "8BITMIME", "BINARYMIME"})
RET_TYPES = frozenset({"FULL", "HDRS"})
NOTIFY_TYPES = frozenset({"SUCCESS", "FAILURE", "DELAY"})


class ParamError(ValueError):
    """A parameter is unknown (``unknown``: 555) or malformed (501)."""

    def __init__(self, message: str, *, unknown: bool = False) -> None:
        super().__init__(message)
        self.unknown = unknown


def xtext_encode(text: str) -> str:
    """Encode as xtext: "+", "=", controls, SP and non-ASCII become +HH."""
    out: list[str] = []
    for ch in text:
        if "!" <= ch <= "~" and ch not in "+=":
            out.append(ch)
        else:
            out.extend(f"+{byte:02X}" for byte in ch.encode())
    return "".join(out)


def xtext_decode(value: str) -> str:
    if _XTEXT_RE.fullmatch(value) is None:
        raise ParamError(f"not xtext: {value!r}")
    if "+" not in value:
        return value
    raw = _HEXCHAR_RE.sub(lambda m: chr(int(m.group(1), 16)), value)
    try:
        return raw.encode("latin-1").decode()
    except UnicodeDecodeError:
        raise ParamError(f"xtext is not UTF-8: {value!r}") from None


@dataclass(frozen=True, slots=True)
class MailParams:
    """MAIL FROM parameters.

    ``size`` (RFC 1870), ``body`` "7BIT"/"8BITMIME" (RFC 6152) or "BINARYMIME"
    (RFC 3030), ``smtputf8`` (RFC 6531), ``ret`` "FULL"/"HDRS" and ``envid``
    (RFC 3461, xtext-decoded), ``auth`` (RFC 4954 §5, decoded mailbox or "<>"),
    ``extra``: other keywords the server was configured to accept.
    """

    size: int | None = None
    body: str | None = None
    smtputf8: bool = False
    ret: str | None = None
    envid: str | None = None
    auth: str | None = None
    extra: tuple[tuple[str, str | None], ...] = field(default=())

    def to_wire(self) -> str:
        """The parameters as sent after the path, each preceded by SP."""
        words: list[str] = []
        if self.size is not None:
            words.append(f"SIZE={self.size}")
        if self.body is not None:
            words.append(f"BODY={self.body}")
        if self.smtputf8:
            words.append("SMTPUTF8")
        if self.ret is not None:
            words.append(f"RET={self.ret}")
        if self.envid is not None:
            words.append(f"ENVID={xtext_encode(self.envid)}")
        if self.auth is not None:
            words.append("AUTH=<>" if self.auth == "<>" else f"AUTH={xtext_encode(self.auth)}")
        words.extend(_extra_words(self.extra))
        return "".join(" " + word for word in words)


@dataclass(frozen=True, slots=True)
class RcptParams:
    """RCPT TO parameters: ``notify`` and ``orcpt`` (RFC 3461), and ``extra``.

    ``notify`` is ("NEVER",) or a tuple of "SUCCESS"/"FAILURE"/"DELAY";
    ``orcpt`` is (addr-type, decoded address).
    """

    notify: tuple[str, ...] | None = None
    orcpt: tuple[str, str] | None = None
    extra: tuple[tuple[str, str | None], ...] = field(default=())

    def to_wire(self) -> str:
        words: list[str] = []
        if self.notify is not None:
            words.append("NOTIFY=" + ",".join(self.notify))
        if self.orcpt is not None:
            words.append(f"ORCPT={self.orcpt[0]};{xtext_encode(self.orcpt[1])}")
        words.extend(_extra_words(self.extra))
        return "".join(" " + word for word in words)


EMPTY_MAIL_PARAMS = MailParams()
EMPTY_RCPT_PARAMS = RcptParams()


def _extra_words(extra: tuple[tuple[str, str | None], ...]) -> list[str]:
    return [key if value is None else f"{key}={value}" for key, value in extra]


def _no_value(key: str, value: str | None) -> bool:
    # RFC 6531 §3.4: "SMTPUTF8" has no value
    if value is not None:
        raise ParamError(f"{key} takes no value")
    return True


def _size(key: str, value: str | None) -> int:
    # size-value ::= 1*20DIGIT (RFC 1870 §4); isascii: "²".isdigit() is True
    if value is None or not (value.isascii() and value.isdigit()) or len(value) > 20:
        raise ParamError("SIZE needs 1*20DIGIT")
    return int(value)


def _choice(allowed: frozenset[str]) -> Callable[[str, str | None], str]:
    def parse(key: str, value: str | None) -> str:
        # isascii: "8bıtmıme".upper() == "8BITMIME" must not pass
        if value is None or not value.isascii() or value.upper() not in allowed:
            raise ParamError(f"{key} must be one of {', '.join(sorted(allowed))}")
        return value.upper()

    return parse


def _envid(key: str, value: str | None) -> str:
    # RFC 3461 §4.4: printable US-ASCII, at most 100 characters
    decoded = xtext_decode(value or "")
    if not decoded or len(decoded) > 100 or not decoded.isascii() or not decoded.isprintable():
        raise ParamError("ENVID must be 1 to 100 printable ASCII characters")
    return decoded


def _auth(key: str, value: str | None) -> str:
    # RFC 4954 §5: "AUTH=" xtext / "AUTH=<>"
    if value == "<>":
        return value
    decoded = xtext_decode(value or "")
    if not decoded:
        raise ParamError("AUTH= needs a mailbox or <>")
    return decoded


def _notify(key: str, value: str | None) -> tuple[str, ...]:
    # notify-esmtp-value = "NEVER" / 1#notify-list-element   (RFC 3461 §4.1)
    if not (value or "").isascii():
        raise ParamError("NOTIFY values are ASCII keywords")
    items = tuple(item.upper() for item in (value or "").split(","))
    if items == ("NEVER",):
        return items
    if not all(item in NOTIFY_TYPES for item in items) or len(set(items)) != len(items):
        raise ParamError("NOTIFY must be NEVER or a list of SUCCESS, FAILURE, DELAY")
    return items


def _orcpt(key: str, value: str | None) -> tuple[str, str]:
    # orcpt-parameter = "ORCPT=" original-recipient-address   (RFC 3461 §4.2)
    # original-recipient-address = addr-type ";" xtext ; at most 500 characters
    addr_type, semi, address = (value or "").partition(";")
    if not semi or _ADDR_TYPE_RE.fullmatch(addr_type) is None or len(value or "") > 500:
        raise ParamError("ORCPT must be addr-type;xtext, at most 500 characters")
    decoded = xtext_decode(address)
    if not decoded:
        raise ParamError("ORCPT needs an address")
    return addr_type, decoded


_Parser = Callable[[str, str | None], Any]
# keyword -> (field, value parser, the EHLO keyword that must have been advertised)
KeywordTable = dict[str, tuple[str, _Parser, str]]
MAIL_KEYWORDS: KeywordTable = {
    "SIZE": ("size", _size, "SIZE"),
    "BODY": ("body", _choice(BODY_TYPES), "8BITMIME"),
    "SMTPUTF8": ("smtputf8", _no_value, "SMTPUTF8"),
    "RET": ("ret", _choice(RET_TYPES), "DSN"),
    "ENVID": ("envid", _envid, "DSN"),
    "AUTH": ("auth", _auth, "AUTH"),
}
RCPT_KEYWORDS: KeywordTable = {
    "NOTIFY": ("notify", _notify, "DSN"),
    "ORCPT": ("orcpt", _orcpt, "DSN"),
}


def parse_params(
    words: list[tuple[str, str | None]],
    keywords: KeywordTable,
    advertised: Container[str] | None,
    extra_allowed: Container[str],
) -> dict[str, Any]:
    """Parse (keyword, value) pairs into constructor arguments.

    ``advertised`` (the server's EHLO keywords) refuses parameters of
    extensions that were not offered; None skips that check (client role).
    """
    fields: dict[str, Any] = {}
    extra: list[tuple[str, str | None]] = []
    for key, value in words:
        upper = key.upper()
        known = keywords.get(upper)
        if known is None:
            if upper not in extra_allowed:
                raise ParamError(f"parameter {upper} not recognized", unknown=True)
            extra.append((upper, value))
            continue
        name, parse, extension = known
        if advertised is not None and extension not in advertised:
            raise ParamError(f"parameter {upper} needs {extension}", unknown=True)
        if name in fields:
            raise ParamError(f"parameter {upper} given twice")
        fields[name] = parse(upper, value)
    if (
        fields.get("body") == "BINARYMIME"
        and advertised is not None
        and "BINARYMIME" not in advertised
    ):
        raise ParamError("BODY=BINARYMIME needs BINARYMIME", unknown=True)
    if extra:
        fields["extra"] = tuple(extra)
    return fields
