"""The DSN writer (RFC 3464 inside RFC 6522), the NOTIFY rules (RFC 3461 §4.1)
and the next-hop checks, without any I/O: what they write, the email package reads."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime
from email.message import Message

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.protocols.smtp import MailParams
from harness.server.delivery import MailEnvelope, Recipient
from harness.server.relay import preflight
from harness.server.relay.dsn import Action, DeliveryReport, RecipientReport, build_dsn
from harness.server.relay.notify import delivery_report, wants
from harness.server.relay.outcome import RecipientResult, Verdict

NOW = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
ORIGINAL = b"From: a@a.test\r\nSubject: s\r\n\r\nbody\r\n"
FAILED = RecipientReport(
    "x@b.test",
    Action.FAILED,
    "5.1.1",
    original_recipient=("rfc822", "X@b.test"),
    remote_mta="mail.b.test",
    diagnostic=("smtp", "550 5.1.1 No such\nuser"),
    last_attempt=NOW,
)
DELAYED = RecipientReport("y@b.test", Action.DELAYED, "4.4.1", will_retry_until=NOW)


def report(*recipients: RecipientReport, ret: str | None = None) -> DeliveryReport:
    return DeliveryReport("mail.a.test", "a@a.test", NOW, recipients, envid="E1", ret=ret)


def parts(dsn: bytes) -> list[Message]:
    message = email.message_from_bytes(dsn, policy=email.policy.default)
    assert message.get_content_type() == "multipart/report"
    assert message.get_param("report-type") == "delivery-status"
    payload = message.get_payload()
    assert isinstance(payload, list)
    return payload


def status_text(dsn: bytes) -> str:
    start = dsn.index(b"Content-Type: message/delivery-status")
    return dsn[start : dsn.index(b"--=_dsn_", start)].decode()


def test_fields_in_rfc_3464_order() -> None:
    text = status_text(build_dsn(report(FAILED), ORIGINAL, message_id="m@a.test", now=NOW))
    names = [line.split(":")[0] for line in text.splitlines()[2:] if ":" in line]
    assert names == [
        "Original-Envelope-Id",
        "Reporting-MTA",
        "Arrival-Date",
        "Original-Recipient",
        "Final-Recipient",
        "Action",
        "Status",
        "Remote-MTA",
        "Diagnostic-Code",
        "Last-Attempt-Date",
    ]
    assert "Diagnostic-Code: smtp; 550 5.1.1 No such user\r\n" in text  # folded to one line


def test_the_email_package_reads_every_part() -> None:
    text, status, returned = parts(build_dsn(report(FAILED), ORIGINAL, message_id="m", now=NOW))
    assert "x@b.test" in text.get_content()
    per_message, recipient = status.get_payload()
    assert per_message["Reporting-MTA"] == "dns; mail.a.test"
    assert recipient["Original-Recipient"] == "rfc822;X@b.test"
    assert returned.get_content_type() == "message/rfc822"


@pytest.mark.parametrize(
    ("recipients", "ret", "returned_type"),
    [
        ((FAILED,), None, "message/rfc822"),  # no RET: the whole message on failure
        ((FAILED,), "FULL", "message/rfc822"),
        ((FAILED,), "HDRS", "text/rfc822-headers"),
        ((DELAYED,), "FULL", "text/rfc822-headers"),  # FULL is for "failed" DSNs only
    ],
)
def test_ret_chooses_what_comes_back(
    recipients: tuple[RecipientReport, ...], ret: str | None, returned_type: str
) -> None:
    dsn = build_dsn(report(*recipients, ret=ret), ORIGINAL, message_id="m", now=NOW)
    assert parts(dsn)[2].get_content_type() == returned_type
    assert (b"body\r\n" in dsn) == (returned_type == "message/rfc822")


def test_unembeddable_original_comes_back_as_header_only() -> None:
    bare_lf = b"Subject: s\r\n\r\nline\nmore\r\n"
    dsn = build_dsn(report(FAILED), bare_lf, message_id="m", now=NOW)
    assert parts(dsn)[2].get_content_type() == "text/rfc822-headers"


def test_8bit_original_is_marked_8bit() -> None:
    original = "Subject: s\r\n\r\nGrüße\r\n".encode()
    dsn = build_dsn(report(FAILED), original, message_id="m", now=NOW)
    header = dsn.split(b"\r\n\r\n", 1)[0]
    assert header.endswith(b"\r\nContent-Transfer-Encoding: 8bit")
    assert original in dsn


@given(
    st.lists(st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=60), max_size=20)
)
def test_the_original_comes_back_byte_exact(lines: list[str]) -> None:
    original = b"Subject: p\r\n\r\n" + b"".join(line.encode() + b"\r\n" for line in lines)
    dsn = build_dsn(report(FAILED), original, message_id="m", now=NOW)
    returned = parts(dsn)[2]
    assert returned.get_content_type() == "message/rfc822"
    start = dsn.index(b"Content-Type: message/rfc822\r\n\r\n") + 32
    assert dsn[start : start + len(original)] == original


@pytest.mark.parametrize(
    ("notify", "condition", "expected"),
    [
        (None, "FAILURE", True),  # RFC 3461 §4.1: as if NOTIFY=FAILURE
        (None, "DELAY", False),
        (None, "SUCCESS", False),
        (("NEVER",), "FAILURE", False),
        (("SUCCESS", "DELAY"), "FAILURE", False),
        (("SUCCESS", "DELAY"), "DELAY", True),
    ],
)
def test_notify(notify: tuple[str, ...] | None, condition: str, expected: bool) -> None:
    assert wants(notify, condition) is expected


def _result(verdict: Verdict, dsn_capable: bool = True) -> RecipientResult:
    return RecipientResult("x@b.test", verdict, "5.0.0", ("smtp", "550"), "h", dsn_capable)


@pytest.mark.parametrize(
    ("verdict", "notify", "dsn_capable", "first", "action"),
    [
        (Verdict.FAILED, None, True, False, Action.FAILED),
        (Verdict.FAILED, ("NEVER",), True, False, None),
        (Verdict.DEFERRED, ("DELAY",), True, True, Action.DELAYED),
        (Verdict.DEFERRED, ("DELAY",), True, False, None),  # warned once already
        (Verdict.DELIVERED, ("SUCCESS",), True, False, None),  # the next hop reports
        (Verdict.DELIVERED, ("SUCCESS",), False, False, Action.RELAYED),
    ],
)
def test_which_results_are_reported(
    verdict: Verdict,
    notify: tuple[str, ...] | None,
    dsn_capable: bool,
    first: bool,
    action: Action | None,
) -> None:
    envelope = MailEnvelope("a@a.test", (Recipient("x@b.test", None, notify),))
    found = delivery_report(
        envelope,
        [_result(verdict, dsn_capable)],
        reporting_mta="mail.a.test",
        arrival=0.0,
        now=1.0,
        first_deferral=first,
        retry_until=2.0,
    )
    assert (None if found is None else found.recipients[0].action) == action


EXT_ALL = {"SIZE": ("1000",), "8BITMIME": (), "SMTPUTF8": (), "DSN": (), "CHUNKING": ()}


@pytest.mark.parametrize(
    ("content", "body", "ext", "expected"),
    [
        (b"a\r\n", None, {}, None),
        (b"a\r\n", "7BIT", EXT_ALL, "7BIT"),
        (b"\xc3\xa9\r\n", None, EXT_ALL, "8BITMIME"),  # the octets decide
        (b"\xc3\xa9\r\n", "7BIT", EXT_ALL, "8BITMIME"),
        (b"a\r\n", "BINARYMIME", EXT_ALL, "BINARYMIME"),
    ],
)
def test_body_parameter(
    content: bytes, body: str | None, ext: dict[str, tuple[str, ...]], expected: str | None
) -> None:
    envelope = MailEnvelope("a@a.test", (Recipient("x@b.test"),), body=body)
    assert preflight.mail_params(envelope, envelope.recipients, content, ext).body == expected


def test_mail_parameters_only_for_offered_extensions() -> None:
    envelope = MailEnvelope("a@a.test", (Recipient("x@b.test"),), ret="HDRS", envid="E")
    assert preflight.mail_params(envelope, envelope.recipients, b"a\r\n", {}) == MailParams()
    full = preflight.mail_params(envelope, envelope.recipients, b"a\r\n", EXT_ALL)
    assert (full.size, full.ret, full.envid, full.smtputf8) == (3, "HDRS", "E", False)


@pytest.mark.parametrize(
    ("content", "envelope_body", "ext", "status"),
    [
        (b"\xff\r\n", None, {}, "5.6.3"),
        (b"a\nb\r\n", None, EXT_ALL, "5.6.0"),
        (b"a\r\n", "BINARYMIME", {"BINARYMIME": ()}, "5.6.3"),  # and CHUNKING
        (b"x" * 2000, None, EXT_ALL, "5.3.4"),
        (b"a\r\n", None, {}, None),
    ],
)
def test_refusals(
    content: bytes, envelope_body: str | None, ext: dict[str, tuple[str, ...]], status: str | None
) -> None:
    envelope = MailEnvelope("a@a.test", (Recipient("x@b.test"),), body=envelope_body)
    found = preflight.refusal(envelope, envelope.recipients, content, ext)
    assert (None if found is None else found.status) == status
