"""The encoders, checked against the stdlib decoders: what we emit, a parser reads back."""

from __future__ import annotations

import base64
import binascii
import email
import email.policy
import re
from email.header import decode_header, make_header

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.mail.encoding import (
    ENCODED_WORD_MAX,
    base64_body,
    encoded_words,
    fold,
    parameter_header,
    quoted_continuations,
    quoted_printable,
    rfc2231_parameter,
)
from harness.mail.text import GB2312_SAMPLES, GBK_ONLY_SAMPLES, LATIN1_SAMPLES, UTF8_SAMPLES

crlf_text = st.lists(
    st.binary(max_size=300).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b""))
).map(b"\r\n".join)


@given(st.binary(max_size=2000), st.sampled_from([4, 64, 72, 76]))
def test_base64_lines_decode_back(data: bytes, width: int) -> None:
    encoded = base64_body(data, width)
    lines = encoded.split(b"\r\n")
    assert lines[-1] == b""
    assert all(len(line) <= width for line in lines)
    assert base64.b64decode(b"".join(lines)) == data


def test_base64_refuses_a_line_length_not_a_multiple_of_four() -> None:
    with pytest.raises(ValueError):
        base64_body(b"x", 75)


@given(crlf_text)
def test_quoted_printable_round_trips_with_short_lines(text: bytes) -> None:
    encoded = quoted_printable(text)
    lines = encoded.split(b"\r\n")
    assert all(len(line) <= 76 for line in lines)
    assert all(not line.endswith((b" ", b"\t")) for line in lines)
    assert encoded.isascii()
    assert binascii.a2b_qp(encoded) == text


def test_quoted_printable_escapes_equals_and_trailing_blanks() -> None:
    assert quoted_printable(b"a=b \r\nc\t") == b"a=3Db=20\r\nc=09"


def test_quoted_printable_carries_a_space_across_a_soft_break() -> None:
    text = b"x" * 74 + b" y"
    encoded = quoted_printable(text)
    assert encoded == b"x" * 74 + b"=\r\n y"
    assert binascii.a2b_qp(encoded) == text


@pytest.mark.parametrize(
    ("samples", "charset"),
    [
        (UTF8_SAMPLES, "UTF-8"),
        (LATIN1_SAMPLES, "ISO-8859-1"),
        (GB2312_SAMPLES, "GB2312"),
        (GBK_ONLY_SAMPLES, "GBK"),
    ],
)
def test_text_samples_fit_their_charsets(samples: tuple[str, ...], charset: str) -> None:
    for sample in samples:
        sample.encode(charset)
    if charset == "GBK":  # these exist to be outside GB2312
        for sample in samples:
            with pytest.raises(UnicodeEncodeError):
                sample.encode("gb2312")


@given(st.text(min_size=1, max_size=200), st.sampled_from(["B", "Q"]))
def test_utf8_encoded_words_decode_back(text: str, method: str) -> None:
    text = text.replace("\r", "").replace("\n", "")
    words = encoded_words(text, "UTF-8", method)
    assert all(len(word) <= ENCODED_WORD_MAX for word in words)
    if text:
        header = fold("Subject", words).decode("ascii")
        value = header.removeprefix("Subject: ").removesuffix("\r\n")
        assert str(make_header(decode_header(value))) == text


@pytest.mark.parametrize("charset", ["GB2312", "GBK", "ISO-8859-1"])
@pytest.mark.parametrize("method", ["B", "Q"])
def test_legacy_charset_words_decode_back(charset: str, method: str) -> None:
    source = {"GB2312": GB2312_SAMPLES, "GBK": GBK_ONLY_SAMPLES, "ISO-8859-1": LATIN1_SAMPLES}[
        charset
    ]
    text = " ".join(source * 3)
    words = encoded_words(text, charset, method)
    assert len(words) > 1 and all(len(word) <= ENCODED_WORD_MAX for word in words)
    assert str(make_header(decode_header(" ".join(words)))) == text


def test_fold_unfolds_to_the_tokens_and_keeps_lines_short() -> None:
    tokens = [f"<id{i}@example.test>" for i in range(30)]
    folded = fold("References", tokens)
    assert all(len(line) <= 78 for line in folded.split(b"\r\n"))
    assert folded.replace(b"\r\n", b"") == b"References: " + " ".join(tokens).encode()
    tabbed = fold("X-Test", ["a"] * 60, separator="\t")
    assert b"\r\n\ta" in tabbed


def _filename_of(disposition: bytes) -> str | None:
    raw = b"Content-Type: text/plain\r\n" + disposition + b"\r\nbody\r\n"
    return email.message_from_bytes(raw, policy=email.policy.default).get_filename()


def _survives_stdlib_unquote(value: str) -> bool:
    # email.utils.unquote strips one pair of surrounding <> or "" from a decoded
    # parameter: a stdlib quirk, not an encoding error, so such names are left out.
    return not (value[:1] + value[-1:] in ("<>", '""') and len(value) >= 2)


@given(
    st.text(min_size=1, max_size=80).filter(
        lambda s: s.strip() == s and "\x00" not in s and _survives_stdlib_unquote(s)
    )
)
def test_rfc2231_parameters_decode_back(name: str) -> None:
    single = parameter_header(
        "Content-Disposition", "attachment", rfc2231_parameter("filename", name)
    )
    continued = parameter_header(
        "Content-Disposition", "attachment", rfc2231_parameter("filename", name, section=10)
    )
    assert _filename_of(single) == name
    assert _filename_of(continued) == name


def test_rfc2231_continuations_never_split_a_percent_escape() -> None:
    pieces = rfc2231_parameter("filename", "日本語のファイル.txt", section=7)
    assert pieces[0].startswith("filename*0*=UTF-8''")
    assert len(pieces) > 3
    for piece in pieces:
        value = piece.split("=", 1)[1].removeprefix("UTF-8''")
        assert re.fullmatch(r"(?:[^%]|%[0-9A-F]{2})+", value), piece


def test_quoted_continuations_decode_back_and_refuse_non_ascii() -> None:
    name = "a-rather-long-plain-ascii-file-name.txt"
    disposition = parameter_header(
        "Content-Disposition", "attachment", quoted_continuations("filename", name, 8)
    )
    assert _filename_of(disposition) == name
    with pytest.raises(ValueError):
        quoted_continuations("filename", "café", 8)
