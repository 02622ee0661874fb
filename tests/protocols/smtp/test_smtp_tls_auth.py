"""STARTTLS (RFC 3207), command injection across it, and the AUTH sub-dialogue
(RFC 4954)."""

from __future__ import annotations

import pytest
from smtp_pair import OK, Pair, drain, greeted_server, serve

from harness.protocols.common import LocalProtocolError, RemoteProtocolError, Role
from harness.protocols.smtp import (
    Address,
    Auth,
    AuthLine,
    Ehlo,
    MailFrom,
    Path,
    RcptTo,
    Rset,
    SMTPConnection,
    SMTPLimits,
    StartTLS,
    State,
    auth_challenge,
    decode_challenge,
    ehlo_reply,
    reply,
)

READY_TLS = reply(220, "Ready to start TLS", "2.0.0")


def test_starttls_restarts_the_session() -> None:
    """Catalogue SMTP-STARTTLS-BASIC and -STATE-RESET."""
    pair = Pair()
    pair.ehlo()
    pair.exchange(MailFrom(Path(Address("x", "y.example"))))
    pair.exchange(StartTLS(), READY_TLS)
    assert pair.server.state is State.STARTTLS and pair.client.state is State.STARTTLS
    pair.server.start_tls()
    pair.client.start_tls()
    for side in (pair.server, pair.client):
        assert side.tls_active and side.hello is None and side.mail_from is None
        assert side.state is State.GREETED and not side.extensions
    with pytest.raises(RemoteProtocolError) as caught:
        pair.send(RcptTo(Path(Address("u", "l.example"))))
        pair.server.next_event()
    assert caught.value.reply == b"503 5.5.1 Bad sequence of commands\r\n"
    pair.client.receive_data(caught.value.reply)
    pair.client_events()
    pair.ehlo({"AUTH": ("PLAIN",)})
    with pytest.raises(RemoteProtocolError) as caught:
        pair.send(StartTLS())
        pair.server.next_event()
    assert caught.value.reply == b"503 5.5.1 Bad sequence of commands\r\n"


@pytest.mark.parametrize(
    "injected", [b"RSET\r\n", b"MAIL FROM:<x@evil.example>\r\n", b"EHLO a\r\nQUIT\r\n"]
)
def test_plaintext_after_starttls_is_dropped_and_recorded(injected: bytes) -> None:
    """Catalogue SMTP-STARTTLS-INJECTION (CVE-2011-0411): one segment holds
    STARTTLS and more; the rest is never processed."""
    server = greeted_server()
    server.receive_data(b"STARTTLS\r\n" + injected)
    assert server.next_event() == StartTLS()
    server.send(READY_TLS)
    assert server.injected_after_starttls == injected
    server.receive_data(b"NOOP\r\n")  # still plaintext: the handshake has not run
    with pytest.raises(LocalProtocolError, match="start_tls"):
        server.next_event()
    server.start_tls()
    assert server.injected_after_starttls == injected + b"NOOP\r\n"
    assert server.injected_octets == len(injected) + 6
    assert server.buffered == 0
    _events, out = serve(server, b"MAIL FROM:<a@b.example>\r\n")
    assert out == b"503 5.5.1 Send HELO or EHLO first\r\n"  # no MAIL, no EHLO survived


def test_injection_record_is_bounded() -> None:
    server = greeted_server(limits=SMTPLimits(max_injected_record=16))
    server.receive_data(b"STARTTLS\r\n" + b"X" * 1000)
    server.next_event()
    server.send(READY_TLS)
    server.receive_data(b"Y" * 1000)
    assert server.injected_after_starttls == b"X" * 16
    assert server.injected_octets == 2000


def test_client_drops_replies_buffered_after_220() -> None:
    """The response-injection mirror: a reply that came with the 220 is not read."""
    pair = Pair()
    pair.ehlo()
    pair.send(StartTLS())
    pair.server_event()
    pair.client.receive_data(pair.server.send(READY_TLS) + b"250 injected\r\n")
    assert pair.client_events() == [READY_TLS]
    assert pair.client.injected_after_starttls == b"250 injected\r\n"
    pair.client.start_tls()
    with pytest.raises(LocalProtocolError):
        pair.client.start_tls()


def test_starttls_refused_if_not_offered_or_with_argument() -> None:
    server = SMTPConnection(Role.SERVER)
    server.send(reply(220, "mx"))
    server.receive_data(b"EHLO c.example\r\n")
    server.next_event()
    server.send(ehlo_reply("mx", {"PIPELINING": ()}))
    _, out = serve(server, b"STARTTLS\r\nSTARTTLS now\r\n")
    assert (
        out
        == b"502 5.5.1 Command not implemented\r\n501 5.5.4 Syntax error in parameters or arguments\r\n"
    )


def test_failed_starttls_leaves_session_alone() -> None:
    pair = Pair()
    pair.ehlo()
    pair.exchange(StartTLS(), reply(454, "TLS not available", "4.7.0"))
    assert pair.server.state is State.READY and pair.client.state is State.READY
    pair.exchange(Rset())


def test_auth_plain_with_initial_response() -> None:
    """Catalogue SMTP-AUTH-PLAIN (a) and SMTP-AUTH-SEQUENCE."""
    pair = Pair()
    pair.ehlo()
    pair.exchange(Auth("PLAIN", b"\0user\0pass"), reply(235, "Authentication successful", "2.7.0"))
    assert pair.server.authenticated and pair.client.authenticated
    with pytest.raises(RemoteProtocolError) as caught:
        pair.send(Auth("PLAIN", b"\0user\0pass"))
        pair.server.next_event()
    assert caught.value.reply == b"503 5.5.1 Bad sequence of commands\r\n"


def test_auth_plain_empty_challenge_then_response() -> None:
    """Catalogue SMTP-AUTH-PLAIN (b): "334 " with its SP, then the response."""
    pair = Pair()
    pair.ehlo()
    wire = pair.exchange(Auth("PLAIN"), auth_challenge(b""))
    assert pair.wire[-1] == ("S", b"334 \r\n")
    assert decode_challenge(wire) == b""
    pair.exchange(AuthLine(b"\0user\0pass"), reply(235, "OK", "2.7.0"))
    assert pair.server.state is State.READY and pair.server.authenticated


def test_auth_login_two_challenges() -> None:
    """Catalogue SMTP-AUTH-LOGIN."""
    pair = Pair()
    pair.ehlo()
    pair.exchange(Auth("LOGIN"), auth_challenge(b"Username:"))
    assert pair.wire[-1] == ("S", b"334 VXNlcm5hbWU6\r\n")
    pair.exchange(AuthLine(b"user"), auth_challenge(b"Password:"))
    assert pair.wire[-2] == ("C", b"dXNlcg==\r\n")
    pair.exchange(AuthLine(b"pass"), reply(535, "Authentication credentials invalid", "5.7.8"))
    assert not pair.server.authenticated and pair.server.state is State.READY
    pair.exchange(Auth("LOGIN", b"user"), auth_challenge(b"Password:"))
    pair.exchange(AuthLine(b"right"), reply(235, "OK", "2.7.0"))
    assert pair.server.authenticated


def test_auth_cancel_must_get_501() -> None:
    """Catalogue SMTP-AUTH-CANCEL-BADB64; RFC 4954 §4."""
    pair = Pair()
    pair.ehlo()
    pair.exchange(Auth("LOGIN"), auth_challenge(b"Username:"))
    pair.send(AuthLine(cancelled=True))
    assert pair.wire[-1] == ("C", b"*\r\n")
    assert pair.server_event() == AuthLine(b"", cancelled=True)
    with pytest.raises(LocalProtocolError, match="501"):
        pair.server.send(reply(535, "no"))
    pair.reply(reply(501, "Authentication cancelled", "5.0.0"))
    assert pair.server.state is State.READY and not pair.server.authenticated


@pytest.mark.parametrize("line", [b"=AAA\r\n", b"AA=A\r\n", b"A*A=\r\n", b"\xc3\xa9\r\n"])
def test_auth_line_not_base64_is_501_and_ends_exchange(line: bytes) -> None:
    server = greeted_server()
    serve(server, b"AUTH LOGIN\r\n")  # default_answer: 235 at once; start again with a 334
    server = greeted_server()
    server.receive_data(b"AUTH LOGIN\r\n")
    server.next_event()
    server.send(auth_challenge(b"Username:"))
    server.receive_data(line + b"NOOP\r\n")
    with pytest.raises(RemoteProtocolError) as caught:
        server.next_event()
    assert caught.value.reply in (
        b"501 5.5.2 Cannot decode base64\r\n",
        b"500 5.5.2 Command line is not valid UTF-8\r\n",
    )
    assert server.state is State.READY
    _, out = serve(server, b"")
    assert out == b"250 2.0.0 OK\r\n"


def test_auth_line_too_long_is_500_5_5_6() -> None:
    server = greeted_server(limits=SMTPLimits(max_auth_line=100))
    server.receive_data(b"AUTH PLAIN\r\n")
    server.next_event()
    server.send(auth_challenge(b""))
    server.receive_data(b"A" * 200 + b"\r\nNOOP\r\n")
    with pytest.raises(RemoteProtocolError) as caught:
        server.next_event()
    assert caught.value.reply == b"500 5.5.6 Authentication exchange line is too long\r\n"
    _, out = serve(server, b"")
    assert out == b"250 2.0.0 OK\r\n"


def test_auth_initial_response_may_exceed_command_limit() -> None:
    """RFC 4954 §4: AUTH lines up to 12288 octets."""
    server = greeted_server()
    response = b"\0user\0" + b"p" * 6000
    import base64

    events, out = serve(server, b"AUTH PLAIN " + base64.b64encode(response) + b"\r\n")
    assert events == [Auth("PLAIN", response)]
    assert out.startswith(b"235")


def test_auth_refusals() -> None:
    """Catalogue SMTP-AUTH-SEQUENCE: unknown mechanism 504; in a transaction 503."""
    server = greeted_server()
    _, out = serve(server, b"AUTH FOO\r\nMAIL FROM:<a@b.example>\r\nAUTH PLAIN\r\n")
    assert (
        out
        == b"504 5.5.4 Unrecognized authentication type\r\n250 2.0.0 OK\r\n503 5.5.1 Bad sequence of commands\r\n"
    )


def test_auth_not_advertised_is_502() -> None:
    server = SMTPConnection(Role.SERVER)
    server.send(reply(220, "mx"))
    server.receive_data(b"EHLO c.example\r\n")
    server.next_event()
    server.send(ehlo_reply("mx", {}))
    _, out = serve(server, b"AUTH PLAIN\r\n")
    assert out == b"502 5.5.1 Command not implemented\r\n"


def test_client_auth_line_only_after_334() -> None:
    pair = Pair()
    pair.ehlo()
    with pytest.raises(LocalProtocolError, match="334"):
        pair.client.send(AuthLine(b"x"))
    pair.send(Auth("LOGIN"))
    with pytest.raises(LocalProtocolError, match="334"):
        pair.client.send(AuthLine(b"x"))
    with pytest.raises(LocalProtocolError, match="wait"):
        pair.client.send(Ehlo("c.example"))
    pair.server_event()
    pair.reply(auth_challenge(b"Username:"))
    pair.client_events()
    with pytest.raises(LocalProtocolError, match="no commands"):
        pair.client.send(Ehlo("c.example"))
    with pytest.raises(LocalProtocolError, match="no data"):
        pair.client.send(AuthLine(b"x", cancelled=True))
    pair.send(AuthLine(b"user"))
    assert drain(pair.server) == [AuthLine(b"user")]
    pair.reply(OK if False else reply(235, "OK", "2.7.0"))
