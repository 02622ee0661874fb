"""body-fld-param: Content-Type and Content-Disposition parameters, with RFC 2231.

RFC 2045 §5.1 and RFC 2231 §7, the parts used here::

    parameter := attribute "=" value            ; value := token / quoted-string
    regular-parameter-name := attribute [section]
    section := initial-section / other-sections ; "*0" / "*" 1-9 *DIGIT
    extended-initial-name := attribute [initial-section] "*"
    extended-other-names := attribute other-sections "*"
    extended-initial-value := [charset] "'" [language] "'" extended-other-values
    extended-other-values := *(ext-octet / attribute-char)   ; ext-octet := "%" 2HEXDIG

What a revision returns differs:

* IMAP4rev2, RFC 9051 §7.5.2: "if the message contains parameters "baz*0",
  "baz*1" and "baz*2", the server should RFC2231-decode them, concatenate and
  return the resulting value as a parameter "baz". Similarly, if the message
  contains parameters "foo*0*" and "foo*1*", the server should RFC2231-decode
  them, convert to UTF-8, concatenate and return the resulting value as a
  parameter "foo*"."
* IMAP4rev1: RFC 3501 has no such rule, and its strings are 7-bit. As Dovecot
  2.3 does, continuations are joined but a charset-encoded value stays encoded
  ("foo*" "utf-8''%C4%8C..."): still one valid RFC 2231 extended value, which
  the client decodes as it would the message's own, and no 8-bit octets.

Either way, segments whose indexes do not run 0, 1, 2... are no continuation:
each is returned as written. Regular parameters come first, then the RFC 2231
ones (Dovecot's order). Names are in lower case, as ``email`` gives them.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from email.utils import unquote
from urllib.parse import unquote_to_bytes

from harness.protocols.imap.values import Params
from harness.server.imap.mime_headers import email_text

# attribute "*" [index] ["*"]: "f*" (extended), "f*0", "f*1*" (segments)
_STARRED = re.compile(r"(?P<attribute>[^*]+)\*(?P<index>[0-9]+)?(?P<extended>\*)?")


@dataclass(frozen=True, slots=True)
class _Segment:
    index: int
    extended: bool
    value: str

    def written_name(self, attribute: str) -> str:
        return f"{attribute}*{self.index}" + ("*" if self.extended else "")


def body_params(header_value: str | None, *, rev2: bool) -> Params:
    """body-fld-param from a Content-Type or Content-Disposition field value
    (the type or disposition first, as written, then the parameters)."""
    if header_value is None:
        return ()
    regular: list[tuple[str, str]] = []
    starred: dict[str, list[_Segment]] = {}  # in order of first appearance
    for name, value in _split(header_value):
        match = _STARRED.fullmatch(name)
        if match is None or (match["index"] is None and match["extended"]):
            regular.append((name, value))
            continue
        extended = match["index"] is None or match["extended"] is not None
        segment = _Segment(int(match["index"] or 0), extended, value)
        starred.setdefault(match["attribute"], []).append(segment)
    pairs = regular + [
        pair
        for attribute, segments in starred.items()
        for pair in _joined(attribute, segments, rev2)
    ]
    return tuple((email_text(name), email_text(value)) for name, value in pairs)


def _split(header_value: str) -> list[tuple[str, str]]:
    """(name, unquoted value) of each parameter after the first item.

    A ";" inside a quoted-string does not end a parameter. The splitting
    follows what ``email`` has always done here, so plain parameters come
    out as before: names stripped and lower-cased, a value without "=" is "".
    """
    items, start, quoted, escaped = [], 0, False, False
    for pos, char in enumerate(header_value):
        if escaped:
            escaped = False
        elif char == "\\" and quoted:
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == ";" and not quoted:
            items.append(header_value[start:pos])
            start = pos + 1
    items.append(header_value[start:])
    pairs = []
    for item in items[1:]:
        name, _, value = item.partition("=")
        if name.strip():
            pairs.append((name.strip().lower(), unquote(value.strip())))
    return pairs


def _joined(attribute: str, segments: list[_Segment], rev2: bool) -> list[tuple[str, str]]:
    segments = sorted(segments, key=lambda s: s.index)
    if [s.index for s in segments] != list(range(len(segments))):
        return [(s.written_name(attribute), s.value) for s in segments]
    if not any(s.extended for s in segments):
        return [(attribute, "".join(s.value for s in segments))]
    value = _decoded(segments) if rev2 else _still_encoded(segments)
    return [(attribute + "*", value)]


def _still_encoded(segments: list[_Segment]) -> str:
    """One extended value: a plain segment's "%" escaped, "''" if the first is plain."""
    prefix = "" if segments[0].extended else "''"
    return prefix + "".join(
        s.value if s.extended else s.value.replace("%", "%25") for s in segments
    )


def _decoded(segments: list[_Segment]) -> str:
    """RFC 2231 §4: charset and language come with the first segment only; the
    octets of every segment are joined before the charset is applied, so a
    character split across segments survives."""
    charset, octets = "", bytearray()
    for number, segment in enumerate(segments):
        value = segment.value
        if not segment.extended:
            octets += value.encode("utf-8", "surrogateescape")
            continue
        if number == 0 and value.count("'") >= 2:  # else no charset: leave the value whole
            charset, _, rest = value.partition("'")
            _language, _, value = rest.partition("'")
        octets += unquote_to_bytes(value)
    return bytes(octets).decode(_codec(charset), "replace")


def _codec(charset: str) -> str:
    """The charset's codec; UTF-8 (a superset of US-ASCII) when blank or unknown."""
    try:
        return codecs.lookup(charset).name if charset else "utf-8"
    except LookupError:
        return "utf-8"
