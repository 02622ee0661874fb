"""Each kind really contains the trap it is named after."""

from __future__ import annotations

import itertools
import re
from email.message import Message

from harness.mail.corpus import CorpusMessage
from harness.mail.encoding import ENCODED_WORD_MAX
from harness.mail.mime import MAX_LINE
from harness.protocols.common.dotstuff import DotStuffDecoder, dot_stuff
from tests.mail.helpers import children, parse, physical_lines


def _of(corpus: list[CorpusMessage], kind: str) -> list[CorpusMessage]:
    found = [m for m in corpus if m.kind == kind]
    assert found, kind
    return found


def test_valid_messages_survive_dot_stuffing(every_kind: list[CorpusMessage]) -> None:
    for message in every_kind:
        if message.valid_for_smtp and not message.needs_binarymime:
            decoder = DotStuffDecoder()
            unstuffed = decoder.decode(bytearray(dot_stuff(message.raw)))
            assert decoder.finished and unstuffed == message.raw, message.name


def test_leading_dots(every_kind: list[CorpusMessage]) -> None:
    for message in _of(every_kind, "leading-dots"):
        body = message.body
        assert body.startswith(b".\r\n..\r\n...\r\n")
        assert body.endswith(b"\r\n.\r\n")  # stuffed, the end reads "..<CRLF>.<CRLF>"
        assert b"\r\n..double dot line\r\n" in body


def test_long_lines_are_exactly_998_octets(every_kind: list[CorpusMessage]) -> None:
    for message in _of(every_kind, "long-lines"):
        header_lengths = [len(line) for line in physical_lines(message.header_section)]
        body_lengths = [len(line) for line in physical_lines(message.body)]
        assert MAX_LINE in header_lengths
        assert body_lengths.count(MAX_LINE) == 3
        assert b"\r\n" + b"." * MAX_LINE + b"\r\n" in message.body  # 999 octets once stuffed


def test_quoted_printable_soft_wraps(every_kind: list[CorpusMessage]) -> None:
    for message in _of(every_kind, "quoted-printable"):
        lines = physical_lines(message.body)
        assert max(len(line) for line in lines) <= 76
        assert sum(line.endswith(b"=") for line in lines) >= 5  # soft breaks
        assert b"spaces  =20\r\n" in message.body and b"tab=09\r\n" in message.body
        assert b"=3D3D is not decoded twice" in message.body


def test_trailing_whitespace_is_on_the_wire(every_kind: list[CorpusMessage]) -> None:
    for message in _of(every_kind, "trailing-whitespace"):
        lines = physical_lines(message.body)
        assert sum(line.endswith(b" ") for line in lines) >= 3
        assert sum(line.endswith(b"\t") for line in lines) >= 2
        assert b"   " in lines
        assert (
            b"X-Mailharness-Trailing: value with trailing blanks \t \r\n" in message.header_section
        )


def test_mbox_from_lines(every_kind: list[CorpusMessage]) -> None:
    for message in _of(every_kind, "mbox-from-lines"):
        assert message.body.startswith(b"From here on")
        assert b"\r\nFrom \r\n" in message.body and b"\r\n>From " in message.body


def test_empty_body_and_header_only(every_kind: list[CorpusMessage]) -> None:
    for message in _of(every_kind, "empty-body"):
        assert message.raw.endswith(b"\r\n\r\n") and message.body == b""
    for message in _of(every_kind, "header-only"):
        assert b"\r\n\r\n" not in message.raw
        assert b"Content-Type" not in message.raw  # the RFC 2045 §5.2 default applies


def _multipart_depth(part: Message) -> int:
    if part.get_content_maintype() != "multipart":
        return 0
    return 1 + max(_multipart_depth(child) for child in children(part))


def _boundary_chain(part: Message) -> list[str]:
    """Boundaries from the outside in, following the multipart child at each level."""
    chain = []
    while part.get_content_maintype() == "multipart":
        boundary = part.get_boundary()
        assert boundary is not None
        chain.append(boundary)
        below = children(part)
        part = next((c for c in below if c.get_content_maintype() == "multipart"), below[0])
    return chain


def test_nested_multipart_depth_and_prefix_boundaries(every_kind: list[CorpusMessage]) -> None:
    for message in _of(every_kind, "nested-multipart"):
        parsed = parse(message.raw)
        assert _multipart_depth(parsed) >= 4
        chain = _boundary_chain(parsed)
        assert all(
            outer.startswith(inner) and outer != inner for outer, inner in itertools.pairwise(chain)
        )
        subtypes = [p.get_content_subtype() for p in parsed.walk() if p.is_multipart()]
        assert subtypes[:3] == ["mixed", "alternative", "related"]


def test_multipart_boundary_edge_cases(every_kind: list[CorpusMessage]) -> None:
    for message in _of(every_kind, "multipart-boundaries"):
        parsed = parse(message.raw)
        boundaries = [p.get_boundary() or "" for p in parsed.walk() if p.is_multipart()]
        assert sorted(len(b) for b in boundaries)[::2] == [1, 70]
        assert any(" " in b for b in boundaries)
        assert parsed.preamble and parsed.preamble.startswith("This is the preamble")
        assert parsed.epilogue and parsed.epilogue.startswith("This is the epilogue")
        assert re.search(rb"\r\n--[^\r\n]{70} \t \r\n", message.raw)  # transport padding


def test_message_rfc822_holds_a_whole_message(every_kind: list[CorpusMessage]) -> None:
    for message in _of(every_kind, "message-rfc822"):
        parsed = parse(message.raw)
        attached = next(p for p in parsed.walk() if p.get_content_type() == "message/rfc822")
        (inner,) = children(attached)
        assert inner["Subject"] == "the forwarded original"
        assert inner.get_content_type() == "multipart/alternative"
        assert message.raw.count(b"\r\nMessage-ID: ") == 2


def test_encoded_words_cover_four_charsets(every_kind: list[CorpusMessage]) -> None:
    for message in _of(every_kind, "rfc2047-headers"):
        words = re.findall(rb"=\?[^?]+\?[BQ]\?[^?]*\?=", message.header_section)
        assert all(len(word) <= ENCODED_WORD_MAX for word in words)
        charsets = {word.split(b"?")[1] for word in words}
        assert charsets == {b"UTF-8", b"GB2312", b"GBK", b"ISO-8859-1"}
        subject = re.search(rb"\r\nSubject: (.*?)\r\n(?! )", message.header_section, re.S)
        assert subject and subject.group(1).count(b"\r\n ") >= 1  # adjacent folded words


def test_rfc2231_forms_are_all_present(every_kind: list[CorpusMessage]) -> None:
    for message in _of(every_kind, "rfc2231-params"):
        raw = message.raw
        # The value is percent-encoded somewhere, not necessarily from its first octet.
        assert re.search(rb"filename\*=UTF-8''[^;\r\n]*%[0-9A-F]{2}", raw)
        assert b"filename*0*=UTF-8''" in raw and b"filename*1*=" in raw
        assert b'filename*0="' in raw and b'filename*1="' in raw


def test_long_folded_header_lines_stay_short(every_kind: list[CorpusMessage]) -> None:
    for message in _of(every_kind, "long-folded-header"):
        header_lines = physical_lines(message.header_section)
        continuation = [line for line in header_lines if line[:1] in (b" ", b"\t")]
        assert len(continuation) >= 20
        assert any(line.startswith(b"\t") for line in continuation)
        assert max(len(line) for line in header_lines if b"Mailharness-Hash" not in line) <= 78
        long_field = parse(message.raw)["X-Mailharness-Long"]
        assert len(str(long_field)) > MAX_LINE


def test_eight_bit_body_is_utf8_text(every_kind: list[CorpusMessage]) -> None:
    for message in _of(every_kind, "8bit-body"):
        assert b"Content-Transfer-Encoding: 8bit\r\n" in message.header_section
        assert not message.body.isascii()
        message.body.decode("utf-8")  # raises if it is not UTF-8


def test_binary_body_has_what_8bit_forbids(every_kind: list[CorpusMessage]) -> None:
    for message in _of(every_kind, "binary-body"):
        payload = message.leaves[1].payload
        assert b"a\rb" in payload and b"c\nd" in payload
        assert b"\0" not in payload
        longest_run = max(len(run) for run in re.split(rb"[\r\n]", payload))
        assert longest_run > MAX_LINE


def test_large_attachment_is_one_to_five_megabytes() -> None:
    from harness.mail.corpus import generate

    (message,) = generate(seed=2, count=1, kinds=["large-attachment"])
    assert 1_000_000 <= message.size <= 5 * 1024 * 1024 + 4096
    assert len(message.leaves[1].payload) > 700_000
    assert max(len(line) for line in physical_lines(message.raw)) <= MAX_LINE


def test_alternative_html_is_quoted_printable(every_kind: list[CorpusMessage]) -> None:
    for message in _of(every_kind, "multipart-alternative"):
        assert b"Content-Transfer-Encoding: quoted-printable" in message.raw
        assert b'charset=3D"utf-8"' in message.raw
