"""Wire examples: command lines the server parses, replies the client reads,
and the exact reply bytes the server core gives for what it refuses."""

from __future__ import annotations

import pytest
from smtp_pair import greeted_server, serve

from harness.protocols.common import RemoteProtocolError, Role
from harness.protocols.smtp import (
    NULL_PATH,
    Address,
    Auth,
    Bdat,
    CommandParser,
    Data,
    Ehlo,
    EnhancedStatus,
    Event,
    Expn,
    Helo,
    Help,
    MailFrom,
    MailParams,
    Noop,
    Path,
    Quit,
    RcptParams,
    RcptTo,
    Reply,
    ReplyDecoder,
    Rset,
    SMTPConnection,
    SMTPLimits,
    SMTPPolicy,
    StartTLS,
    Vrfy,
    format_reply,
    parse_ehlo_reply,
    reply,
)


def path(local: str, domain: str, *route: str) -> Path:
    return Path(Address(local, domain), route)


ANY_EXTENSION = {"SIZE", "8BITMIME", "BINARYMIME", "SMTPUTF8", "DSN", "AUTH"}

COMMANDS: list[tuple[bytes, Event]] = [
    (b"EHLO client.example.com\r\n", Ehlo("client.example.com")),
    (b"ehlo [192.0.2.1]\r\n", Ehlo("[192.0.2.1]")),
    (b"EHLO [IPv6:2001:db8::1]\r\n", Ehlo("[IPv6:2001:db8::1]")),
    (b"HELO relay.example\r\n", Helo("relay.example")),
    (b"MAIL FROM:<a@b.example>\r\n", MailFrom(path("a", "b.example"))),
    (b"mail from:<>\r\n", MailFrom(NULL_PATH)),
    (b"MAIL FROM: <a@b.example>\r\n", MailFrom(path("a", "b.example"))),  # lenient default
    (b'MAIL FROM:<"john doe"@b.example>\r\n', MailFrom(path("john doe", "b.example"))),
    (b'MAIL FROM:<"a\\"b"@b.example>\r\n', MailFrom(path('a"b', "b.example"))),
    (b"MAIL FROM:<a@[198.51.100.7]>\r\n", MailFrom(path("a", "[198.51.100.7]"))),
    (
        b"MAIL FROM:<a@b.example> SIZE=1000 BODY=8BITMIME\r\n",
        MailFrom(path("a", "b.example"), MailParams(size=1000, body="8BITMIME")),
    ),
    (
        b"MAIL FROM:<a@b.example> body=binarymime smtputf8 RET=hdrs ENVID=QQ314159\r\n",
        MailFrom(
            path("a", "b.example"),
            MailParams(body="BINARYMIME", smtputf8=True, ret="HDRS", envid="QQ314159"),
        ),
    ),
    (
        b"MAIL FROM:<a@b.example> ENVID=a+2Bb+3Dc AUTH=<>\r\n",
        MailFrom(path("a", "b.example"), MailParams(envid="a+b=c", auth="<>")),
    ),
    (
        "MAIL FROM:<δοκιμή@παράδειγμα.δοκιμή> SMTPUTF8\r\n".encode(),
        MailFrom(path("δοκιμή", "παράδειγμα.δοκιμή"), MailParams(smtputf8=True)),
    ),
    (b"RCPT TO:<u@local.example>\r\n", RcptTo(path("u", "local.example"))),
    (b"RCPT TO:<Postmaster>\r\n", RcptTo(Path(Address("Postmaster", "")))),
    (b"RCPT TO:<postMaster@local.example>\r\n", RcptTo(path("postMaster", "local.example"))),
    (
        b"RCPT TO:<@hop1.example,@hop2.example:u@local.example>\r\n",
        RcptTo(path("u", "local.example", "hop1.example", "hop2.example")),
    ),
    (
        b"RCPT TO:<u@l.example> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;u+40l.example\r\n",
        RcptTo(
            path("u", "l.example"), RcptParams(("SUCCESS", "FAILURE"), ("rfc822", "u@l.example"))
        ),
    ),
    (
        b"RCPT TO:<u@l.example> NOTIFY=never\r\n",
        RcptTo(path("u", "l.example"), RcptParams(("NEVER",))),
    ),
    (b"DATA\r\n", Data()),
    (b"RSET\r\n", Rset()),
    (b"NOOP\r\n", Noop()),
    (b"NOOP ignored args\r\n", Noop("ignored args")),
    (b"VRFY Smith\r\n", Vrfy("Smith")),
    (b"EXPN Example-People\r\n", Expn("Example-People")),
    (b"HELP\r\n", Help()),
    (b"HELP MAIL\r\n", Help("MAIL")),
    (b"QUIT\r\n", Quit()),
    (b"starttls\r\n", StartTLS()),
    (b"BDAT 100\r\n", Bdat(100)),
    (b"BDAT 0 LAST\r\n", Bdat(0, True)),
    (b"AUTH PLAIN\r\n", Auth("PLAIN")),
    (b"auth plain AHVzZXIAcGFzcw==\r\n", Auth("PLAIN", b"\0user\0pass")),
    (b"AUTH PLAIN =\r\n", Auth("PLAIN", b"")),
]


@pytest.mark.parametrize(("line", "event"), COMMANDS)
def test_command_line_parses_to_event(line: bytes, event: Event) -> None:
    parser = CommandParser(SMTPLimits(), SMTPPolicy())
    parser.advertised = ANY_EXTENSION
    assert parser.parse(line) == event


# RFC 5321 §4.1.1: "SMTP receivers SHOULD tolerate trailing white space before
# the terminating <CRLF>": SP or HTAB, any number, after any command.
TRAILING_WHITE_SPACE: list[tuple[bytes, Event]] = [
    (b"EHLO client.example \r\n", Ehlo("client.example")),
    (b"HELO client.example\t\r\n", Helo("client.example")),
    (b"MAIL FROM:<a@b.example> \r\n", MailFrom(path("a", "b.example"))),
    (b"MAIL FROM:<> \t \r\n", MailFrom(NULL_PATH)),
    (b'MAIL FROM:<"a b"@b.example> \r\n', MailFrom(path("a b", "b.example"))),
    (
        b"MAIL FROM:<a@b.example> SIZE=10  \r\n",
        MailFrom(path("a", "b.example"), MailParams(size=10)),
    ),
    (b"RCPT TO:<u@local.example> \r\n", RcptTo(path("u", "local.example"))),
    (b"RCPT TO:<Postmaster>\t\r\n", RcptTo(Path(Address("Postmaster", "")))),
    (b"DATA \r\n", Data()),
    (b"RSET\t\r\n", Rset()),
    (b"NOOP \r\n", Noop()),
    (b"NOOP text  \r\n", Noop("text")),
    (b"VRFY Smith \r\n", Vrfy("Smith")),
    (b"HELP \r\n", Help()),
    (b"QUIT \r\n", Quit()),
    (b"STARTTLS \r\n", StartTLS()),
    (b"BDAT 10 LAST \r\n", Bdat(10, True)),
    (b"AUTH PLAIN \r\n", Auth("PLAIN")),
    (b"AUTH PLAIN AHVzZXIAcGFzcw== \r\n", Auth("PLAIN", b"\0user\0pass")),
]


@pytest.mark.parametrize(("line", "event"), TRAILING_WHITE_SPACE)
def test_trailing_white_space_before_crlf_is_tolerated(line: bytes, event: Event) -> None:
    parser = CommandParser(SMTPLimits(), SMTPPolicy())
    parser.advertised = ANY_EXTENSION
    assert parser.parse(line) == event


def test_trailing_white_space_is_tolerated_through_the_server_core() -> None:
    server = greeted_server()
    events, out = serve(server, b"MAIL FROM:<a@b.example> \r\nRCPT TO:<u@l.example>\t\r\n")
    assert events == [MailFrom(path("a", "b.example")), RcptTo(path("u", "l.example"))]
    assert out == b"250 2.0.0 OK\r\n" * 2


REFUSED: list[tuple[bytes, bytes]] = [
    (b"XYZZY\r\n", b"500 5.5.2 Syntax error, command unrecognized\r\n"),
    (b"MAILFROM:<a@b>\r\n", b"500 5.5.2 Syntax error, command unrecognized\r\n"),
    (b"NOOP\n", b"500 5.5.2 Command line must end with CRLF\r\n"),
    (b"NOOP \xff\r\n", b"500 5.5.2 Command line is not valid UTF-8\r\n"),
    (b"EHLO\r\n", b"501 5.5.4 Syntax error in parameters or arguments\r\n"),
    (b"HELO \r\n", b"501 5.5.4 Syntax error in parameters or arguments\r\n"),
    (b"EHLO bad_host!\r\n", b"501 5.5.4 Syntax error in parameters or arguments\r\n"),
    (b"EHLO [300.1.1.1]\r\n", b"501 5.5.4 Syntax error in parameters or arguments\r\n"),
    (b"MAIL FROM:a@b.example\r\n", b"501 5.1.7 Bad sender address syntax\r\n"),
    (b"MAIL FROM:<a@b.example\r\n", b"501 5.1.7 Bad sender address syntax\r\n"),
    (b"MAIL FROM:<a..b@c.example>\r\n", b"501 5.1.7 Bad sender address syntax\r\n"),
    (b"MAIL FROM:<Postmaster>\r\n", b"501 5.1.7 Bad sender address syntax\r\n"),
    (b"MAIL TO:<a@b.example>\r\n", b"501 5.5.4 Syntax error in parameters or arguments\r\n"),
    (b"MAIL FROM:<a@b.example>x\r\n", b"501 5.5.4 Syntax error in parameters or arguments\r\n"),
    (
        b"MAIL FROM:<a@b.example>  SIZE=1\r\n",
        b"501 5.5.4 Syntax error in parameters or arguments\r\n",
    ),
    (
        b"MAIL FROM:<a@b.example> SIZE=abc\r\n",
        b"501 5.5.4 Syntax error in parameters or arguments\r\n",
    ),
    (
        b"MAIL FROM:<a@b.example> SIZE=1 SIZE=2\r\n",
        b"501 5.5.4 Syntax error in parameters or arguments\r\n",
    ),
    (
        b"MAIL FROM:<a@b.example> BODY=FOO\r\n",
        b"501 5.5.4 Syntax error in parameters or arguments\r\n",
    ),
    (
        b"MAIL FROM:<a@b.example> SMTPUTF8=yes\r\n",
        b"501 5.5.4 Syntax error in parameters or arguments\r\n",
    ),
    (
        b"MAIL FROM:<a@b.example> ENVID=a+2g\r\n",
        b"501 5.5.4 Syntax error in parameters or arguments\r\n",
    ),
    (
        b"MAIL FROM:<a@b.example> FOO=BAR\r\n",
        b"555 5.5.4 MAIL FROM/RCPT TO parameters not recognized or not implemented\r\n",
    ),
    (b"RCPT TO:u@l.example\r\n", b"501 5.1.3 Bad recipient address syntax\r\n"),
    (b"RCPT TO:<u@l.example.>\r\n", b"501 5.1.3 Bad recipient address syntax\r\n"),
    (
        b"RCPT TO:<u@l.example> NOTIFY=NEVER,SUCCESS\r\n",
        b"501 5.5.4 Syntax error in parameters or arguments\r\n",
    ),
    (
        b"RCPT TO:<u@l.example> ORCPT=u@l\r\n",
        b"501 5.5.4 Syntax error in parameters or arguments\r\n",
    ),
    (b"DATA now\r\n", b"501 5.5.4 Syntax error in parameters or arguments\r\n"),
    (b"STARTTLS foo\r\n", b"501 5.5.4 Syntax error in parameters or arguments\r\n"),
    (b"VRFY \t\r\n", b"501 5.5.4 Syntax error in parameters or arguments\r\n"),
    (b"QUIT  x \r\n", b"501 5.5.4 Syntax error in parameters or arguments\r\n"),
    (b"STARTTLSX\r\n", b"500 5.5.2 Syntax error, command unrecognized\r\n"),
    (b"VRFY\r\n", b"501 5.5.4 Syntax error in parameters or arguments\r\n"),
    (b"AUTH\r\n", b"501 5.5.4 Syntax error in parameters or arguments\r\n"),
    (b"AUTH PLAIN =AAA\r\n", b"501 5.5.2 Cannot decode base64\r\n"),
    (b"AUTH PLAIN AA=A\r\n", b"501 5.5.2 Cannot decode base64\r\n"),
    (b"AUTH PLAIN A\xc3\xa9A=\r\n", b"501 5.5.2 Cannot decode base64\r\n"),
    # Unicode case mapping must not make look-alikes into keywords: "ı".upper() == "I"
    ("MAıL FROM:<a@b.example>\r\n".encode(), b"500 5.5.2 Syntax error, command unrecognized\r\n"),
    (
        "MAIL FRОM:<a@b.example>\r\n".encode(),
        b"501 5.5.4 Syntax error in parameters or arguments\r\n",
    ),
    (
        "MAIL FROM:<a@b.example> BODY=8bıtmıme\r\n".encode(),
        b"501 5.5.4 Syntax error in parameters or arguments\r\n",
    ),
]


@pytest.mark.parametrize(("line", "expected"), REFUSED)
def test_refused_line_gets_exact_reply_and_session_continues(line: bytes, expected: bytes) -> None:
    server = greeted_server()
    with pytest.raises(RemoteProtocolError) as caught:
        server.receive_data(line)
        server.next_event()
    assert caught.value.reply == expected
    assert not caught.value.fatal
    events, out = serve(server, b"NOOP\r\n")
    assert events == [Noop()]
    assert out == b"250 2.0.0 OK\r\n"


def test_command_line_limit_512_octets_with_crlf() -> None:
    """RFC 5321 §4.5.3.1.4: 512 octets including CRLF; MAIL/RCPT may be longer."""
    server = greeted_server()
    ok_line = b"VRFY " + b"x" * (512 - 7) + b"\r\n"
    long_line = b"VRFY " + b"x" * (512 - 6) + b"\r\n"
    events, out = serve(server, ok_line + long_line)
    assert [len(ok_line), len(long_line)] == [512, 513]
    assert events == [Vrfy("x" * 505)]
    assert out == b"250 2.0.0 OK\r\n500 5.5.2 Line too long\r\n"


def test_5000_octet_line_answered_500_then_session_usable() -> None:
    server = greeted_server()
    events, out = serve(server, b"MAIL FROM:<" + b"a" * 5000 + b"@b.example>\r\nNOOP\r\n")
    assert out == b"500 5.5.2 Line too long\r\n250 2.0.0 OK\r\n"
    assert events == [Noop()]
    assert server.buffered == 0


def test_overlong_line_without_lf_is_dropped_in_bounded_memory() -> None:
    server = greeted_server()
    _, out = serve(server, b"X" * 100_000)
    assert out == b"500 5.5.2 Line too long\r\n"
    assert server.buffered <= SMTPLimits().max_line
    _, out = serve(server, b"X" * 100_000 + b"\r\nNOOP\r\n")
    assert out == b"250 2.0.0 OK\r\n"


def test_bare_lf_command_accepted_by_policy() -> None:
    server = greeted_server(policy=SMTPPolicy(bare_lf_lines="accept"))
    events, out = serve(server, b"NOOP\nRSET\r\n")
    assert events == [Noop(), Rset()]
    assert out == b"250 2.0.0 OK\r\n" * 2


def test_strict_envelope_refuses_space_after_colon() -> None:
    server = greeted_server(policy=SMTPPolicy(strict_envelope=True))
    _, out = serve(server, b"MAIL FROM: <a@b.example>\r\n")
    assert out == b"501 5.1.7 Bad sender address syntax\r\n"


@pytest.mark.parametrize(
    ("size", "ok"),
    [(64, True), (65, False)],
)
def test_local_part_limit_64_octets(size: int, ok: bool) -> None:
    server = greeted_server()
    serve(server, b"MAIL FROM:<a@b.example>\r\n")
    _, out = serve(server, b"RCPT TO:<" + b"l" * size + b"@local.example>\r\n")
    assert out == (b"250 2.0.0 OK\r\n" if ok else b"501 5.1.3 Bad recipient address syntax\r\n")


def test_utf8_local_part_limit_counts_octets() -> None:
    server = greeted_server()
    serve(server, b"MAIL FROM:<a@b.example> SMTPUTF8\r\n")
    _, out = serve(server, ("RCPT TO:<" + "é" * 33 + "@local.example>\r\n").encode())
    assert out == b"501 5.1.3 Bad recipient address syntax\r\n"  # 66 octets


REPLIES: list[tuple[bytes, Reply]] = [
    (b"250 OK\r\n", Reply(250, ("OK",))),
    (b"250\r\n", Reply(250, ("",))),
    (b"250 \r\n", Reply(250, ("",))),
    (b"334 \r\n", Reply(334, ("",))),
    (b"250 2.1.0 Sender OK\r\n", Reply(250, ("Sender OK",), EnhancedStatus(2, 1, 0))),
    (b"221 2.0.0\r\n", Reply(221, ("",), EnhancedStatus(2, 0, 0))),
    (b"550 5.1.1 No such user\r\n", Reply(550, ("No such user",), EnhancedStatus(5, 1, 1))),
    (
        b"550-5.7.1 Relaying\r\n550 5.7.1 denied\r\n",
        Reply(550, ("Relaying", "denied"), EnhancedStatus(5, 7, 1)),
    ),
    (b"550-5.7.1 Relaying\r\n550 denied\r\n", Reply(550, ("5.7.1 Relaying", "denied"))),
    (
        b"250 5.0.0 class differs\r\n",
        Reply(250, ("5.0.0 class differs",)),
    ),  # RFC 3463: class = digit
    (b"354 2.0.0 not on 3xx\r\n", Reply(354, ("2.0.0 not on 3xx",))),
    (
        b"250-mx.example\r\n250-PIPELINING\r\n250 8BITMIME\r\n",
        Reply(250, ("mx.example", "PIPELINING", "8BITMIME")),
    ),
    ("250 caf\u00e9\r\n".encode(), Reply(250, ("caf\u00e9",))),
]


@pytest.mark.parametrize(("wire", "expected"), REPLIES)
def test_reply_bytes_decode(wire: bytes, expected: Reply) -> None:
    decoder = ReplyDecoder()
    for byte in wire:  # one octet at a time: segmentation never matters
        assert decoder.next_reply() is None
        decoder.feed(bytes([byte]))
    assert decoder.next_reply() == expected


MALFORMED = [
    b"25 OK\r\n",
    b"2500 OK\r\n",
    b"650 bad class\r\n",
    b"260 bad second digit\r\n",
    b"250_OK\r\n",
    b"OK\r\n",
    b"250 OK\n",
    b"250 tab\tok but \x01 not\r\n",
    b"250-first\r\n251 second\r\n",
]


@pytest.mark.parametrize("wire", MALFORMED)
def test_malformed_reply_is_remote_error_and_decoding_resumes(wire: bytes) -> None:
    decoder = ReplyDecoder()
    decoder.feed(wire + b"250 after\r\n")
    with pytest.raises(RemoteProtocolError):
        for _ in range(3):
            decoder.next_reply()
    assert decoder.next_reply() == Reply(250, ("after",))


def test_reply_formatting() -> None:
    assert format_reply(reply(250, "OK", "2.1.5")) == b"250 2.1.5 OK\r\n"
    assert (
        format_reply(reply(250, "a\nb\nc", "2.0.0"))
        == b"250-2.0.0 a\r\n250-2.0.0 b\r\n250 2.0.0 c\r\n"
    )
    assert format_reply(Reply(250)) == b"250\r\n"
    assert format_reply(Reply(334)) == b"334 \r\n"  # RFC 4954 §4: "334" SP
    with pytest.raises(ValueError, match="not an enhanced status code"):
        reply(250, "x", "2.0")


def test_ehlo_reply_parsed_into_extensions() -> None:
    wire = (
        b"250-mx.example.org greets client.example.com\r\n"
        b"250-SIZE 35882577\r\n250-8bitmime\r\n250-AUTH PLAIN LOGIN\r\n"
        b"250-AUTH=LOGIN CRAM-MD5\r\n250-not a keyword!\r\n250 DSN\r\n"
    )
    decoder = ReplyDecoder()
    decoder.feed(wire)
    event = decoder.next_reply()
    assert event is not None
    info = parse_ehlo_reply(event)
    assert info.domain == "mx.example.org"
    assert info.greeting == "greets client.example.com"
    assert dict(info.extensions) == {
        "SIZE": ("35882577",),
        "8BITMIME": (),
        "AUTH": ("PLAIN", "LOGIN", "CRAM-MD5"),
        "NOT": ("a", "keyword!"),
        "DSN": (),
    }
    assert info.size_limit == 35882577
    assert info.auth_mechanisms == ("PLAIN", "LOGIN", "CRAM-MD5")


def test_client_tracks_extensions_from_ehlo_reply() -> None:
    client = SMTPConnection(Role.CLIENT)
    client.receive_data(b"220 mx ESMTP\r\n")
    client.next_event()
    client.send(Ehlo("c.example"))
    client.receive_data(b"250-mx\r\n250-STARTTLS\r\n250 SIZE 1000\r\n")
    client.next_event()
    assert dict(client.extensions) == {"STARTTLS": (), "SIZE": ("1000",)}


def test_bdat_size_that_cannot_be_read_is_fatal() -> None:
    """Without a chunk size the next command's start is unknown: framing is lost."""
    for line in (b"BDAT\r\n", b"BDAT x\r\n", "BDAT 5 LAſT\r\n".encode()):
        server = greeted_server()
        serve(server, b"MAIL FROM:<a@b.example>\r\nRCPT TO:<u@l.example>\r\n")
        server.receive_data(line)
        with pytest.raises(RemoteProtocolError) as caught:
            server.next_event()
        assert caught.value.fatal
        assert caught.value.reply == b"501 5.5.4 Syntax error in parameters or arguments\r\n"


def test_role_picks_the_connection_class() -> None:
    from harness.protocols.smtp import ClientConnection, ServerConnection

    assert type(SMTPConnection(Role.SERVER)) is ServerConnection
    assert type(SMTPConnection(Role.CLIENT)) is ClientConnection
    assert type(ServerConnection(Role.SERVER)) is ServerConnection
    with pytest.raises(ValueError, match="plays server"):
        ServerConnection(Role.CLIENT)


@pytest.mark.parametrize(
    ("address", "text"),
    [
        (Address("john.doe", "x.example"), "john.doe@x.example"),
        (Address("john doe", "x.example"), '"john doe"@x.example'),
        (Address('a"b\\c', "x.example"), '"a\\"b\\\\c"@x.example'),
        (Address(".lead", "x.example"), '".lead"@x.example'),
        (Address("Postmaster", ""), "Postmaster"),
    ],
)
def test_addresses_quote_only_when_needed(address: Address, text: str) -> None:
    """RFC 5321 §4.1.2: a local part "SHOULD be in Dot-string form"."""
    assert str(address) == text
    assert str(Path(address)) == f"<{text}>"


def test_unsendable_local_part_is_local_error() -> None:
    from harness.protocols.common import LocalProtocolError

    client = SMTPConnection(Role.CLIENT)
    client.receive_data(b"220 mx\r\n")
    client.next_event()
    with pytest.raises(LocalProtocolError, match="control character"):
        client.send(MailFrom(path("bad\x01", "x.example")))
