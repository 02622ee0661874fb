"""MessageView: the RFC examples for BODYSTRUCTURE (RFC 3501 §7.4.2) and for
section numbering (RFC 3501 §6.4.5), HEADER.FIELDS, partial fetches, BINARY."""

from __future__ import annotations

import base64
import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.protocols.imap.bodystructure import write_body
from harness.protocols.imap.values import BodyPart, Multipart, Section
from harness.protocols.imap.writer import Writer
from harness.server.imap.message_view import MessageView, partial


def serialized(view: MessageView, *, extensions: bool) -> str:
    """The structure as the server puts it on the wire."""
    w = Writer()
    write_body(w, view.body_structure(extensions=extensions))
    return b"".join(w.finish()).decode().removesuffix("\r\n")


def lines_of(count: int, total: int, fill: str = "x") -> bytes:
    """``count`` CRLF lines of ``total`` octets in all."""
    width = total // count - 2
    rows = [fill * width] * (count - 1)
    rows.append(fill * (total - (width + 2) * (count - 1) - 2))
    return "".join(row + "\r\n" for row in rows).encode()


# -- RFC 3501 §7.4.2: the BODYSTRUCTURE example ------------------------------

RFC3501_EXAMPLE = (
    '(("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 1152 23)'
    '("TEXT" "PLAIN" ("CHARSET" "US-ASCII" "NAME" "cc.diff") '
    '"<960723163407.20117h@cac.washington.edu>" "Compiler diff" "BASE64" 4554 73) "MIXED")'
)


def rfc3501_example_message() -> bytes:
    return (
        b"From: Terry Gray <gray@cac.washington.edu>\r\n"
        b"Subject: IMAP4rev1 WG mtg summary and minutes\r\n"
        b"MIME-Version: 1.0\r\n"
        b"Content-Type: MULTIPART/MIXED; BOUNDARY=x\r\n\r\n"
        b"--x\r\nContent-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n\r\n"
        + lines_of(23, 1152)
        + b"\r\n--x\r\n"
        b"Content-Type: TEXT/PLAIN; CHARSET=US-ASCII; NAME=cc.diff\r\n"
        b"Content-ID: <960723163407.20117h@cac.washington.edu>\r\n"
        b"Content-Description: Compiler diff\r\n"
        b"Content-Transfer-Encoding: BASE64\r\n\r\n" + lines_of(73, 4554, "A") + b"\r\n--x--\r\n"
    )


def test_rfc3501_bodystructure_example() -> None:
    # Case differs (types come in lower case, as Dovecot writes them); the
    # RFC makes type, subtype, parameter names and encodings case-insensitive.
    view = MessageView(rfc3501_example_message())
    assert serialized(view, extensions=False).upper() == RFC3501_EXAMPLE.upper()


def test_bodystructure_adds_extension_data_and_body_has_none() -> None:
    view = MessageView(rfc3501_example_message())
    full = serialized(view, extensions=True)
    assert full.upper().endswith('"MIXED" ("BOUNDARY" "X") NIL NIL NIL)')
    assert '"7BIT" 1152 23 NIL NIL NIL NIL)' in full.upper()
    structure = view.body_structure(extensions=False)
    assert isinstance(structure, Multipart) and structure.extension is None
    assert all(isinstance(p, BodyPart) and p.extension is None for p in structure.parts)


# -- RFC 3501 §6.4.5: the section numbering example ---------------------------


def leaf(content_type: str, marker: str) -> bytes:
    return f"Content-Type: {content_type}\r\n\r\n{marker}".encode()


def multipart(subtype: str, boundary: str, *parts: bytes, headers: bytes = b"") -> bytes:
    body = b"".join(b"--" + boundary.encode() + b"\r\n" + p + b"\r\n" for p in parts)
    head = f"Content-Type: multipart/{subtype}; boundary={boundary}\r\n".encode()
    return headers + head + b"\r\n" + body + b"--" + boundary.encode() + b"--"


def rfc822(message: bytes) -> bytes:
    return b"Content-Type: message/rfc822\r\n\r\n" + message


INNER_3 = multipart(
    "mixed",
    "b3",
    leaf("text/plain", "p3.1"),
    leaf("application/octet-stream", "p3.2"),
    headers=b"Subject: three\r\n",
)
INNER_4_2 = multipart(
    "mixed",
    "b42",
    leaf("text/plain", "p4.2.1"),
    multipart(
        "alternative", "b422", leaf("text/plain", "p4.2.2.1"), leaf("text/richtext", "p4.2.2.2")
    ),
    headers=b"Subject: four-two\r\n",
)
RFC3501_SECTIONS_MESSAGE = multipart(
    "mixed",
    "top",
    leaf("text/plain", "p1"),
    leaf("application/octet-stream", "p2"),
    rfc822(INNER_3),
    multipart("mixed", "b4", leaf("image/gif", "p4.1"), rfc822(INNER_4_2)),
    headers=b"Subject: top\r\nMIME-Version: 1.0\r\n",
)


def header_of(message: bytes) -> bytes:
    return message[: message.index(b"\r\n\r\n") + 4]


def text_of(message: bytes) -> bytes:
    return message[message.index(b"\r\n\r\n") + 4 :]


def section(spec: str) -> Section:
    numbers: list[int] = []
    words = spec.split(".") if spec else []
    while words and words[0].isdigit():
        numbers.append(int(words.pop(0)))
    return Section(tuple(numbers), ".".join(words) or None)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("HEADER", header_of(RFC3501_SECTIONS_MESSAGE)),
        ("TEXT", text_of(RFC3501_SECTIONS_MESSAGE)),
        ("1", b"p1"),
        ("2", b"p2"),
        ("3", INNER_3),
        ("3.HEADER", header_of(INNER_3)),
        ("3.TEXT", text_of(INNER_3)),
        ("3.1", b"p3.1"),
        ("3.2", b"p3.2"),
        ("4", text_of(multipart("mixed", "b4", leaf("image/gif", "p4.1"), rfc822(INNER_4_2)))),
        ("4.1", b"p4.1"),
        ("4.1.MIME", b"Content-Type: image/gif\r\n\r\n"),
        ("4.2", INNER_4_2),
        ("4.2.HEADER", header_of(INNER_4_2)),
        ("4.2.TEXT", text_of(INNER_4_2)),
        ("4.2.1", b"p4.2.1"),
        ("4.2.2.1", b"p4.2.2.1"),
        ("4.2.2.2", b"p4.2.2.2"),
        ("3.MIME", b"Content-Type: message/rfc822\r\n\r\n"),
    ],
)
def test_rfc3501_section_numbering_example(spec: str, expected: bytes) -> None:
    assert MessageView(RFC3501_SECTIONS_MESSAGE).section(section(spec)) == expected


def test_rfc3501_example_structure_shape() -> None:
    structure = MessageView(RFC3501_SECTIONS_MESSAGE).body_structure(extensions=True)
    assert isinstance(structure, Multipart)
    third, fourth = structure.parts[2], structure.parts[3]
    assert isinstance(third, BodyPart) and third.is_message
    assert third.envelope is not None and third.envelope.subject == "three"
    assert isinstance(third.body, Multipart) and len(third.body.parts) == 2
    assert third.size == len(INNER_3) and third.lines == INNER_3.count(b"\n")
    assert isinstance(fourth, Multipart) and fourth.subtype == "mixed"


@pytest.mark.parametrize("spec", ["5", "1.1", "2.HEADER", "3.3", "4.2.2.3", "4.1.1", "0"])
def test_nonexistent_part_is_empty(spec: str) -> None:
    # RFC 3501 §6.4.5 leaves a missing part to the server; empty is what
    # RFC 3501 §7.4.2 (and Dovecot) answer.
    assert MessageView(RFC3501_SECTIONS_MESSAGE).section(section(spec)) == b""


# -- single-part messages: part 1 is the body ----------------------------------

PLAIN = b"Subject: hi\r\nFrom: a@b.example\r\n\r\nline one\r\nline two\r\n"


def test_part_1_of_a_single_part_message_is_its_body() -> None:
    view = MessageView(PLAIN)
    assert view.section(Section((1,))) == b"line one\r\nline two\r\n"
    assert view.section(Section((1,), "MIME")) == b"Subject: hi\r\nFrom: a@b.example\r\n\r\n"
    assert view.section(Section((2,))) == b""
    assert view.section(Section()) == PLAIN


def test_message_rfc822_at_top_level_numbers_into_the_encapsulated_message() -> None:
    inner = multipart("mixed", "in", leaf("text/plain", "first"), leaf("text/plain", "second"))
    raw = b"Subject: outer\r\nContent-Type: message/rfc822\r\n\r\n" + inner
    view = MessageView(raw)
    assert view.section(Section((1,))) == inner
    assert view.section(Section((1, 2))) == b"second"
    assert view.section(Section((1,), "HEADER")) == header_of(inner)


# -- HEADER.FIELDS ------------------------------------------------------------

FIELDS = (
    b"Received: from a\r\n\tby b\r\n"
    b"From: x@y.example\r\n"
    b"subject: Folded\r\n  subject line\r\n"
    b"Received: from c\r\n"
    b"To: z@y.example\r\n"
    b"\r\nbody\r\n"
)


def test_header_fields_keep_stored_order_folding_and_the_blank_line() -> None:
    view = MessageView(FIELDS)
    got = view.section(Section(text="HEADER.FIELDS", fields=("SUBJECT", "received")))
    assert got == (
        b"Received: from a\r\n\tby b\r\n"
        b"subject: Folded\r\n  subject line\r\n"
        b"Received: from c\r\n"
        b"\r\n"
    )


def test_header_fields_not() -> None:
    view = MessageView(FIELDS)
    got = view.section(Section(text="HEADER.FIELDS.NOT", fields=("Received", "Subject")))
    assert got == b"From: x@y.example\r\nTo: z@y.example\r\n\r\n"


def test_header_fields_with_no_match_is_just_the_blank_line() -> None:
    view = MessageView(FIELDS)
    assert view.section(Section(text="HEADER.FIELDS", fields=("X-None",))) == b"\r\n"


def test_header_only_message_has_no_blank_line_to_add() -> None:
    raw = b"Subject: only\r\nFrom: a@b.example\r\n"
    view = MessageView(raw)
    assert view.section(Section(text="HEADER")) == raw
    assert view.section(Section(text="TEXT")) == b""
    assert view.section(Section(text="HEADER.FIELDS", fields=("from",))) == b"From: a@b.example\r\n"


def test_header_fields_of_an_encapsulated_message() -> None:
    view = MessageView(RFC3501_SECTIONS_MESSAGE)
    got = view.section(Section((4, 2), "HEADER.FIELDS", ("subject",)))
    assert got == b"Subject: four-two\r\n\r\n"


# -- partial ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("origin_count", "expected"),
    [
        (None, b"0123456789abcdefghij"),
        ((0, 10), b"0123456789"),
        ((10, 10), b"abcdefghij"),  # zero-based (RFC 2683 EID 3129)
        ((15, 10), b"fghij"),  # a count past the end is cut short
        ((20, 5), b""),  # origin at the end
        ((99, 5), b""),  # "beyond the end of the text, an empty string"
        ((3, 0), b""),
    ],
)
def test_partial(origin_count: tuple[int, int] | None, expected: bytes) -> None:
    assert partial(b"0123456789abcdefghij", origin_count) == expected


# -- BINARY -------------------------------------------------------------------

PAYLOAD = bytes(range(256)) * 3


def binary_message() -> bytes:
    encoded = base64.encodebytes(PAYLOAD).replace(b"\n", b"\r\n")
    return multipart(
        "mixed",
        "bin",
        b"Content-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
        b"caf=C3=A9 soft=\r\nbreak\r\n",
        b"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + encoded,
        b"Content-Type: application/x-thing\r\nContent-Transfer-Encoding: x-secret\r\n\r\nzzz",
        leaf("text/plain", "as is"),
    )


def test_binary_decodes_base64_and_quoted_printable() -> None:
    view = MessageView(binary_message())
    assert view.binary((2,)) == PAYLOAD
    assert view.binary_size((2,)) == len(PAYLOAD)
    assert view.binary((1,)) == "café softbreak\r\n".encode()
    assert view.binary((4,)) == b"as is"


def test_binary_unknown_encoding_is_none() -> None:
    view = MessageView(binary_message())
    assert view.binary((3,)) is None
    assert view.binary_size((3,)) is None


def test_binary_of_a_missing_part_is_empty() -> None:
    assert MessageView(binary_message()).binary((9,)) == b""


def test_binary_of_the_whole_single_part_message_decodes_its_body() -> None:
    raw = b"Content-Transfer-Encoding: base64\r\n\r\naGVsbG8=\r\n"
    view = MessageView(raw)
    assert view.binary(()) == b"Content-Transfer-Encoding: base64\r\n\r\nhello"
    assert view.binary((1,)) == b"hello"
    assert MessageView(binary_message()).binary(()) == binary_message()


# -- Date: for SENTBEFORE/SENTON/SENTSINCE ------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Mon, 01 Jan 2024 23:30:00 -0800", datetime.date(2024, 1, 1)),  # its own zone
        ("2 Jan 24 08:00 +0900", datetime.date(2024, 1, 2)),  # obs-year
        ("Tue, 30 Feb 2024 10:00:00 +0000", None),
        ("1 Jan 99999999999999999999 10:00", None),
        ("next tuesday", None),
        ("", None),
    ],
)
def test_sent_date(value: str, expected: datetime.date | None) -> None:
    raw = f"Date: {value}\r\n\r\n".encode()
    assert MessageView(raw).sent_date() == expected


def test_sent_date_without_date_field() -> None:
    assert MessageView(b"Subject: x\r\n\r\n").sent_date() is None


@given(st.text(max_size=60))
def test_sent_date_never_raises(value: str) -> None:
    MessageView(b"Date: " + value.encode("utf-8", "surrogatepass") + b"\r\n\r\n").sent_date()
