"""BODY and BODYSTRUCTURE (RFC 3501 §7.4.2, RFC 9051 §7.5.2) of an entity tree.

Values follow Dovecot where the RFC leaves a choice: type and subtype in
lower case, ``"7bit"`` and ``("charset" "us-ascii")`` as the defaults.
Parameters (body-fld-param) depend on the revision the session speaks:
RFC 2231 values are decoded to UTF-8 only for IMAP4rev2 (mime_params.py).
"""

from __future__ import annotations

from dataclasses import replace

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
from harness.server.imap.mime_headers import wire_text
from harness.server.imap.mime_params import body_params

DEFAULT_CHARSET: Params = (("charset", "us-ascii"),)

# RFC 9051 §7.5.2 requires one or more parts in a multipart; for a multipart
# whose boundary never occurs, say what Dovecot says: one empty text part.
EMPTY_PART = BodyPart("text", "plain", DEFAULT_CHARSET, None, None, "7bit", 0, lines=0)


def body_structure(entity: Entity, *, extensions: bool, rev2: bool = False) -> Body:
    """BODYSTRUCTURE of ``entity``; with ``extensions=False`` the BODY form;
    ``rev2``: for a session that enabled IMAP4rev2 (RFC 2231 values decoded)."""
    if entity.kind is Kind.MULTIPART:
        return _multipart(entity, extensions, rev2)
    return _single_part(entity, extensions, rev2)


def _multipart(entity: Entity, extensions: bool, rev2: bool) -> Multipart:
    parts = tuple(
        body_structure(child, extensions=extensions, rev2=rev2) for child in entity.children
    )
    if not parts:
        parts = (replace(EMPTY_PART, extension=PartExtension() if extensions else None),)
    extension = None
    if extensions:
        extension = MultipartExtension(
            _content_params(entity, rev2),
            _disposition(entity, rev2),
            _language(entity),
            _raw(entity, "Content-Location"),
        )
    return Multipart(parts, entity.headers.get_content_subtype(), extension)


def _single_part(entity: Entity, extensions: bool, rev2: bool) -> BodyPart:
    maintype = entity.headers.get_content_maintype()
    params = _content_params(entity, rev2)
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
        inner = body_structure(entity.message, extensions=extensions, rev2=rev2)
        part = replace(part, envelope=build_envelope(entity.message), body=inner)
    if extensions:
        extension = PartExtension(
            _raw(entity, "Content-MD5"),
            _disposition(entity, rev2),
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


def _content_params(entity: Entity, rev2: bool) -> Params:
    return body_params(_raw(entity, "Content-Type"), rev2=rev2)


def _disposition(entity: Entity, rev2: bool) -> Disposition | None:
    """body-fld-dsp from Content-Disposition (RFC 2183); NIL when absent."""
    value = _raw(entity, "Content-Disposition")
    kind = "" if value is None else value.partition(";")[0].strip()
    if not kind:
        return None
    return Disposition(kind, body_params(value, rev2=rev2))


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
