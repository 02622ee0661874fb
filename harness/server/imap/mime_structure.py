"""BODY and BODYSTRUCTURE (RFC 3501 §7.4.2, RFC 9051 §7.5.2) of an entity tree.

Values follow Dovecot where the RFC leaves a choice: type and subtype in
lower case, parameter values as written (RFC 2231 continuations and
charsets decoded, RFC 9051 §7.5.2: "Servers SHOULD decode parameter-value
continuations and parameter-value character sets as described in
[RFC2231]"), ``"7bit"`` and ``("charset" "us-ascii")`` as the defaults.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from email.utils import collapse_rfc2231_value
from typing import cast

from harness.protocols.imap.values import (
    Body,
    BodyPart,
    Disposition,
    Multipart,
    MultipartExtension,
    Params,
    PartExtension,
)
from harness.server.imap.mime_entity import Entity, Kind
from harness.server.imap.mime_envelope import build_envelope
from harness.server.imap.mime_headers import email_text, wire_text

_Rfc2231 = tuple[str | None, str | None, str]

DEFAULT_CHARSET: Params = (("charset", "us-ascii"),)

# RFC 9051 §7.5.2 requires one or more parts in a multipart; for a multipart
# whose boundary never occurs, say what Dovecot says: one empty text part.
EMPTY_PART = BodyPart("text", "plain", DEFAULT_CHARSET, None, None, "7bit", 0, lines=0)


def body_structure(entity: Entity, *, extensions: bool) -> Body:
    """BODYSTRUCTURE of ``entity``; with ``extensions=False`` the BODY form."""
    if entity.kind is Kind.MULTIPART:
        return _multipart(entity, extensions)
    return _single_part(entity, extensions)


def _multipart(entity: Entity, extensions: bool) -> Multipart:
    parts = tuple(body_structure(child, extensions=extensions) for child in entity.children)
    if not parts:
        parts = (replace(EMPTY_PART, extension=PartExtension() if extensions else None),)
    extension = None
    if extensions:
        extension = MultipartExtension(
            _content_params(entity),
            _disposition(entity),
            _language(entity),
            _raw(entity, "Content-Location"),
        )
    return Multipart(parts, entity.headers.get_content_subtype(), extension)


def _single_part(entity: Entity, extensions: bool) -> BodyPart:
    maintype = entity.headers.get_content_maintype()
    params = _content_params(entity)
    if maintype == "text" and not any(name.lower() == "charset" for name, _ in params):
        # RFC 2045 §5.2 / RFC 2046 §4.1.2: "The default character set, which
        # must be assumed in the absence of a charset parameter, is US-ASCII."
        params += DEFAULT_CHARSET
    body = entity.body
    lines = count_lines(body) if maintype == "text" or entity.kind is Kind.MESSAGE else None
    part = BodyPart(
        type=maintype,
        subtype=entity.headers.get_content_subtype(),
        params=params,
        id=_raw(entity, "Content-ID"),
        description=_raw(entity, "Content-Description"),
        encoding=entity.encoding,
        size=len(body),  # "the size in its transfer encoding"
        lines=lines,
    )
    if entity.kind is Kind.MESSAGE and entity.message is not None:
        # body-type-msg: envelope, body and lines of the encapsulated message
        inner = body_structure(entity.message, extensions=extensions)
        part = replace(part, envelope=build_envelope(entity.message), body=inner)
    if extensions:
        extension = PartExtension(
            _raw(entity, "Content-MD5"),
            _disposition(entity),
            _language(entity),
            _raw(entity, "Content-Location"),
        )
        part = replace(part, extension=extension)
    return part


def count_lines(body: bytes) -> int:
    """body-fld-lines: "the size of the body in text lines". Counted as
    Dovecot does, by line ends; the CRLF before a boundary belongs to the
    boundary (RFC 2046 §5.1.1), so a part "a CRLF b" has one."""
    return body.count(b"\n")


def _content_params(entity: Entity) -> Params:
    return _params(entity.headers.get_params(header="content-type"))


def _disposition(entity: Entity) -> Disposition | None:
    """body-fld-dsp from Content-Disposition (RFC 2183); NIL when absent."""
    params = entity.headers.get_params(header="content-disposition")
    if not params or not params[0][0].strip():
        return None
    return Disposition(email_text(params[0][0].strip()), _params(params))


def _params(params: Sequence[tuple[str, object]] | None) -> Params:
    """body-fld-param from ``email``'s parameter list, whose first item is
    the type itself; names as ``email`` gives them (lower case)."""
    if not params:
        return ()
    pairs = []
    for name, value in params[1:]:
        if not name:
            continue
        if isinstance(value, tuple):  # RFC 2231: (charset, language, octets)
            text = collapse_rfc2231_value(cast(_Rfc2231, value), errors="replace")
        else:
            text = str(value)
        pairs.append((email_text(name), email_text(text)))
    return tuple(pairs)


def _language(entity: Entity) -> tuple[str, ...] | None:
    """body-fld-lang: RFC 3282 "Content-Language" ":" 1#Language-tag."""
    value = _raw(entity, "Content-Language")
    if value is None:
        return None
    tags = tuple(tag.strip() for tag in value.split(",") if tag.strip())
    return tags or None


def _raw(entity: Entity, name: str) -> str | None:
    found = entity.field(name)
    return None if found is None else wire_text(found.value)
