"""Building scripts from a body alone, for parser and matcher tests."""

from __future__ import annotations

from harness.conformance.model import Expect, Script
from harness.conformance.parser import parse_script

HEADER_LINES = """\
+++
id = "SMTP-TEST-CASE"
title = "a test"
rfc = "RFC 5321"
section = "4.1"
level = "MUST"
protocol = "smtp"
service = "{service}"
{extra}
+++
"""
HEADER_LENGTH = 10  # body line 1 is file line 11


def header(extra: str = "", service: str = "smtp") -> str:
    return HEADER_LINES.format(extra=extra, service=service)


def script(body: str, extra: str = "", service: str = "smtp") -> Script:
    return parse_script(header(extra, service) + body, "t.mhs")


def expects(body: str, extra: str = "") -> list[Expect]:
    return [step for step in script(body, extra).steps if isinstance(step, Expect)]


def only_expect(body: str, extra: str = "") -> Expect:
    (expect,) = expects(body, extra)
    return expect
