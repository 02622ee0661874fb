"""The blocking clients against the reference server: every command timed, refusals
returned and reported with their reply codes, broken connections reported too."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from harness.load.clients import (
    CommandFailed,
    ConnectionLost,
    Endpoint,
    IMAPClient,
    POP3Client,
    SMTPClient,
    endpoint_for,
)
from harness.load.messages import make_id, read_id, with_id
from harness.load.runner import free_port
from harness.mail.integrity import verify
from harness.mail.sizes import message_of_size
from harness.protocols.imap import ExistsResponse, FetchSection, SequenceSet
from harness.protocols.imap.values import Section
from harness.targets import Target, load_target

Request = tuple[str, str, float, int, CommandFailed | None]


class Sink:
    def __init__(self) -> None:
        self.requests: list[Request] = []

    def __call__(
        self, protocol: str, name: str, ms: float, length: int, failure: CommandFailed | None
    ) -> None:
        self.requests.append((protocol, name, ms, length, failure))

    def names(self) -> list[str]:
        return [name for _, name, _, _, _ in self.requests]

    def failures(self) -> dict[str, str]:
        return {name: str(failure) for _, name, _, _, failure in self.requests if failure}


@pytest.fixture(scope="module")
def target(reference_target: Path) -> Target:
    return load_target(reference_target)


def send(target: Target, recipient: str, message: bytes, sink: Sink) -> None:
    client = SMTPClient(endpoint_for(target, "submission"), sink)
    client.connect()
    client.ehlo("client.test")
    client.starttls()
    client.ehlo("client.test")
    assert client.auth_plain("load9@example.test", "loadpw").code == 235
    assert client.mail("load9@example.test").code == 250
    assert client.rcpt(recipient).code == 250
    assert client.data(message).code == 250
    client.quit()


def test_smtp_times_every_command_and_returns_refusals(target: Target) -> None:
    sink = Sink()
    client = SMTPClient(endpoint_for(target, "smtp"), sink)
    assert client.connect().code == 220
    client.ehlo("client.test")
    client.mail("someone@remote.test")
    refused = client.rcpt("nobody@example.test")
    assert refused.code == 550
    client.rset()
    client.quit()
    assert sink.names() == [
        "SMTP connect", "SMTP greeting", "SMTP EHLO", "SMTP MAIL", "SMTP RCPT", "SMTP RSET", "SMTP QUIT",
    ]  # fmt: skip
    assert sink.failures() == {"SMTP RCPT": "550 5.1.1"}
    assert all(ms >= 0 for _, _, ms, _, _ in sink.requests)


def test_a_message_goes_in_by_smtp_and_out_by_imap_and_pop3(target: Target) -> None:
    sink = Sink()
    message = with_id(message_of_size(1, 4000).raw, make_id("t1", "u1", 1))
    send(target, "load10@example.test", message, sink)
    assert {"SMTP STARTTLS", "SMTP AUTH", "SMTP DATA", "SMTP DATA end"} <= set(sink.names())
    data_end = next(r for r in sink.requests if r[1] == "SMTP DATA end")
    assert data_end[3] == len(message) and data_end[4] is None

    imap = IMAPClient(endpoint_for(target, "imaps"), sink)
    assert imap.connect().ok and imap.login("load10@example.test", "loadpw").ok
    completion, selected = imap.select("INBOX")
    assert completion.ok and selected.exists >= 1
    field = FetchSection(
        "BODY", Section(text="HEADER.FIELDS", fields=("X-Mailharness-Id",)), peek=True
    )
    headers = imap.uid_fetch("headers", SequenceSet.parse("1:*"), ("UID", field)).fetched()
    assert read_id(headers[-1].sections[0].data or b"") == "load-t1/u1-1"
    imap.logout()
    assert "IMAP TLS" in sink.names() and "IMAP FETCH headers" in sink.names()

    pop3 = POP3Client(endpoint_for(target, "pop3"), sink)
    assert pop3.connect().ok and pop3.stls().ok
    assert pop3.login("load10@example.test", "loadpw").ok
    listing = pop3.uidl()
    body = pop3.retr(max(listing))
    assert body is not None and verify(body) and read_id(body) == "load-t1/u1-1"
    assert pop3.retr(999) is None
    pop3.quit()
    assert sink.failures() == {"POP3 RETR": "-ERR"}


def test_idle_returns_when_new_mail_is_announced(target: Target) -> None:
    sink = Sink()
    imap = IMAPClient(endpoint_for(target, "imap"), sink)
    imap.connect()
    imap.starttls()
    imap.login("load11@example.test", "loadpw")
    imap.select("INBOX")
    message = with_id(message_of_size(2, 3000).raw, make_id("t1", "u1", 2))
    later = threading.Timer(0.3, send, (target, "load11@example.test", message, Sink()))
    later.start()
    started = time.monotonic()
    events = imap.idle(10.0)
    later.join()
    assert any(isinstance(event, ExistsResponse) for event in events)
    assert time.monotonic() - started < 5
    assert imap.create("Archive", exists_ok=True).code in (None, "ALREADYEXISTS")
    assert imap.create("Archive", exists_ok=True).code == "ALREADYEXISTS"
    imap.logout()
    assert {"IMAP IDLE", "IMAP DONE"} <= set(sink.names())
    assert "IMAP CREATE" not in sink.failures()


def test_imap_refusals_carry_status_and_code(target: Target) -> None:
    sink = Sink()
    imap = IMAPClient(endpoint_for(target, "imaps"), sink)
    imap.connect()
    assert not imap.login("load12@example.test", "wrong").ok
    imap.logout()
    assert sink.failures()["IMAP LOGIN"].startswith("NO")


def test_a_refused_connection_is_reported_then_raised() -> None:
    sink = Sink()
    client = SMTPClient(Endpoint("127.0.0.1", free_port(), timeout=5), sink)
    with pytest.raises(ConnectionLost):
        client.connect()
    assert sink.failures() == {"SMTP connect": "refused"}
