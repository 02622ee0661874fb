"""The ${...} language inside C: and S: text."""

from __future__ import annotations

import pytest

from harness.conformance.template import (
    Choice,
    Computed,
    Literal,
    Name,
    TemplateError,
    UnboundName,
    Wildcard,
    names_used,
    parse_template,
    regex_group_names,
    render,
)


def send(text: str, **variables: bytes) -> bytes:
    return render(parse_template(text, patterns=False), variables)


def test_parts_of_a_pattern_line() -> None:
    parts = parse_template("${500|502} ${*}x${CRLF}${code}", patterns=True)
    assert parts == (
        Choice((b"500", b"502")),
        Literal(b" "),
        Wildcard(),
        Literal(b"x\r\n"),
        Name("code"),
    )


def test_literal_escapes_inside_regex_lines_stay_escaped_values() -> None:
    parts = parse_template(r"\d+${SP}(?P<x>\w+)", patterns=True, regex=True)
    assert isinstance(parts[1], Computed)
    assert list(regex_group_names(parts)) == ["x"]


def test_rfc1939_apop_digest() -> None:
    # RFC 1939 §7: the example timestamp and secret give this digest.
    digest = send(
        "APOP mrose ${md5hex(ts + secret)}",
        ts=b"<1896.697170952@dbc.mtview.ca.us>",
        secret=b"tanstaaf",
    )
    assert digest == b"APOP mrose c4c9334bac560ecc979e58001b3e22fb"


def test_rfc2195_cram_md5_response() -> None:
    # RFC 2195 §2: the example challenge, user and secret.
    text = '${base64(user + " " + hmac_md5hex(password, unbase64(challenge)))}'
    challenge = b"PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+"
    response = send(text, user=b"tim", password=b"tanstaaftanstaaf", challenge=challenge)
    assert response == b"dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw"


def test_repeat_concat_and_hex() -> None:
    assert send('${"ab" * 2 + 0x00 + CR * 3}') == b"abab\x00\r\r\r"
    assert send("${ user }", user=b"u") == b"u"


def test_unbound_and_undecodable_values_fail_at_send_time() -> None:
    with pytest.raises(UnboundName, match=r"\$\{who\} is not bound"):
        send("${who}")
    with pytest.raises(ValueError, match="unbase64: not base64"):
        send("${unbase64(x)}", x=b"*not*")


def test_names_used_finds_names_inside_expressions() -> None:
    parts = parse_template("${a} ${base64(b + c)} ${CR}", patterns=False)
    assert list(names_used(parts)) == ["a", "b", "c"]


@pytest.mark.parametrize(
    ("text", "column", "message"),
    [
        ("ab ${1x}", 3, "expected a string, a name or a call, found '1'"),
        ("${user +}", 0, "expected a value"),
        ("${(user)}", 0, "expected a string, a name or a call"),
        ("${user user}", 0, "unexpected 'user'"),
        ('${"a" * "b"}', 0, "expected a repeat count"),
    ],
)
def test_expression_errors(text: str, column: int, message: str) -> None:
    with pytest.raises(TemplateError) as caught:
        parse_template(text, patterns=False)
    assert caught.value.column == column and message in caught.value.message
