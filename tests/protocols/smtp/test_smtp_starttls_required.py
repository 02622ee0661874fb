"""``SMTPPolicy.starttls_required``: before TLS, every command but NOOP, EHLO,
HELO, STARTTLS and QUIT is refused with 530 5.7.0 (RFC 3207 §4), whatever the
state or sequence would otherwise say, and nothing changes once TLS is up."""

from __future__ import annotations

import pytest
from smtp_pair import EXTENSIONS, serve

from harness.protocols.common import Role
from harness.protocols.smtp import (
    Ehlo,
    Helo,
    Noop,
    Quit,
    SMTPConnection,
    SMTPPolicy,
    StartTLS,
    ehlo_reply,
    reply,
)

NEEDS_TLS = b"530 5.7.0 Must issue a STARTTLS command first\r\n"
OK = b"250 2.0.0 OK\r\n"


def _server(*, tls: bool = False, required: bool = True, hello: bool = True) -> SMTPConnection:
    server = SMTPConnection(Role.SERVER, policy=SMTPPolicy(starttls_required=required))
    server.session.tls_active = tls  # as the server does for implicit TLS, before the greeting
    server.send(reply(220, "mx"))
    if hello:
        server.receive_data(b"EHLO c.example\r\n")
        server.next_event()
        server.send(ehlo_reply("mx", EXTENSIONS))
    return server


REFUSED_BEFORE_TLS = [
    b"RSET\r\n",
    b"VRFY alice\r\n",
    b"EXPN staff\r\n",
    b"HELP\r\n",
    b"MAIL FROM:<a@b.example>\r\n",
    b"RCPT TO:<u@l.example>\r\n",  # out of sequence too: 530 comes first
    b"DATA\r\n",
    b"AUTH PLAIN AGEAYg==\r\n",
]


@pytest.mark.parametrize("line", REFUSED_BEFORE_TLS)
def test_every_other_command_before_tls_is_530(line: bytes) -> None:
    events, out = serve(_server(), line + b"NOOP\r\n")
    assert out == NEEDS_TLS + OK
    assert events == [Noop()]


def test_before_helo_too() -> None:
    _, out = serve(_server(hello=False), b"RSET\r\nMAIL FROM:<a@b.example>\r\n")
    assert out == NEEDS_TLS * 2


def test_bdat_before_tls_reads_its_chunk_then_530() -> None:
    _, out = serve(_server(), b"BDAT 5 LAST\r\nhello" + b"NOOP\r\n")
    assert out == NEEDS_TLS + OK


@pytest.mark.parametrize(
    ("line", "event"),
    [
        (b"NOOP\r\n", Noop()),
        (b"EHLO c.example\r\n", Ehlo("c.example")),
        (b"HELO c.example\r\n", Helo("c.example")),
        (b"STARTTLS\r\n", StartTLS()),
        (b"QUIT\r\n", Quit()),
    ],
)
def test_the_five_exempt_commands_go_through(line: bytes, event: object) -> None:
    server = _server()
    server.receive_data(line)
    assert server.next_event() == event


def test_after_starttls_the_usual_rules_apply() -> None:
    server = _server()
    server.receive_data(b"STARTTLS\r\n")
    assert server.next_event() == StartTLS()
    server.send(reply(220, "Ready to start TLS", "2.0.0"))
    server.start_tls()
    _, out = serve(server, b"RSET\r\nMAIL FROM:<a@b.example>\r\n")
    assert out == OK + b"503 5.5.1 Send HELO or EHLO first\r\n"


def test_implicit_tls_and_the_default_policy_are_unaffected() -> None:
    for server in (_server(tls=True), _server(required=False)):
        _, out = serve(server, b"RSET\r\nVRFY alice\r\n")
        assert out == OK * 2
