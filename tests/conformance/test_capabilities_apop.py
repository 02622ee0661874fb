"""``requires = ["APOP"]``: a POP3 greeting with an RFC 1939 §7 timestamp advertises APOP."""

from __future__ import annotations

import pytest

from harness.conformance.capabilities import ServiceProbe, missing_requirement
from harness.conformance.model import SessionState
from harness.report import Capabilities
from harness.targets import TLSMode


def probe(banner: str) -> ServiceProbe:
    return ServiceProbe(banner=banner, capabilities=Capabilities(after_tls=["USER", "TOP"]))


def missing(banner: str, protocol: str = "pop3") -> str | None:
    return missing_requirement(
        ("APOP",), probe(banner), "pop3s", protocol, TLSMode.IMPLICIT, SessionState.GREETED
    )


@pytest.mark.parametrize(
    "banner",
    [
        "+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>",
        "+OK <a.b@host>",
        "+OK [IN-USE] ready <x@y> more text",
    ],
)
def test_timestamp_in_greeting_advertises_apop(banner: str) -> None:
    assert missing(banner) is None


@pytest.mark.parametrize(
    "banner",
    ["+OK Dovecot (Debian) ready.", "+OK ready <no-at-sign>", "+OK ready < x@y >"],
)
def test_no_timestamp_means_no_apop(banner: str) -> None:
    assert missing(banner) == "target lacks APOP on pop3s"


def test_only_pop3_greetings_count() -> None:
    assert missing("* OK ready <x@y>", protocol="imap") == "target lacks APOP on pop3s"
