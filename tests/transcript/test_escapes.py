"""The ${...} byte escapes shared by scripts and transcripts."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.transcript.escapes import (
    EscapeError,
    escape_text,
    find_closing_brace,
    literal_bytes,
    unescape_text,
)


@pytest.mark.parametrize(
    ("data", "text"),
    [
        (b"EHLO client.example", "EHLO client.example"),
        (b"* FLAGS (\\Seen \\Answered \\*)", "* FLAGS (\\Seen \\Answered \\*)"),
        (b"x\n.\nMAIL", "x${LF}.${LF}MAIL"),
        (b"a\r\nb\rc\x00d\te", "a${CRLF}b${CR}c${NUL}d${TAB}e"),
        (b"\x1b[0m\x7f", "${0x1b}[0m${0x7f}"),
        (b"\x01\x02\x03", "${0x010203}"),
        (b"334 ", "334${SP}"),
        (b"cost ${x} $5", "cost ${$}{x} $5"),
        ("Entwürfe δοκιμή".encode(), "Entwürfe δοκιμή"),
        (b"caf\xe9", "caf${0xe9}"),  # Latin-1, not UTF-8
        ("a\u202eb".encode(), "a${0xe280ae}b"),  # bidi override would reorder the text
        (b"A" * 5000, '${"A" * 5000}'),
        (b"<" + b"a" * 40 + b">", '<${"a" * 40}>'),
        (b"", ""),
    ],
)
def test_escape_and_unescape(data: bytes, text: str) -> None:
    assert escape_text(data) == text
    assert unescape_text(text) == data


def test_runs_can_be_kept_literal() -> None:
    assert escape_text(b"A" * 40, min_run=None) == "A" * 40


@pytest.mark.parametrize(
    ("body", "value"),
    [
        ("CRLF", b"\r\n"),
        (" SP ", b" "),
        ("0x00ff", b"\x00\xff"),
        ('"ab" * 3', b"ababab"),
        ('"say \\"hi\\" \\\\o/"', b'say "hi" \\o/'),
        ('"}"', b"}"),
        ("user", None),
        ("0x0", None),
        ("*", None),
    ],
)
def test_literal_bytes(body: str, value: bytes | None) -> None:
    assert literal_bytes(body) == value


def test_closing_brace_skips_quoted_braces() -> None:
    text = '${"}" * 2}tail'
    assert find_closing_brace(text, 2) == text.index("}tail")


@pytest.mark.parametrize(
    ("text", "column"),
    [("abc ${CR", 4), ("x ${user}", 2), ("${0x1}", 0)],
)
def test_unescape_errors_name_the_column(text: str, column: int) -> None:
    with pytest.raises(EscapeError) as caught:
        unescape_text(text)
    assert caught.value.column == column


@given(st.binary(max_size=300))
def test_any_bytes_round_trip(data: bytes) -> None:
    text = escape_text(data)
    assert unescape_text(text) == data
    assert "\n" not in text and "\r" not in text
    assert not text[-1:].isspace()


@given(st.text(max_size=100))
def test_any_utf8_text_round_trips(text: str) -> None:
    data = text.encode("utf-8")
    assert unescape_text(escape_text(data)) == data
