"""Whole sessions through a client core and a server core: RFC 5321 Appendix D,
the sequence rules, pipelining (RFC 2920) and who may send what when."""

from __future__ import annotations

import pytest
from smtp_pair import EXTENSIONS, OK, Pair, default_answer, drain, greeted_server, serve

from harness.protocols.common import NEED_DATA, LocalProtocolError, RemoteProtocolError, Role
from harness.protocols.smtp import (
    Address,
    ConnectionClosed,
    Data,
    Ehlo,
    Helo,
    MailFrom,
    MailParams,
    MessageData,
    MessageEnd,
    Noop,
    Path,
    Quit,
    RcptTo,
    Rset,
    SMTPConnection,
    SMTPPolicy,
    State,
    Vrfy,
    ehlo_reply,
    format_reply,
    reply,
)


def mail(local: str, domain: str = "bar.com", **params: object) -> MailFrom:
    return MailFrom(Path(Address(local, domain)), MailParams(**params))  # type: ignore[arg-type]


def rcpt(local: str, domain: str = "foo.com", *route: str) -> RcptTo:
    return RcptTo(Path(Address(local, domain), route))


D1_EXTENSIONS = {"8BITMIME": (), "SIZE": (), "DSN": (), "HELP": ()}


def test_appendix_d1_typical_transaction() -> None:
    pair = Pair(greeting=reply(220, "foo.com Simple Mail Transfer Service Ready"))
    pair.exchange(Ehlo("bar.com"), ehlo_reply("foo.com", D1_EXTENSIONS, "greets bar.com"))
    pair.exchange(mail("Smith"), reply(250, "OK"))
    pair.exchange(rcpt("Jones"), reply(250, "OK"))
    pair.exchange(rcpt("Green"), reply(550, "No such user here"))
    pair.exchange(rcpt("Brown"), reply(250, "OK"))
    pair.exchange(Data(), reply(354, "Start mail input; end with <CRLF>.<CRLF>"))
    pair.send(MessageData(b"Blah blah blah...\r\n...etc. etc. etc.\r\n"), MessageEnd())
    assert drain(pair.server) == [
        MessageData(b"Blah blah blah...\r\n...etc. etc. etc.\r\n"),
        MessageEnd(),
    ]
    pair.reply(reply(250, "OK"))
    assert pair.client_events() == [reply(250, "OK")]
    pair.exchange(Quit(), reply(221, "foo.com Service closing transmission channel"))
    assert pair.server.next_event() == ConnectionClosed()
    assert pair.client.state is State.CLOSED
    assert pair.transcript().startswith(
        b"S: 220 foo.com Simple Mail Transfer Service Ready\r\nC: EHLO bar.com\r\n"
    )
    assert b"C: ....etc. etc. etc.\r\nC: .\r\n" in pair.transcript()  # stuffed on the wire


def test_appendix_d2_aborted_transaction() -> None:
    pair = Pair()
    pair.ehlo(D1_EXTENSIONS)
    pair.exchange(mail("Smith"))
    pair.exchange(rcpt("Jones"))
    pair.exchange(rcpt("Green"), reply(550, "No such user here"))
    pair.exchange(Rset())
    assert pair.server.state is State.READY and pair.client.state is State.READY
    assert pair.server.mail_from is None and pair.server.recipients == 0
    pair.exchange(Quit())


def test_appendix_d3_relay_source_route_is_flagged() -> None:
    """§4.1.1.3: "MUST recognize the source route syntax" and SHOULD ignore it."""
    pair = Pair()
    pair.ehlo()
    pair.exchange(mail("JQP"))
    routed = rcpt("Jones", "XYZ.COM", "foo.com")
    pair.send(routed)
    event = pair.server_event()
    assert isinstance(event, RcptTo) and event == routed
    assert event.forward_path.has_source_route
    assert event.forward_path.source_route == ("foo.com",)
    pair.reply(reply(550, "No relaying through source routes", "5.7.1"))
    assert pair.client_events()[0].code == 550
    assert pair.server.state is State.MAIL


def test_appendix_d4_verify_then_send() -> None:
    pair = Pair()
    pair.ehlo(D1_EXTENSIONS)
    pair.exchange(Vrfy("Crispin"), reply(250, "Mark Crispin <Admin.MRC@foo.com>"))
    pair.exchange(mail("EAK"))
    pair.exchange(rcpt("Admin.MRC"))
    pair.exchange(Data(), reply(354, "go"))
    pair.send(MessageData(b"Hi"), MessageEnd())
    assert drain(pair.server) == [MessageData(b"Hi\r\n"), MessageEnd()]
    pair.reply(OK)
    pair.client_events()
    pair.exchange(Quit())


SEQUENCE_ERRORS = [
    (b"RCPT TO:<u@foo.com>\r\n", b"503 5.5.1 Bad sequence of commands\r\n"),
    (b"DATA\r\n", b"503 5.5.1 Bad sequence of commands\r\n"),
    (
        b"MAIL FROM:<a@b.example>\r\nMAIL FROM:<b@b.example>\r\n",
        b"250 2.0.0 OK\r\n503 5.5.1 Bad sequence of commands\r\n",
    ),
    (b"MAIL FROM:<a@b.example>\r\nDATA\r\n", b"250 2.0.0 OK\r\n554 5.5.1 No valid recipients\r\n"),
    (b"BDAT 3\r\nabc", b"503 5.5.1 Bad sequence of commands\r\n"),
]


@pytest.mark.parametrize(("commands", "expected"), SEQUENCE_ERRORS)
def test_out_of_sequence_commands(commands: bytes, expected: bytes) -> None:
    server = greeted_server()
    _, out = serve(server, commands)
    assert out == expected
    assert server.buffered == 0


def test_data_refused_when_every_recipient_was_refused() -> None:
    pair = Pair()
    pair.ehlo()
    pair.exchange(mail("a"))
    pair.exchange(rcpt("nosuch"), reply(550, "No such user", "5.1.1"))
    with pytest.raises(RemoteProtocolError) as caught:
        pair.send(Data())
        pair.server.next_event()
    assert caught.value.reply == b"554 5.5.1 No valid recipients\r\n"


def test_ehlo_resets_the_transaction() -> None:
    server = greeted_server()
    _, out = serve(
        server,
        b"MAIL FROM:<a@x.example>\r\nRCPT TO:<u@l.example>\r\nEHLO again.example\r\nDATA\r\n",
    )
    assert out.splitlines()[-1] == b"503 5.5.1 Bad sequence of commands"


def test_rset_keeps_the_ehlo() -> None:
    server = greeted_server()
    _, out = serve(
        server,
        b"MAIL FROM:<a@x.example>\r\nRCPT TO:<u@l.example>\r\nRSET\r\nDATA\r\nMAIL FROM:<a@x.example>\r\n",
    )
    assert out.splitlines()[-2:] == [b"503 5.5.1 Bad sequence of commands", b"250 2.0.0 OK"]


def test_mail_needs_helo_unless_policy_allows() -> None:
    strict = greeted_server(ehlo=False)
    _, out = serve(strict, b"NOOP\r\nMAIL FROM:<a@x.example>\r\n")
    assert out == b"250 2.0.0 OK\r\n503 5.5.1 Send HELO or EHLO first\r\n"
    lenient = greeted_server(policy=SMTPPolicy(require_helo=False), ehlo=False)
    _, out = serve(lenient, b"MAIL FROM:<a@x.example>\r\nRSET\r\n")
    assert out == b"250 2.0.0 OK\r\n" * 2
    assert lenient.state is State.GREETED


def test_helo_session_has_no_extensions() -> None:
    server = greeted_server(ehlo=False)
    serve(server, b"HELO relay.example\r\n")
    assert isinstance(server.hello, Helo)
    _, out = serve(server, b"MAIL FROM:<a@x.example> SIZE=10\r\nMAIL FROM:<a@x.example>\r\n")
    assert (
        out
        == b"555 5.5.4 MAIL FROM/RCPT TO parameters not recognized or not implemented\r\n250 2.0.0 OK\r\n"
    )


def test_parameters_of_unadvertised_extensions_refused_555() -> None:
    server = SMTPConnection(Role.SERVER)
    server.send(reply(220, "mx"))
    server.receive_data(b"EHLO c.example\r\n")
    server.next_event()
    server.send(ehlo_reply("mx", {"SIZE": ("1000",)}))
    _, out = serve(
        server,
        b"MAIL FROM:<a@x.example> BODY=8BITMIME\r\nMAIL FROM:<a@x.example> SIZE=1001\r\n"
        b"MAIL FROM:<a@x.example> SIZE=1000\r\n",
    )
    assert out.splitlines() == [
        b"555 5.5.4 MAIL FROM/RCPT TO parameters not recognized or not implemented",
        b"552 5.3.4 Message size exceeds fixed maximum message size",  # RFC 1870 §6.1
        b"250 2.0.0 OK",
    ]


def test_extra_parameters_accepted_by_policy() -> None:
    server = greeted_server(policy=SMTPPolicy(extra_mail_params=frozenset({"MT-PRIORITY"})))
    events, out = serve(server, b"MAIL FROM:<a@x.example> MT-PRIORITY=3\r\n")
    assert out == b"250 2.0.0 OK\r\n"
    assert events[0] == MailFrom(
        Path(Address("a", "x.example")), MailParams(extra=(("MT-PRIORITY", "3"),))
    )


def test_smtputf8_address_needs_the_parameter() -> None:
    """RFC 6531 §3.4; catalogue SMTP-SMTPUTF8: 550/553 with 5.6.7."""
    server = greeted_server()
    _, out = serve(
        server,
        "MAIL FROM:<δοκιμή@παράδειγμα.δοκιμή>\r\nMAIL FROM:<a@x.example>\r\nRCPT TO:<δοκιμή@x.example>\r\n".encode(),
    )
    assert out.splitlines() == [
        b"550 5.6.7 Non-ASCII address requires SMTPUTF8",
        b"250 2.0.0 OK",
        b"553 5.6.7 Non-ASCII address requires SMTPUTF8",
    ]


def test_recipient_limit_answers_452() -> None:
    """§4.5.3.1.10: 452 for an implementation limit; the first N stay accepted."""
    from harness.protocols.smtp import SMTPLimits

    server = greeted_server(limits=SMTPLimits(max_recipients=100))
    rcpts = b"".join(b"RCPT TO:<u%d@l.example>\r\n" % i for i in range(105))
    _, out = serve(server, b"MAIL FROM:<a@x.example>\r\n" + rcpts)
    lines = out.splitlines()
    assert lines.count(b"250 2.0.0 OK") == 101
    assert lines[-5:] == [b"452 4.5.3 Too many recipients"] * 5
    assert server.recipients == 100


def test_refused_greeting_only_quit() -> None:
    """§3.1: after 554 the server "MUST wait for QUIT", 503 to the rest."""
    pair = Pair(greeting=reply(554, "No SMTP service here", "5.3.2"))
    with pytest.raises(RemoteProtocolError) as caught:
        pair.send(Ehlo("x.example"))
        pair.server.next_event()
    assert caught.value.reply == b"503 5.5.1 Session refused, only QUIT is accepted\r\n"
    assert pair.client.state is State.REFUSED
    pair.client.receive_data(caught.value.reply)  # the client reads what the server wrote
    assert pair.client_events()[0].code == 503
    pair.exchange(Quit())
    assert pair.server.state is State.CLOSED


def test_421_closes_at_any_time() -> None:
    pair = Pair()
    pair.ehlo()
    pair.send(mail("a"))
    assert isinstance(pair.server_event(), MailFrom)
    pair.reply(reply(421, "Shutting down", "4.3.2"))
    assert pair.client_events() == [reply(421, "Shutting down", "4.3.2"), ConnectionClosed()]
    assert pair.server.next_event() == ConnectionClosed()


def test_rfc2920_pipelined_envelope_replies_in_order() -> None:
    """RFC 2920 §3.2; catalogue SMTP-PIPELINING-ORDER."""
    pair = Pair()
    pair.ehlo()
    answers = [
        reply(250, "OK"),
        reply(250, "OK"),
        reply(550, "No such user"),
        reply(250, "OK"),
        reply(354, "go"),
    ]
    commands = [mail("a"), rcpt("u1"), rcpt("nosuch"), rcpt("u2"), Data()]
    pair.send(*commands)  # one write
    for command, answer in zip(commands, answers, strict=True):
        assert pair.server_event() == command
        pair.reply(answer)
    assert pair.client_events() == answers
    assert pair.client.state is State.DATA and pair.server.recipients == 2


def test_fifty_pipelined_noops_get_fifty_replies() -> None:
    """Catalogue SMTP-PIPELINING-NO-FLUSH."""
    server = greeted_server()
    events, out = serve(server, b"NOOP\r\n" * 50)
    assert events == [Noop()] * 50
    assert out == b"250 2.0.0 OK\r\n" * 50


def test_server_yields_next_command_only_after_the_reply() -> None:
    server = greeted_server()
    server.receive_data(b"MAIL FROM:<a@x.example>\r\nRCPT TO:<u@l.example>\r\n")
    assert isinstance(server.next_event(), MailFrom)
    with pytest.raises(LocalProtocolError, match="reply"):
        server.next_event()
    assert server.state is State.READY  # MAIL not yet accepted
    server.send(reply(250, "OK"))
    assert server.state is State.MAIL
    assert isinstance(server.next_event(), RcptTo)


def test_server_misuse_is_local_error() -> None:
    server = SMTPConnection(Role.SERVER)
    with pytest.raises(LocalProtocolError, match="greeting"):
        server.next_event()
    server.send(reply(220, "mx"))
    with pytest.raises(LocalProtocolError, match="no command"):
        server.send(reply(250, "OK"))
    with pytest.raises(LocalProtocolError, match="replies"):
        server.send(Noop())
    server.receive_data(b"NOOP\r\n")
    server.next_event()
    with pytest.raises(LocalProtocolError, match="354 is not a reply"):
        server.send(reply(354, "go"))
    with pytest.raises(LocalProtocolError, match="outside"):
        server.send(reply(600, "x"))
    with pytest.raises(LocalProtocolError, match="CR or LF"):
        server.send(reply(250, "x\r"))


def test_client_misuse_is_local_error() -> None:
    client = SMTPConnection(Role.CLIENT)
    with pytest.raises(LocalProtocolError):
        client.send(Ehlo("c.example"))  # before the greeting
    client.receive_data(b"220 mx\r\n")
    client.next_event()
    with pytest.raises(LocalProtocolError, match="354"):
        client.send(MessageData(b"early"))
    with pytest.raises(LocalProtocolError, match="grammar"):
        client.send(Ehlo("bad host"))
    with pytest.raises(LocalProtocolError, match="read as"):
        client.send(MailFrom(Path(Address("a", "x.example")), MailParams(extra=(("SIZE", "1"),))))
    client.send(Data())
    with pytest.raises(LocalProtocolError, match="wait for the reply to Data"):
        client.send(Noop())


def test_client_refuses_bare_newlines_in_text() -> None:
    """§2.3.8: the client "MUST NOT" send bare CR or LF."""
    pair = Pair()
    pair.ehlo()
    pair.exchange(mail("a"))
    pair.exchange(rcpt("b"))
    pair.exchange(Data())
    pair.send(MessageData(b"line one\r"))  # the LF may follow in the next piece
    pair.send(MessageData(b"\nline two\r\n"))
    with pytest.raises(LocalProtocolError, match="bare"):
        pair.client.send(MessageData(b"smuggle\n.\n"))
    with pytest.raises(LocalProtocolError, match="bare"):
        pair.client.send(MessageData(b"cr\ronly"))


def test_client_rejects_unsolicited_and_misplaced_replies() -> None:
    client = SMTPConnection(Role.CLIENT)
    client.receive_data(b"220 mx\r\n250 stray\r\n")
    client.next_event()
    with pytest.raises(RemoteProtocolError, match="answers no command"):
        client.next_event()
    client.send(rcpt("u"))
    client.receive_data(b"354 go\r\n")
    with pytest.raises(RemoteProtocolError, match="not a reply"):
        client.next_event()


def test_peer_close_mid_data_drops_the_transaction() -> None:
    """Catalogue SMTP-QUIT-MID-TXN: the server sees ConnectionClosed, no MessageEnd."""
    server = greeted_server()
    events, _ = serve(
        server, b"MAIL FROM:<a@x.example>\r\nRCPT TO:<u@l.example>\r\nDATA\r\npartial text\r\n"
    )
    server.receive_data(b"")
    rest = drain(server)
    assert MessageEnd() not in events + rest
    assert rest[-1] == ConnectionClosed()
    assert server.state is State.CLOSED


def test_quit_then_close_and_ignore_trailing_bytes() -> None:
    server = greeted_server()
    events, out = serve(server, b"QUIT\r\nNOOP\r\n")
    assert events == [Quit(), ConnectionClosed()]
    assert out == format_reply(default_answer(Quit())) == b"221 2.0.0 Bye\r\n"
    server.receive_data(b"more")
    assert server.next_event() == ConnectionClosed()


def test_events_iterator_stops_at_reply_due() -> None:
    server = greeted_server()
    server.receive_data(b"NOOP\r\nRSET\r\n")
    assert list(server.events()) == [Noop()]
    server.send(OK)
    assert list(server.events()) == [Rset()]
    server.send(OK)
    assert list(server.events()) == []
    assert server.next_event() is NEED_DATA


def test_extensions_known_to_both_sides() -> None:
    pair = Pair()
    pair.ehlo()
    assert dict(pair.server.extensions) == dict(pair.client.extensions)
    assert set(pair.client.extensions) == set(EXTENSIONS)
