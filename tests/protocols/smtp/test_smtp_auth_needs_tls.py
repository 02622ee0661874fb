"""``SMTPPolicy.auth_requires_tls``: AUTH before TLS is refused with 530 5.7.0
(RFC 3207 §4, RFC 4954 §6), advertised or not, and allowed once TLS is up."""

from __future__ import annotations

from smtp_pair import serve

from harness.protocols.common import Role
from harness.protocols.smtp import SMTPConnection, SMTPPolicy, ehlo_reply, reply

NEEDS_TLS = b"530 5.7.0 Must issue a STARTTLS command first\r\n"


def _server(*, tls: bool, offered: dict[str, tuple[str, ...]]) -> SMTPConnection:
    server = SMTPConnection(Role.SERVER, policy=SMTPPolicy(auth_requires_tls=True))
    server.session.tls_active = tls
    server.send(reply(220, "mx"))
    server.receive_data(b"EHLO c.example\r\n")
    server.next_event()
    server.send(ehlo_reply("mx", offered))
    return server


def test_auth_before_tls_is_530_whether_or_not_advertised() -> None:
    for offered in ({}, {"AUTH": ("PLAIN",)}):
        _, out = serve(_server(tls=False, offered=offered), b"AUTH PLAIN AGEAYg==\r\n")
        assert out == NEEDS_TLS


def test_auth_under_tls_goes_through() -> None:
    _, out = serve(_server(tls=True, offered={"AUTH": ("PLAIN",)}), b"AUTH PLAIN AGEAYg==\r\n")
    assert out.startswith(b"235 ")
    _, out = serve(_server(tls=True, offered={}), b"AUTH PLAIN AGEAYg==\r\n")
    assert out == b"502 5.5.1 Command not implemented\r\n"
