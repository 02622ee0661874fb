"""The MIME builder refuses what RFC 2045/2046 forbid, so the corpus is valid by construction."""

from __future__ import annotations

import pytest

from harness.mail import mime


def test_seven_bit_refuses_eight_bit_octets() -> None:
    with pytest.raises(ValueError, match="7bit"):
        mime.text("café", transfer_encoding="7bit")


@pytest.mark.parametrize(
    "payload", [b"bare\nlf\r\n", b"bare\rcr\r\n", b"nul\0\r\n", b"x" * 999 + b"\r\n"]
)
def test_eight_bit_refuses_what_rfc_2045_excludes(payload: bytes) -> None:
    with pytest.raises(ValueError):
        mime.leaf("text/plain", payload, transfer_encoding="8bit")


def test_binary_allows_bare_newlines_and_long_runs() -> None:
    part = mime.leaf(
        "application/octet-stream", b"a\rb\nc" + b"y" * 2000, transfer_encoding="binary"
    )
    assert part.body.startswith(b"a\rb\nc")


def test_unknown_transfer_encoding_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown transfer encoding"):
        mime.leaf("text/plain", b"x", transfer_encoding="uuencode")


@pytest.mark.parametrize("boundary", ["", "x" * 71, "ends with space ", "bad\\char", "semi;colon"])
def test_boundaries_outside_the_grammar_are_refused(boundary: str) -> None:
    with pytest.raises(ValueError, match="boundary"):
        mime.multipart("mixed", [mime.text("hi\r\n")], boundary)


def test_a_boundary_found_in_the_content_is_refused() -> None:
    with pytest.raises(ValueError, match="occurs inside the content"):
        mime.multipart("mixed", [mime.text("--abc\r\n")], "abc")
    with pytest.raises(ValueError, match="occurs inside the content"):
        mime.multipart("mixed", [mime.text("--abcdef and more\r\n")], "abc")


def test_an_inner_boundary_may_be_a_prefix_of_the_outer_one() -> None:
    inner = mime.multipart("alternative", [mime.text("a\r\n"), mime.text("b\r\n")], "abc")
    outer = mime.multipart("mixed", [inner], "abc_")
    assert outer.body.count(b"--abc_") == 2
    assert len(outer.leaves) == 2


def test_the_crlf_before_a_delimiter_belongs_to_the_delimiter() -> None:
    part = mime.multipart("mixed", [mime.text("x")], "b")
    assert part.body.endswith(b"\r\n\r\nx\r\n--b--\r\n")
