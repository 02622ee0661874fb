"""ENVELOPE and BODYSTRUCTURE of tricky messages: defaults, NIL versus "",
groups, routes, encoded words kept raw, RFC 2231, encoded sizes, nested
message/rfc822, preamble and epilogue, 8-bit headers, broken MIME."""

from __future__ import annotations

import pytest

from harness.protocols.imap.values import (
    Address,
    BodyPart,
    Disposition,
    Envelope,
    Multipart,
    MultipartExtension,
    PartExtension,
    Section,
)
from harness.server.imap.message_view import MessageView

ALICE = (Address("Alice", None, "alice", "example.test"),)


def envelope(headers: str) -> Envelope:
    raw = headers.replace("\n", "\r\n").encode() + b"\r\nbody\r\n"
    return MessageView(raw).envelope()


def structure(raw: bytes) -> BodyPart | Multipart:
    return MessageView(raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")).body_structure(
        extensions=True
    )


# -- ENVELOPE -----------------------------------------------------------------


def test_envelope_fields_in_order_as_written() -> None:
    env = envelope(
        "Message-ID: <msg@id>\n"
        "In-Reply-To: <reply@to.id>\n"
        "Date: Sat, 01 Feb 2007 01:02:03 +0200\n"
        "Subject: subject header\n"
        "From: From Real <fromuser@fromdomain.org>\n"
        "To: To Real <touser@todomain.org>\n"
        "Cc: Cc Real <ccuser@ccdomain.org>\n"
        "Bcc: Bcc Real <bccuser@bccdomain.org>\n"
        "Sender: Sender Real <senderuser@senderdomain.org>\n"
        "Reply-To: ReplyTo Real <replytouser@replytodomain.org>\n"
    )
    assert env == Envelope(
        "Sat, 01 Feb 2007 01:02:03 +0200",
        "subject header",
        (Address("From Real", None, "fromuser", "fromdomain.org"),),
        (Address("Sender Real", None, "senderuser", "senderdomain.org"),),
        (Address("ReplyTo Real", None, "replytouser", "replytodomain.org"),),
        (Address("To Real", None, "touser", "todomain.org"),),
        (Address("Cc Real", None, "ccuser", "ccdomain.org"),),
        (Address("Bcc Real", None, "bccuser", "bccdomain.org"),),
        "<reply@to.id>",
        "<msg@id>",
    )


def test_missing_fields_are_nil_and_sender_reply_to_default_to_from() -> None:
    env = envelope("From: Alice <alice@example.test>\n")
    assert env == Envelope(None, None, ALICE, ALICE, ALICE, None, None, None, None, None)


def test_empty_sender_and_reply_to_also_default_to_from() -> None:
    env = envelope("From: Alice <alice@example.test>\nSender: \nReply-To:\n")
    assert env.sender == ALICE and env.reply_to == ALICE


def test_present_but_empty_subject_is_empty_string_not_nil() -> None:
    env = envelope("Subject:\nIn-Reply-To: \n")
    assert env.subject == "" and env.in_reply_to == ""
    assert env.date is None and env.from_ is None


def test_encoded_words_and_folding() -> None:
    # RFC 2047 words stay encoded; folding is removed, the rest kept as is.
    env = envelope(
        "Subject: =?UTF-8?B?w6TDtsO8?=\n =?ISO-8859-1?Q?caf=E9?=  tail\n"
        "From: =?UTF-8?Q?J=C3=B6rg?= <joerg@example.test>\n"
    )
    assert env.subject == "=?UTF-8?B?w6TDtsO8?= =?ISO-8859-1?Q?caf=E9?=  tail"
    assert env.from_ == (Address("=?UTF-8?Q?J=C3=B6rg?=", None, "joerg", "example.test"),)


def test_groups() -> None:
    # RFC 3501 §7.4.2: group start (NIL NIL "name" NIL), end (NIL NIL NIL NIL)
    env = envelope(
        'To: group: g1@d1.org, "G Two" <g2@d2.org>;, group2: g3@d3.org;\n'
        "Cc: undisclosed-recipients:;\n"
    )
    assert env.to == (
        Address(None, None, "group", None),
        Address(None, None, "g1", "d1.org"),
        Address("G Two", None, "g2", "d2.org"),
        Address(None, None, None, None),
        Address(None, None, "group2", None),
        Address(None, None, "g3", "d3.org"),
        Address(None, None, None, None),
    )
    assert env.cc == (
        Address(None, None, "undisclosed-recipients", None),
        Address(None, None, None, None),
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("<@route:user@domain>", Address(None, "@route", "user", "domain")),
        (
            "<@a.example,@b.example:user@domain>",
            Address(None, "@a.example,@b.example", "user", "domain"),
        ),
        ("user@domain (Real Name)", Address("Real Name", None, "user", "domain")),
        ('"Doe, John" <jd@example.test>', Address("Doe, John", None, "jd", "example.test")),
        ('"john doe"@[192.0.2.1]', Address(None, None, "john doe", "[192.0.2.1]")),
        ("<bare@example.test>", Address(None, None, "bare", "example.test")),
        ("Bob <bob>", Address("Bob", None, "bob", "MISSING_DOMAIN")),
        ("undisclosed-recipients", Address(None, None, "undisclosed-recipients", "MISSING_DOMAIN")),
        ("<", Address(None, None, "MISSING_MAILBOX", "MISSING_DOMAIN")),
    ],
)
def test_single_addresses(value: str, expected: Address) -> None:
    # A host is never NIL outside group markers: Dovecot's placeholders fill in.
    assert envelope(f"From: {value}\n").from_ == (expected,)


def test_address_list_with_several_and_empty_members() -> None:
    env = envelope("To: a@x.example, , B <b@y.example>\n")
    assert env.to == (Address(None, None, "a", "x.example"), Address("B", None, "b", "y.example"))


def test_eight_bit_utf8_headers_survive() -> None:
    raw = "Subject: Grüße\r\nFrom: Jöran <jöran@bücher.example>\r\n\r\nx".encode()  # RFC 6532
    env = MessageView(raw).envelope()
    assert env.subject == "Grüße"
    assert env.from_ == (Address("Jöran", None, "jöran", "bücher.example"),)


def test_non_utf8_octets_round_trip_as_surrogates() -> None:
    raw = b"Subject: caf\xe9\r\n\r\n"
    subject = MessageView(raw).envelope().subject
    assert subject is not None
    assert subject.encode("utf-8", "surrogateescape") == b"caf\xe9"


def test_duplicate_fields_use_the_first() -> None:
    env = envelope("Subject: one\nSubject: two\n")
    assert env.subject == "one"


# -- BODYSTRUCTURE: single parts ----------------------------------------------


def test_no_content_type_defaults_to_text_plain_us_ascii() -> None:
    part = structure(b"Subject: x\n\nhello\nworld\n")
    assert part == BodyPart(
        "text",
        "plain",
        (("charset", "us-ascii"),),
        None,
        None,
        "7bit",
        14,
        2,
        extension=PartExtension(),
    )


def test_text_without_charset_gets_the_default_and_params_keep_values() -> None:
    part = structure(b'Content-Type: TEXT/Calendar; Method="REQUEST"\n\nx')
    assert isinstance(part, BodyPart)
    assert (part.type, part.subtype) == ("text", "calendar")
    assert part.params == (("method", "REQUEST"), ("charset", "us-ascii"))


def test_non_text_has_nil_params_and_no_lines() -> None:
    part = structure(b"Content-Type: application/pdf\n\n%PDF\n")
    assert isinstance(part, BodyPart)
    assert part.params == () and part.lines is None


def test_invalid_content_type_is_text_plain() -> None:
    # RFC 2045 §5.2: an invalid Content-Type means text/plain; charset=us-ascii
    part = structure(b"Content-Type: garbage\n\nx")
    assert isinstance(part, BodyPart) and (part.type, part.subtype) == ("text", "plain")


def test_content_fields_and_extension_data() -> None:
    part = structure(
        b"Content-Type: image/png; name=a.png\n"
        b"Content-ID: <cid@x>\n"
        b"Content-Description: a\n  picture\n"
        b"Content-Transfer-Encoding: Base64\n"
        b"Content-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==\n"
        b'Content-Disposition: INLINE; filename="a b.png"; size=4\n'
        b"Content-Language: en-GB, de\n"
        b"Content-Location: http://example.test/a.png\n"
        b"\n"
        b"iVBO\n"
    )
    assert part == BodyPart(
        "image",
        "png",
        (("name", "a.png"),),
        "<cid@x>",
        "a  picture",
        "base64",
        6,  # the encoded octets, line ends included
        extension=PartExtension(
            "Q2hlY2sgSW50ZWdyaXR5IQ==",
            Disposition("INLINE", (("filename", "a b.png"), ("size", "4"))),
            ("en-GB", "de"),
            "http://example.test/a.png",
        ),
    )


def test_rfc2231_continuations_joined_charsets_left_encoded_in_rev1() -> None:
    """Decoded to UTF-8 only for IMAP4rev2 (RFC 9051 §7.5.2; test_mime_params.py)."""
    part = structure(
        b"Content-Type: application/octet-stream;\n"
        b" name*0*=UTF-8''%E2%82%AC%20;\n"
        b" name*1=rate.txt\n"
        b"Content-Disposition: attachment; filename*=iso-8859-1'de'caf%E9.txt\n"
        b"\n"
        b"x"
    )
    assert isinstance(part, BodyPart) and part.extension is not None
    assert part.params == (("name*", "UTF-8''%E2%82%AC%20rate.txt"),)
    assert part.extension.disposition == Disposition(
        "attachment", (("filename*", "iso-8859-1'de'caf%E9.txt"),)
    )


def test_quoted_printable_size_is_encoded_and_lines_counted() -> None:
    body = b"caf=C3=A9 and a soft=\r\nbreak\r\nsecond\r\n"
    raw = (
        b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
        + body
    )
    part = MessageView(raw).body_structure(extensions=False)
    assert isinstance(part, BodyPart)
    assert (part.encoding, part.size, part.lines) == ("quoted-printable", len(body), 3)


def test_bare_lf_message_sizes_are_of_stored_octets() -> None:
    raw = b"Subject: lf\n\none\ntwo\n"
    view = MessageView(raw)
    part = view.body_structure(extensions=False)
    assert isinstance(part, BodyPart) and (part.size, part.lines) == (8, 2)
    assert view.section(Section(text="TEXT")) == b"one\ntwo\n"


# -- BODYSTRUCTURE: multipart and message/rfc822 ------------------------------

PREAMBLE_EPILOGUE = (
    b'Content-Type: multipart/mixed; boundary="b b"\n'
    b"\n"
    b"This is the preamble.\n"
    b"--b b\n"
    b"\n"
    b"no header at all\n"
    b"--b b  \n"
    b"Content-Type: text/html\n"
    b"\n"
    b"<p>x</p>\n"
    b"--b b--\n"
    b"This is the epilogue.\n"
    b"--b b\n"
    b"Not a part: after the close delimiter.\n"
)


def test_preamble_epilogue_and_transport_padding() -> None:
    view = MessageView(PREAMBLE_EPILOGUE.replace(b"\n", b"\r\n"))
    got = view.body_structure(extensions=True)
    assert isinstance(got, Multipart) and len(got.parts) == 2
    assert got.extension == MultipartExtension((("boundary", "b b"),))
    assert view.section(Section((1,))) == b"no header at all"
    assert view.section(Section((2,))) == b"<p>x</p>"
    assert view.section(Section((2,), "MIME")) == b"Content-Type: text/html\r\n\r\n"
    assert view.section(Section((3,))) == b""


def test_boundary_that_prefixes_another_line_is_not_a_delimiter() -> None:
    raw = (
        b"Content-Type: multipart/mixed; boundary=ab\n\n"
        b"--ab\n\n--abc is content\n--ab-- trailing text is content too\n--ab--\n"
    )
    view = MessageView(raw)
    assert view.section(Section((1,))) == b"--abc is content\n--ab-- trailing text is content too"


def test_nested_message_rfc822() -> None:
    inner = (
        b"From: Inner <inner@example.test>\n"
        b"Subject: inner\n"
        b"Content-Type: multipart/alternative; boundary=in\n\n"
        b"--in\nContent-Type: text/plain\n\nplain\n"
        b"--in\nContent-Type: text/html\n\n<b>html</b>\n--in--\n"
    )
    raw = (
        b"Subject: outer\nContent-Type: multipart/mixed; boundary=out\n\n"
        b"--out\n\nsee attached\n"
        b"--out\nContent-Type: message/rfc822\nContent-Disposition: attachment\n\n"
        + inner
        + b"\n--out--\n"
    )
    got = structure(raw)
    assert isinstance(got, Multipart)
    attached = got.parts[1]
    assert isinstance(attached, BodyPart) and attached.is_message
    assert attached.params == ()
    assert attached.envelope is not None and attached.envelope.subject == "inner"
    assert attached.envelope.sender == (Address("Inner", None, "inner", "example.test"),)
    assert isinstance(attached.body, Multipart) and attached.body.subtype == "alternative"
    inner_crlf = inner.replace(b"\n", b"\r\n")
    assert attached.size == len(inner_crlf) and attached.lines == inner.count(b"\n")
    assert attached.extension is not None
    assert attached.extension.disposition == Disposition("attachment")


def test_digest_parts_default_to_message_rfc822() -> None:
    raw = (
        b"Content-Type: multipart/digest; boundary=d\n\n"
        b"--d\n\nSubject: first\n\none\n"
        b"--d\nContent-Type: text/plain\n\nnot a message\n--d--\n"
    )
    got = structure(raw)
    assert isinstance(got, Multipart)
    first, second = got.parts
    assert isinstance(first, BodyPart) and first.is_message
    assert first.envelope is not None and first.envelope.subject == "first"
    assert isinstance(second, BodyPart) and second.type == "text"


def test_base64_encoded_message_rfc822_is_described_from_its_decoded_octets() -> None:
    raw = (
        b"Content-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\n"
        b"U3ViamVjdDogaGlkZGVuDQoNCmJvZHkNCg==\n"  # "Subject: hidden\r\n\r\nbody\r\n"
    )
    view = MessageView(raw)
    got = view.body_structure(extensions=False)
    assert isinstance(got, BodyPart) and got.envelope is not None
    assert got.envelope.subject == "hidden"
    assert view.section(Section((1, 1))) == b"body\r\n"


@pytest.mark.parametrize(
    "raw",
    [
        b"Content-Type: multipart/mixed\n\nno boundary parameter\n",
        b"Content-Type: multipart/mixed; boundary=x\n\nthe boundary never occurs\n",
        b'Content-Type: multipart/mixed; boundary=""\n\n--\n',
    ],
)
def test_multipart_without_parts_reports_one_empty_text_part(raw: bytes) -> None:
    got = structure(raw)
    assert isinstance(got, Multipart) and len(got.parts) == 1
    only = got.parts[0]
    assert isinstance(only, BodyPart) and (only.type, only.size, only.lines) == ("text", 0, 0)


def test_unterminated_multipart_runs_to_the_end() -> None:
    raw = b"Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n\r\none\r\n--x\r\n\r\ntwo\r\n"
    view = MessageView(raw)
    assert view.section(Section((1,))) == b"one"
    assert view.section(Section((2,))) == b"two\r\n"


def test_deep_nesting_does_not_exhaust_the_stack() -> None:
    depth = 500
    raw = b"".join(
        b"Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n" % (i, i)
        for i in range(depth)
    )
    got = MessageView(raw + b"\r\nleaf").body_structure(extensions=True)
    levels = 0
    while isinstance(got, Multipart):
        got, levels = got.parts[0], levels + 1
    assert 0 < levels < depth
