"""Client core against server core, real bytes: RFC 1939 sessions and the extensions."""

from __future__ import annotations

import pytest
from pop3_pair import Pair, drain

from harness.protocols.common import NEED_DATA, LocalProtocolError, RemoteProtocolError, Role
from harness.protocols.pop3 import (
    Apop,
    Capa,
    Capability,
    ConnectionClosed,
    Dele,
    Err,
    Lang,
    LanguageListing,
    List,
    MessageData,
    MultilineEnd,
    Noop,
    Ok,
    Pass,
    POP3Connection,
    POP3Limits,
    Quit,
    Retr,
    Rset,
    ScanListing,
    Stat,
    State,
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

GREETING = Ok("POP3 server ready <1896.697170952@dbc.mtview.ca.us>")
MESSAGE_1 = b"Subject: one\r\n\r\n.leading dot\r\n..two dots\r\n.\r\nend\r\n"
MESSAGE_2 = b"Subject: two\r\n\r\nno final newline"


def body_of(events: list[object]) -> bytes:
    return b"".join(e.data for e in events if isinstance(e, MessageData))


def login(pair: Pair) -> None:
    pair.to_server(User("mrose"))
    assert pair.server_event() == User("mrose")
    pair.to_client(Ok("mrose is a real hoopy frood"))
    pair.to_server(Pass("secret"))
    assert pair.server_event() == Pass("secret")
    pair.to_client(Ok("maildrop locked and ready"))
    assert pair.client_events() == [
        Ok("mrose is a real hoopy frood"),
        Ok("maildrop locked and ready"),
    ]
    assert pair.client.state is pair.server.state is State.TRANSACTION


def test_rfc1939_example_session_byte_for_byte() -> None:
    pair = Pair(greeting=GREETING)
    timestamp = apop_timestamp(GREETING.text)
    assert timestamp is not None
    pair.to_server(Apop("mrose", apop_digest(timestamp, "tanstaaf")))
    assert pair.server_event() == Apop("mrose", "c4c9334bac560ecc979e58001b3e22fb")
    pair.to_client(Ok("mrose's maildrop has 2 messages (320 octets)"))
    pair.to_server(Stat())
    assert pair.server_event() == Stat()
    pair.to_client(Ok("2 320"))
    pair.to_server(List())
    assert pair.server_event() == List()
    pair.to_client(
        Ok("2 messages (320 octets)"), ScanListing(1, 120), ScanListing(2, 200), MultilineEnd()
    )
    pair.to_server(Retr(1))
    assert pair.server_event() == Retr(1)
    pair.to_client(Ok("120 octets"), MessageData(MESSAGE_1), MultilineEnd())
    pair.to_server(Dele(1))
    assert pair.server_event() == Dele(1)
    pair.to_client(Ok("message 1 deleted"))
    pair.to_server(Quit())
    assert pair.server_event() == Quit()
    assert pair.server.state is State.UPDATE
    pair.to_client(Ok("dewey POP3 server signing off (maildrop empty)"))
    assert pair.server.state is State.CLOSED
    events = pair.client_events()
    assert parse_drop_listing(events[1].text) == (2, 320)  # type: ignore[attr-defined]
    assert events[3:6] == [ScanListing(1, 120), ScanListing(2, 200), MultilineEnd()]
    assert body_of(events) == MESSAGE_1
    assert pair.client.state is State.CLOSED
    assert pair.transcript() == (
        b"S: +OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n"
        b"C: APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n"
        b"S: +OK mrose's maildrop has 2 messages (320 octets)\r\n"
        b"C: STAT\r\n"
        b"S: +OK 2 320\r\n"
        b"C: LIST\r\n"
        b"S: +OK 2 messages (320 octets)\r\n"
        b"S: 1 120\r\n"
        b"S: 2 200\r\n"
        b"S: .\r\n"
        b"C: RETR 1\r\n"
        b"S: +OK 120 octets\r\n"
        b"S: Subject: one\r\n"
        b"S: \r\n"
        b"S: ..leading dot\r\n"
        b"S: ...two dots\r\n"
        b"S: ..\r\n"
        b"S: end\r\n"
        b"S: .\r\n"
        b"C: DELE 1\r\n"
        b"S: +OK message 1 deleted\r\n"
        b"C: QUIT\r\n"
        b"S: +OK dewey POP3 server signing off (maildrop empty)\r\n"
    )


def test_body_without_final_crlf_gets_one_before_the_terminator() -> None:
    pair = Pair(greeting=GREETING)
    login(pair)
    pair.to_server(Retr(2))
    pair.server_event()
    wire = pair.to_client(
        Ok(), MessageData(MESSAGE_2[:20]), MessageData(MESSAGE_2[20:]), MultilineEnd()
    )
    assert wire.endswith(b"no final newline\r\n.\r\n")
    assert body_of(pair.client_events()) == MESSAGE_2 + b"\r\n"


def test_err_and_single_argument_forms_have_no_terminator() -> None:
    pair = Pair(greeting=GREETING)
    login(pair)
    pair.to_server(Retr(9), List(2), Uidl(2), Top(9, 0), Stat())
    answers = [
        Err("no such message"),
        Ok("2 200"),
        Ok("2 QhdPYR:00WBw1Ph7x7"),
        Err("no such message"),
        Ok("1 200"),
    ]
    for answer in answers:
        pair.server_event()
        pair.to_client(answer)
    assert pair.client_events() == answers
    assert pair.client.in_flight == ()


def test_top_and_uidl_and_capa() -> None:
    pair = Pair(greeting=GREETING)
    pair.to_server(Capa())
    assert pair.server_event() == Capa()
    capabilities = [
        Capability("TOP"),
        Capability("UIDL"),
        Capability("SASL", ("SCRAM-SHA-256", "PLAIN")),
        Capability("RESP-CODES"),
        Capability("PIPELINING"),
        Capability("STLS"),
        Capability("IMPLEMENTATION", ("mailharness", "0.1")),
    ]
    pair.to_client(Ok("Capability list follows"), *capabilities, MultilineEnd())
    assert pair.client_events() == [Ok("Capability list follows"), *capabilities, MultilineEnd()]
    login(pair)
    pair.to_server(Top(1, 1))
    assert pair.server_event() == Top(1, 1)
    pair.to_client(Ok(), MessageData(b"Subject: one\r\n\r\n.leading dot\r\n"), MultilineEnd())
    pair.to_server(Uidl())
    assert pair.server_event() == Uidl()
    uids = [
        UniqueIdListing(1, "whqtswO00WBw418f9t5JxYwZ"),
        UniqueIdListing(2, "QhdPYR:00WBw1Ph7x7"),
    ]
    pair.to_client(Ok(), *uids, MultilineEnd())
    events = pair.client_events()
    assert body_of(events) == b"Subject: one\r\n\r\n.leading dot\r\n"
    assert events[-3:] == [*uids, MultilineEnd()]


def test_pipelined_commands_are_yielded_one_at_a_time_in_order() -> None:
    pair = Pair(greeting=GREETING)
    login(pair)
    pair.to_server(Stat(), List(), Uidl(), Retr(1))  # one segment (RFC 2449 §6.6)
    assert pair.server_event() == Stat()
    assert pair.server.next_event() is NEED_DATA  # nothing until STAT is answered
    pair.to_client(Ok("1 10"))
    assert pair.server_event() == List()
    pair.to_client(Ok(), ScanListing(1, 10))
    assert pair.server.next_event() is NEED_DATA  # the LIST response is not finished
    pair.to_client(MultilineEnd())
    assert pair.server_event() == Uidl()
    pair.to_client(Ok(), UniqueIdListing(1, "u1"), MultilineEnd())
    assert pair.server_event() == Retr(1)
    pair.to_client(Ok(), MessageData(b"x: y\r\n\r\nz\r\n"), MultilineEnd())
    events = pair.client_events()
    assert events == [
        Ok("1 10"),
        Ok(),
        ScanListing(1, 10),
        MultilineEnd(),
        Ok(),
        UniqueIdListing(1, "u1"),
        MultilineEnd(),
        Ok(),
        MessageData(b"x: y\r\n\r\nz\r\n"),
        MultilineEnd(),
    ]


@pytest.mark.parametrize("line", [b"STAT\r\n", b"LIST\r\n", b"RETR 1\r\n", b"NOOP\r\n"])
def test_transaction_commands_in_authorization_get_err_and_session_continues(line: bytes) -> None:
    server = POP3Connection(Role.SERVER)
    server.send(GREETING)
    server.receive_data(line + b"QUIT\r\n")
    with pytest.raises(RemoteProtocolError) as info:
        server.next_event()
    assert info.value.reply is not None and info.value.reply.startswith(b"-ERR ")
    assert not info.value.fatal
    assert server.next_event() == Quit()


def test_authorization_commands_in_transaction_get_err() -> None:
    pair = Pair(greeting=GREETING)
    login(pair)
    for line in (
        b"USER x\r\n",
        b"PASS y\r\n",
        b"APOP a c4c9334bac560ecc979e58001b3e22fb\r\n",
        b"STLS\r\n",
        b"UTF8\r\n",
    ):
        pair.server.receive_data(line)
        with pytest.raises(RemoteProtocolError):
            pair.server.next_event()
    assert pair.server.state is State.TRANSACTION


def test_pass_must_follow_a_successful_user() -> None:
    server = POP3Connection(Role.SERVER)
    server.send(GREETING)
    server.receive_data(
        b"PASS early\r\nUSER u\r\nPASS wrong\r\nPASS again\r\nUSER u\r\nNOOP\r\nPASS late\r\n"
    )
    with pytest.raises(RemoteProtocolError):
        server.next_event()
    assert server.next_event() == User("u")
    server.send(Ok())
    assert server.next_event() == Pass("wrong")
    server.send(Err("bad password", "AUTH"))
    with pytest.raises(RemoteProtocolError):  # PASS again: USER must come first
        server.next_event()
    assert server.next_event() == User("u")
    server.send(Ok())
    with pytest.raises(RemoteProtocolError):  # NOOP is not allowed in AUTHORIZATION...
        server.next_event()
    with pytest.raises(RemoteProtocolError):  # ...and it broke the USER/PASS adjacency
        server.next_event()
    assert server.state is State.AUTHORIZATION


def test_rset_noop_and_case_insensitive_keywords() -> None:
    server = POP3Connection(Role.SERVER)
    server.send(GREETING)
    server.receive_data(b"user u\r\npAsS p\r\nnoop\r\nRsEt\r\n")
    assert server.next_event() == User("u")
    server.send(Ok())
    assert server.next_event() == Pass("p")
    server.send(Ok())
    assert server.next_event() == Noop()
    server.send(Ok())
    assert server.next_event() == Rset()


def test_command_line_limit_is_255_octets_and_session_continues() -> None:
    server = POP3Connection(Role.SERVER)
    server.send(GREETING)
    name = b"u" * (255 - len(b"USER \r\n"))
    server.receive_data(b"USER " + name + b"\r\n")
    assert server.next_event() == User(name.decode())
    server.send(Err("no"))
    server.receive_data(b"USER " + name + b"u\r\nCAPA\r\n")
    with pytest.raises(RemoteProtocolError) as info:
        server.next_event()
    assert b"255" in (info.value.reply or b"")
    assert server.next_event() == Capa()


def test_bare_lf_command_is_refused() -> None:
    server = POP3Connection(Role.SERVER)
    server.send(GREETING)
    server.receive_data(b"CAPA\nCAPA\r\n")
    with pytest.raises(RemoteProtocolError):
        server.next_event()
    assert server.next_event() == Capa()


def test_quit_in_authorization_closes_without_update() -> None:
    pair = Pair(greeting=GREETING)
    pair.to_server(Quit())
    assert pair.server_event() == Quit()
    assert pair.server.state is State.AUTHORIZATION
    pair.to_client(Ok("bye"))
    assert pair.client_events() == [Ok("bye")]
    assert pair.server.state is pair.client.state is State.CLOSED


def test_peer_close_is_reported_after_buffered_commands() -> None:
    pair = Pair(greeting=GREETING)
    login(pair)
    pair.to_server(Dele(1), Quit())
    pair.server.receive_data(b"")
    assert pair.server_event() == Dele(1)
    assert pair.server.next_event() is NEED_DATA  # DELE awaits its reply first
    pair.server.send(Ok())
    assert pair.server_event() == Quit()
    pair.server.send(Ok())
    assert pair.server_event() == ConnectionClosed()


def test_abort_in_transaction_never_enters_update() -> None:
    pair = Pair(greeting=GREETING)
    login(pair)
    pair.server.receive_data(b"DELE 1")  # no CRLF, then the peer vanishes
    pair.server.receive_data(b"")
    assert pair.server_event() == ConnectionClosed()
    assert pair.server.state is State.TRANSACTION


def test_client_sees_close_inside_a_body_as_fatal() -> None:
    pair = Pair(greeting=GREETING)
    login(pair)
    pair.to_server(Retr(1))
    pair.server_event()
    pair.to_client(Ok(), MessageData(b"partial\r\n"))
    pair.client.receive_data(b"")
    with pytest.raises(RemoteProtocolError) as info:
        pair.client_events()
    assert info.value.fatal


def test_stls_injection_is_discarded_and_recorded_on_the_server() -> None:
    server = POP3Connection(Role.SERVER)
    server.send(GREETING)
    server.receive_data(b"STLS\r\nCAPA\r\n")  # one segment: CVE-2011-0411 style
    assert server.next_event() == Stls()
    server.send(Ok("Begin TLS negotiation"))
    server.receive_data(b"USER injected\r\n")  # still plaintext: also discarded
    assert server.next_event() is NEED_DATA
    assert server.stls_injected_octets == len(b"CAPA\r\nUSER injected\r\n")
    assert server.stls_evidence == b"CAPA\r\nUSER injected\r\n"
    server.start_tls()
    assert server.session.tls
    server.receive_data(b"CAPA\r\n")
    assert server.next_event() == Capa()
    server.send(Ok())
    server.send(MultilineEnd())
    server.receive_data(b"STLS\r\n")
    with pytest.raises(RemoteProtocolError):  # RFC 2595 §4: not twice
        server.next_event()


def test_stls_response_injection_is_discarded_on_the_client() -> None:
    pair = Pair(greeting=GREETING)
    pair.to_server(Stls())
    assert pair.server_event() == Stls()
    pair.client.receive_data(b"+OK go ahead\r\n+OK injected\r\n")
    assert pair.client_events() == [Ok("go ahead")]
    with pytest.raises(LocalProtocolError):
        pair.client.send(Capa())  # must start_tls() first
    assert pair.client.stls_injected_octets == len(b"+OK injected\r\n")
    pair.client.start_tls()
    assert pair.client.session.tls
    with pytest.raises(LocalProtocolError):  # the client core refuses STLS under TLS too
        pair.client.send(Stls())


def test_nothing_is_pipelined_after_stls() -> None:
    pair = Pair(greeting=GREETING)
    pair.client.send(Stls())
    with pytest.raises(LocalProtocolError):
        pair.client.send(Capa())


def test_utf8_enables_utf8_user_names() -> None:
    pair = Pair(greeting=GREETING)
    pair.to_server(Utf8())
    assert pair.server_event() == Utf8()
    pair.to_client(Ok("enabled", "UTF8"))
    pair.to_server(User("jösé"))
    assert pair.server_event() == User("jösé")
    assert pair.wire[-1] == ("C", "USER jösé\r\n".encode())


def test_client_refuses_lowercase_status_as_fatal() -> None:
    client = POP3Connection(Role.CLIENT)
    client.receive_data(b"+ok hello\r\n")
    with pytest.raises(RemoteProtocolError) as info:
        client.next_event()
    assert info.value.fatal
    with pytest.raises(RemoteProtocolError):
        client.next_event()  # stays failed


def test_client_state_enforcement_and_permissive_mode() -> None:
    pair = Pair(greeting=GREETING)
    with pytest.raises(LocalProtocolError):
        pair.client.send(Stat())
    permissive = POP3Connection(Role.CLIENT, enforce_states=False)
    permissive.receive_data(b"+OK hi\r\n")
    assert drain(permissive) == [Ok("hi")]
    assert permissive.send(Stat()) == b"STAT\r\n"
    permissive.receive_data(b"-ERR not yet\r\n")
    assert drain(permissive) == [Err("not yet")]


def test_client_allows_pipelining_across_login() -> None:
    pair = Pair(greeting=GREETING)
    wire = pair.to_server(User("u"), Pass("p"), Stat(), List())
    assert wire == b"USER u\r\nPASS p\r\nSTAT\r\nLIST\r\n"


def test_greeting_must_come_first_and_err_greeting_closes() -> None:
    server = POP3Connection(Role.SERVER)
    with pytest.raises(LocalProtocolError):
        server.send(Stat())  # type: ignore[arg-type]
    server.send(Err("too busy", "SYS/TEMP"))
    assert server.state is State.CLOSED


def test_server_reply_misuse_is_local_error() -> None:
    server = POP3Connection(Role.SERVER)
    server.send(GREETING)
    with pytest.raises(LocalProtocolError):
        server.send(Ok())  # nothing to answer yet
    server.receive_data(b"USER u\r\n")
    server.next_event()
    with pytest.raises(LocalProtocolError):
        server.send(ScanListing(1, 1))  # USER is single-line
    with pytest.raises(LocalProtocolError):
        server.send(Ok("x" * 600))  # over 512 octets (RFC 2449 §4)
    limits = POP3Limits(max_response_line=1024)
    roomy = POP3Connection(Role.SERVER, limits)
    roomy.send(GREETING)
    roomy.receive_data(b"CAPA\r\n")
    roomy.next_event()
    roomy.send(Ok("x" * 600))
    with pytest.raises(LocalProtocolError):
        roomy.send(MessageData(b"not a capability"))


def test_lang_listing_is_multiline_and_lang_tag_is_not() -> None:
    pair = Pair(greeting=GREETING)
    pair.to_server(Lang(), Lang("fr"))
    assert pair.server_event() == Lang()
    listing = [LanguageListing("en", "English"), LanguageListing("fr", "Français")]
    pair.to_client(Ok("Language listing follows"), *listing, MultilineEnd())
    assert pair.server_event() == Lang("fr")
    pair.to_client(Ok("Bienvenue"))
    assert pair.client_events() == [
        Ok("Language listing follows"),
        *listing,
        MultilineEnd(),
        Ok("Bienvenue"),
    ]
