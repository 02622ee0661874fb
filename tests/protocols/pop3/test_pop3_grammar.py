"""POP3 grammar: command lines, status lines, listings; what we emit we parse back."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.protocols.common import LocalProtocolError
from harness.protocols.pop3 import (
    Apop,
    Auth,
    Capa,
    Capability,
    Dele,
    Err,
    Lang,
    LanguageListing,
    List,
    Noop,
    Ok,
    Pass,
    Quit,
    Retr,
    Rset,
    ScanListing,
    Stat,
    Stls,
    Top,
    Uidl,
    UniqueIdListing,
    User,
    Utf8,
    apop_digest,
    apop_timestamp,
    parse_drop_listing,
)
from harness.protocols.pop3.capabilities import (
    format_capability,
    format_language_listing,
    parse_capability,
    parse_language_listing,
)
from harness.protocols.pop3.commands import (
    format_auth_line,
    format_command,
    parse_auth_line,
    parse_command,
)
from harness.protocols.pop3.events import AuthChallenge, AuthLine
from harness.protocols.pop3.grammar import CommandSyntaxError
from harness.protocols.pop3.responses import (
    ResponseSyntaxError,
    format_continuation,
    format_status,
    is_continuation,
    parse_continuation,
    parse_status_line,
)
from harness.protocols.pop3.transaction import (
    format_scan_listing,
    format_unique_id_listing,
    parse_scan_listing,
    parse_unique_id_listing,
)

word = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=40)
utf8_word = st.text(
    st.characters(min_codepoint=0x21, blacklist_categories=("Cc", "Cs", "Zs", "Zl", "Zp")),
    min_size=1,
    max_size=20,
)
free_text = st.text(
    st.characters(min_codepoint=0x20, blacklist_categories=("Cc", "Cs")), max_size=60
)
msg = st.integers(min_value=1, max_value=10**9)
mechanism = st.from_regex(r"[A-Z0-9_-]{1,20}", fullmatch=True)
code = st.from_regex(r"[A-Z0-9-]{1,10}(/[A-Z0-9-]{1,10}){0,2}", fullmatch=True)

commands = st.one_of(
    st.builds(User, word),
    st.builds(Pass, free_text.filter(lambda t: t != "")),
    st.builds(Apop, word, st.from_regex(r"[0-9a-f]{32}", fullmatch=True)),
    st.builds(Auth, mechanism, st.none() | st.binary(max_size=100)),
    st.builds(Stat),
    st.builds(List, st.none() | msg),
    st.builds(Retr, msg),
    st.builds(Dele, msg),
    st.builds(Noop),
    st.builds(Rset),
    st.builds(Top, msg, st.integers(min_value=0, max_value=10**6)),
    st.builds(Uidl, st.none() | msg),
    st.builds(Capa),
    st.builds(Stls),
    st.builds(Utf8),
    st.builds(Lang, st.none() | word),
    st.builds(Quit),
)


@settings(max_examples=300, deadline=None)
@given(commands)
def test_every_command_round_trips(command: object) -> None:
    line = format_command(command)  # type: ignore[arg-type]
    assert line.endswith(b"\r\n") and b"\r\n" not in line[:-2]
    assert parse_command(line[:-2]) == command


@settings(max_examples=200, deadline=None)
@given(st.builds(User, utf8_word))
def test_utf8_user_round_trips_only_in_utf8_mode(command: User) -> None:
    line = format_command(command, utf8=True)
    assert parse_command(line[:-2], utf8=True) == command
    if not command.name.isascii():
        with pytest.raises(CommandSyntaxError):
            parse_command(line[:-2], utf8=False)


@settings(max_examples=200, deadline=None)
@given(st.builds(AuthLine, st.binary(max_size=200)) | st.just(AuthLine(cancelled=True)))
def test_auth_lines_round_trip(line: AuthLine) -> None:
    assert parse_auth_line(format_auth_line(line)[:-2]) == line


@settings(max_examples=300, deadline=None)
@given(st.sampled_from([Ok, Err]), free_text, st.none() | code)
def test_status_lines_round_trip(kind: type[Ok | Err], text: str, resp_code: str | None) -> None:
    response = kind(text, resp_code)
    try:
        line = format_status(response, 512)
    except LocalProtocolError:
        assert resp_code is None and text.startswith("[")  # would read as a code
        return
    assert parse_status_line(line[:-2]) == response


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(
        st.builds(ScanListing, msg, st.integers(min_value=0, max_value=10**12), st.just("")),
        st.builds(ScanListing, msg, st.integers(min_value=0, max_value=10**15), free_text),
        st.builds(UniqueIdListing, msg, word),
        st.builds(
            Capability, word.filter(lambda w: "." not in w), st.lists(word, max_size=4).map(tuple)
        ),
    )
)
def test_listing_lines_round_trip(listing: object) -> None:
    if isinstance(listing, ScanListing):
        assert parse_scan_listing(format_scan_listing(listing)) == listing
    elif isinstance(listing, UniqueIdListing):
        assert parse_unique_id_listing(format_unique_id_listing(listing)) == listing
    else:
        assert isinstance(listing, Capability)
        assert parse_capability(format_capability(listing)) == listing


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (b"user mrose", User("mrose")),
        (b"Pass secret with spaces", Pass("secret with spaces")),
        (b"stat", Stat()),
        (b"rEtR 1", Retr(1)),
        (b"LIST", List()),
        (b"LIST 2", List(2)),
        (b"TOP 1 0", Top(1, 0)),
        (b"UIDL 07", Uidl(7)),
        (b"auth plain", Auth("PLAIN")),
        (b"AUTH PLAIN =", Auth("PLAIN", b"")),
        (b"AUTH PLAIN AHRpbQB0YW5zdGFhZg==", Auth("PLAIN", b"\x00tim\x00tanstaaf")),
        (
            b"APOP mrose c4c9334bac560ecc979e58001b3e22fb",
            Apop("mrose", "c4c9334bac560ecc979e58001b3e22fb"),
        ),
        (b"LANG *", Lang("*")),
    ],
)
def test_rfc_command_forms(line: bytes, expected: object) -> None:
    assert parse_command(line) == expected


@pytest.mark.parametrize(
    "line",
    [
        b"XYZZY",
        b"RETR",
        b"RETR abc",
        b"RETR 0",
        b"RETR -1",
        b"RETR 1 2",
        b"TOP 1",
        b"TOP 1 -1",
        b"STAT now",
        b"LIST  1",
        b"LIST 1 ",
        b"USER",
        b"USER a b",
        b"PASS",
        b"PASS a\x00b",
        b"APOP mrose nothex",
        b"AUTH",
        b"AUTH PLAIN not-base64!",
        b"AUTH PLAIN QQ",
        b"AUTH THIS-MECHANISM-NAME-IS-TOO-LONG",
        b"",
        b"NO",
        b"\x00\x01\x02",
        b"USER \xc3\xa9",
    ],
)
def test_malformed_commands_are_syntax_errors(line: bytes) -> None:
    with pytest.raises(CommandSyntaxError):
        parse_command(line)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (b"+OK", Ok()),
        (b"+OK ", Ok()),
        (b"+OK 2 320", Ok("2 320")),
        (b"-ERR [IN-USE] maildrop locked", Err("maildrop locked", "IN-USE")),
        (b"-ERR [SYS/TEMP] try later", Err("try later", "SYS/TEMP")),
        (b"-ERR [SYS/PERM]", Err("", "SYS/PERM")),
        (b"-ERR [AUTH] bad login", Err("bad login", "AUTH")),
        (b"-ERR [LOGIN-DELAY] wait", Err("wait", "LOGIN-DELAY")),
        (b"+OK [UTF8] on", Ok("on", "UTF8")),
        (b"-ERR [not a code", Err("[not a code", None)),
        (b"-ERR [] empty", Err("[] empty", None)),
    ],
)
def test_status_lines_and_response_codes(line: bytes, expected: object) -> None:
    assert parse_status_line(line) == expected


@pytest.mark.parametrize("line", [b"+ok fine", b"-err no", b"+OKAY", b"OK", b"", b"* 1 EXISTS"])
def test_not_status_lines(line: bytes) -> None:
    with pytest.raises(ResponseSyntaxError):
        parse_status_line(line)


def test_unsendable_values_are_our_misuse() -> None:
    for command in (User("a b"), User(""), Pass("x\r\nDELE 1"), Retr(0), Top(1, -1), Auth("plain")):
        with pytest.raises(LocalProtocolError):
            format_command(command)
    with pytest.raises(LocalProtocolError):
        format_status(Ok("x\r\n+OK injected"), 512)
    with pytest.raises(LocalProtocolError):
        format_status(Ok("x" * 600), 512)
    with pytest.raises(LocalProtocolError):
        format_status(Ok("t", "bad]code"), 512)


def test_apop_rfc1939_example() -> None:
    greeting = "POP3 server ready <1896.697170952@dbc.mtview.ca.us>"
    timestamp = apop_timestamp(greeting)
    assert timestamp == "<1896.697170952@dbc.mtview.ca.us>"
    assert apop_digest(timestamp, "tanstaaf") == "c4c9334bac560ecc979e58001b3e22fb"
    assert apop_timestamp("POP3 ready") is None


def test_listing_helpers() -> None:
    assert parse_drop_listing("2 320") == (2, 320)
    assert parse_scan_listing(b"2 200") == ScanListing(2, 200)
    assert parse_unique_id_listing(b"2 QhdPYR:00WBw1Ph7x7") == UniqueIdListing(
        2, "QhdPYR:00WBw1Ph7x7"
    )
    for bad in (b"2", b"2 " + b"x" * 71, b"0 abc", b"x abc"):
        with pytest.raises(CommandSyntaxError):
            parse_unique_id_listing(bad)
    with pytest.raises(CommandSyntaxError):
        parse_drop_listing("two 320")
    assert LanguageListing("en", "English") != LanguageListing("en")


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_auth_challenges_round_trip(data: bytes) -> None:
    line = format_continuation(AuthChallenge(data))
    assert line.startswith(b"+ ") and is_continuation(line[:-2])
    assert parse_continuation(line[:-2]) == AuthChallenge(data)


@settings(max_examples=200, deadline=None)
@given(word.filter(lambda w: not w.startswith(".")), free_text)
def test_language_listing_round_trips(tag: str, description: str) -> None:
    listing = LanguageListing(tag, description)
    assert parse_language_listing(format_language_listing(listing)) == listing
