"""ENVELOPE and BODY/BODYSTRUCTURE (RFC 9051 §7.5.2): read and write the
typed values of ``values``.

    envelope        = "(" env-date SP env-subject SP env-from SP env-sender SP
                      env-reply-to SP env-to SP env-cc SP env-bcc SP
                      env-in-reply-to SP env-message-id ")"
    env-from        = "(" 1*address ")" / nil          ; also sender, to, ...
    address         = "(" addr-name SP addr-adl SP addr-mailbox SP addr-host ")"

    body            = "(" (body-type-1part / body-type-mpart) ")"
    body-type-1part = (body-type-basic / body-type-msg / body-type-text)
                      [SP body-ext-1part]
    body-type-msg   = media-message SP body-fields SP envelope SP body SP body-fld-lines
    body-type-text  = media-text SP body-fields SP body-fld-lines
    body-fields     = body-fld-param SP body-fld-id SP body-fld-desc SP
                      body-fld-enc SP body-fld-octets
    body-ext-1part  = body-fld-md5 [SP body-fld-dsp [SP body-fld-lang
                      [SP body-fld-loc *(SP body-extension)]]]
    body-type-mpart = 1*body SP media-subtype [SP body-ext-mpart]
    body-ext-mpart  = body-fld-param [SP body-fld-dsp [SP body-fld-lang
                      [SP body-fld-loc *(SP body-extension)]]]

RFC 9051 §7.5.2: "Extension data is never returned with the BODY fetch", so a
server answers BODY with ``strip_extensions(structure)``. Readers are lenient
in one respect seen in the wild: a space between adjacent parts or addresses.
"""

from __future__ import annotations

from dataclasses import replace

from harness.protocols.imap.lexer import Reader
from harness.protocols.imap.values import (
    Address,
    AddressList,
    Body,
    BodyPart,
    Disposition,
    Envelope,
    ExtensionValue,
    Multipart,
    MultipartExtension,
    Params,
    PartExtension,
)
from harness.protocols.imap.writer import Writer

# -- ENVELOPE ----------------------------------------------------------------


def read_envelope(r: Reader) -> Envelope:
    r.expect(b"(")
    date = r.nstring()
    r.sp()
    subject = r.nstring()
    lists = []
    for _ in range(6):
        r.sp()
        lists.append(_read_address_list(r))
    r.sp()
    in_reply_to = r.nstring()
    r.sp()
    message_id = r.nstring()
    r.expect(b")")
    from_, sender, reply_to, to, cc, bcc = lists
    return Envelope(date, subject, from_, sender, reply_to, to, cc, bcc, in_reply_to, message_id)


def _read_address_list(r: Reader) -> AddressList:
    if r.take_word(b"NIL"):
        return None
    r.expect(b"(")
    addresses = [_read_address(r)]
    while not r.take(b")"):
        r.take(b" ")
        addresses.append(_read_address(r))
        r.check_items(len(addresses))
    return tuple(addresses)


def _read_address(r: Reader) -> Address:
    r.expect(b"(")
    name = r.nstring()
    r.sp()
    adl = r.nstring()
    r.sp()
    mailbox = r.nstring()
    r.sp()
    host = r.nstring()
    r.expect(b")")
    return Address(name, adl, mailbox, host)


def write_envelope(w: Writer, env: Envelope) -> None:
    w.raw(b"(")
    w.nstring(env.date)
    w.sp()
    w.nstring(env.subject)
    for addresses in (env.from_, env.sender, env.reply_to, env.to, env.cc, env.bcc):
        w.sp()
        _write_address_list(w, addresses)
    w.sp()
    w.nstring(env.in_reply_to)
    w.sp()
    w.nstring(env.message_id)
    w.raw(b")")


def _write_address_list(w: Writer, addresses: AddressList) -> None:
    if not addresses:  # env-from = "(" 1*address ")" / nil: no empty list
        w.raw(b"NIL")
        return
    w.raw(b"(")
    for a in addresses:
        w.raw(b"(")
        w.nstring(a.name)
        w.sp()
        w.nstring(a.adl)
        w.sp()
        w.nstring(a.mailbox)
        w.sp()
        w.nstring(a.host)
        w.raw(b")")
    w.raw(b")")


# -- BODY / BODYSTRUCTURE ----------------------------------------------------


def read_body(r: Reader) -> Body:
    r.expect(b"(")
    r.enter()
    body: Body = _read_multipart(r) if r.peek() == 0x28 else _read_part(r)
    r.expect(b")")
    r.leave()
    return body


def _read_multipart(r: Reader) -> Multipart:
    parts = [read_body(r)]
    while r.peek() == 0x28 or r.line.startswith(b" (", r.pos):
        r.take(b" ")
        parts.append(read_body(r))
        r.check_items(len(parts))
    r.sp()
    subtype = r.string()
    extension = None
    if r.take(b" "):
        params = _read_params(r)
        disposition, language, location, more = _read_ext_tail(r)
        extension = MultipartExtension(params, disposition, language, location, more)
    return Multipart(tuple(parts), subtype, extension)


def _read_part(r: Reader) -> BodyPart:
    media_type = r.string()
    r.sp()
    subtype = r.string()
    r.sp()
    params = _read_params(r)
    r.sp()
    content_id = r.nstring()
    r.sp()
    description = r.nstring()
    r.sp()
    encoding = r.string()
    r.sp()
    part = BodyPart(media_type, subtype, params, content_id, description, encoding, r.number64())
    if part.is_message:
        r.sp()
        envelope = read_envelope(r)
        r.sp()
        inner = read_body(r)
        r.sp()
        part = replace(part, envelope=envelope, body=inner, lines=r.number64())
    elif part.is_text:
        r.sp()
        part = replace(part, lines=r.number64())
    if r.take(b" "):
        md5 = r.nstring()
        disposition, language, location, more = _read_ext_tail(r)
        part = replace(part, extension=PartExtension(md5, disposition, language, location, more))
    return part


def _read_ext_tail(
    r: Reader,
) -> tuple[Disposition | None, tuple[str, ...] | None, str | None, tuple[ExtensionValue, ...]]:
    """[SP body-fld-dsp [SP body-fld-lang [SP body-fld-loc *(SP body-extension)]]]."""
    disposition, language, location = None, None, None
    more: list[ExtensionValue] = []
    if r.take(b" "):
        disposition = _read_disposition(r)
        if r.take(b" "):
            language = _read_language(r)
            if r.take(b" "):
                location = r.nstring()
                while r.take(b" "):
                    more.append(_read_extension(r))
                    r.check_items(len(more))
    return disposition, language, location, tuple(more)


def _read_params(r: Reader) -> Params:
    """body-fld-param = "(" string SP string *(SP string SP string) ")" / nil."""
    if r.take_word(b"NIL"):
        return ()
    r.expect(b"(")
    pairs: list[tuple[str, str]] = []
    while not r.take(b")"):
        if pairs:
            r.sp()
        key = r.string()
        r.sp()
        pairs.append((key, r.string()))
        r.check_items(len(pairs))
    return tuple(pairs)


def _read_disposition(r: Reader) -> Disposition | None:
    if r.take_word(b"NIL"):
        return None
    r.expect(b"(")
    kind = r.string()
    r.sp()
    params = _read_params(r)
    r.expect(b")")
    return Disposition(kind, params)


def _read_language(r: Reader) -> tuple[str, ...] | None:
    """body-fld-lang = nstring / "(" string *(SP string) ")"."""
    if r.peek() == 0x28:
        return tuple(r.paren_list(r.string, allow_empty=False))
    value = r.nstring()
    return None if value is None else (value,)


def _read_extension(r: Reader) -> ExtensionValue:
    """body-extension = nstring / number / "(" body-extension *(SP body-extension) ")"."""
    char = r.peek()
    if char == 0x28:
        r.enter()
        values = tuple(r.paren_list(lambda: _read_extension(r), allow_empty=False))
        r.leave()
        return values
    if 0x30 <= char <= 0x39:
        return r.number64()
    return r.nstring()


def write_body(w: Writer, body: Body) -> None:
    w.raw(b"(")
    if isinstance(body, Multipart):
        _write_multipart(w, body)
    else:
        _write_part(w, body)
    w.raw(b")")


def _write_multipart(w: Writer, body: Multipart) -> None:
    if not body.parts:
        raise ValueError("a multipart needs at least one part")
    for part in body.parts:
        write_body(w, part)
    w.sp()
    w.string(body.subtype)
    ext = body.extension
    if ext is not None:
        w.sp()
        _write_params(w, ext.params)
        _write_ext_tail(w, ext.disposition, ext.language, ext.location, ext.more)


def _write_part(w: Writer, part: BodyPart) -> None:
    for text in (part.type, part.subtype):
        w.string(text)
        w.sp()
    _write_params(w, part.params)
    for value in (part.id, part.description):
        w.sp()
        w.nstring(value)
    w.sp()
    w.string(part.encoding)
    w.sp()
    w.number(part.size)
    if part.is_message:
        if part.envelope is None or part.body is None:
            raise ValueError("message/rfc822 part needs its envelope and body")
        w.sp()
        write_envelope(w, part.envelope)
        w.sp()
        write_body(w, part.body)
    if part.is_message or part.is_text:
        if part.lines is None:
            raise ValueError(f"{part.type}/{part.subtype} part needs its line count")
        w.sp()
        w.number(part.lines)
    ext = part.extension
    if ext is not None:
        w.sp()
        w.nstring(ext.md5)
        _write_ext_tail(w, ext.disposition, ext.language, ext.location, ext.more)


def _write_ext_tail(
    w: Writer,
    disposition: Disposition | None,
    language: tuple[str, ...] | None,
    location: str | None,
    more: tuple[ExtensionValue, ...],
) -> None:
    w.sp()
    if disposition is None:
        w.raw(b"NIL")
    else:
        w.raw(b"(")
        w.string(disposition.type)
        w.sp()
        _write_params(w, disposition.params)
        w.raw(b")")
    w.sp()
    if not language:
        w.raw(b"NIL")
    elif len(language) == 1:
        w.string(language[0])
    else:
        w.paren(language, w.string)
    w.sp()
    w.nstring(location)
    for value in more:
        w.sp()
        _write_extension(w, value)


def _write_params(w: Writer, params: Params) -> None:
    if not params:
        w.raw(b"NIL")
        return
    w.raw(b"(")
    for index, (key, value) in enumerate(params):
        if index:
            w.sp()
        w.string(key)
        w.sp()
        w.string(value)
    w.raw(b")")


def _write_extension(w: Writer, value: ExtensionValue) -> None:
    if isinstance(value, tuple):
        if not value:
            raise ValueError("an extension list needs at least one value")
        w.paren(value, lambda item: _write_extension(w, item))
    elif isinstance(value, int):
        w.number(value)
    else:
        w.nstring(value)


def strip_extensions(body: Body) -> Body:
    """The BODY form of a BODYSTRUCTURE: no extension data at any level."""
    if isinstance(body, Multipart):
        return Multipart(tuple(strip_extensions(p) for p in body.parts), body.subtype)
    inner = strip_extensions(body.body) if body.body is not None else None
    return replace(body, body=inner, extension=None)
