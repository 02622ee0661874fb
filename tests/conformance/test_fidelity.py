"""The fidelity cases against the reference server, healthy and made faulty by a proxy.

Healthy, every case of suites/fidelity passes. Then a proxy between the
harness and the server's POP3 or IMAP listener breaks one thing a real
server gets wrong (trailing blanks stripped, dots left stuffed, a size that
lies), and the case that exercises it must fail, naming the problem. The
proxy sees plaintext only, so the reference server allows login without TLS
here and the proxied services skip STARTTLS.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
import trio

from harness.conformance.campaign import run_conformance
from harness.conformance.fidelity import judge
from harness.conformance.journey import Retrieved
from harness.conformance.message_case import MessageCase
from harness.conformance.selection import collect_scripts, select
from harness.report import Verdict
from harness.server.app import RunningServer, running_server
from harness.server.config import default_config
from harness.targets import Service, Target, TLSMode
from tests.conformance.faulty_proxy import FaultyProxy, LineFault

SUITES = Path(__file__).resolve().parents[2] / "suites"


def fidelity_cases(keyword: str | None = None) -> list[MessageCase]:
    cases = select(collect_scripts([SUITES / "fidelity"]), keyword)
    assert cases and all(isinstance(case, MessageCase) for case in cases)
    return [case for case in cases if isinstance(case, MessageCase)]


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[RunningServer]:
    config = dataclasses.replace(default_config(), require_tls_for_auth=False)
    async with running_server(config, data_dir=tmp_path / "data") as running:
        yield running


async def test_every_fidelity_case_passes_against_the_reference_server(
    server: RunningServer,
) -> None:
    report = await run_conformance(server.target(), fidelity_cases(), jobs=4)
    problems = [f"{c.id}: {c.reason}" for c in report.cases if c.verdict is not Verdict.PASSED]
    assert problems == []
    assert len(report.cases) >= 16


def strip_trailing_blanks(line: bytes) -> bytes:
    """A server that 'tidies' lines: breaks every signature over such a body."""
    return line.rstrip(b" \t\r\n") + b"\r\n" if line.endswith(b"\r\n") else line


def forget_dot_stuffing(line: bytes) -> bytes:
    """A POP3 server that sends body lines without stuffing their leading dot."""
    return line[1:] if line.startswith(b"..") else line


def announce_one_more_octet(line: bytes) -> bytes:
    return re.sub(rb"RFC822\.SIZE (\d+)", lambda m: b"RFC822.SIZE %d" % (int(m[1]) + 1), line)


@pytest.mark.parametrize(
    ("service", "fault", "keyword", "symptoms"),
    [
        (
            "pop3",
            strip_trailing_blanks,
            "trailing-whitespace",
            ["pop3 RETR differs from the message sent at octet", "LIST size is"],
        ),
        (
            "pop3",
            forget_dot_stuffing,
            "leading-dots and not bdat",
            ["pop3 RETR lacks the last", "pop3 RETR and imap BODY[] differ"],
        ),
        ("imap", announce_one_more_octet, "long-lines", ["RFC822.SIZE is"]),
    ],
)
async def test_a_server_made_faulty_by_a_proxy_is_caught(
    server: RunningServer,
    nursery: trio.Nursery,
    service: str,
    fault: LineFault,
    keyword: str,
    symptoms: list[str],
) -> None:
    proxy = FaultyProxy(server.port(service), fault)
    await nursery.start(proxy.serve)
    target = proxied(server.target(), service, proxy.port)
    proxy.fault = unchanged  # the proxy alone changes nothing
    (healthy,) = (await run_conformance(target, fidelity_cases(keyword))).cases
    assert healthy.verdict is Verdict.PASSED, healthy.reason
    proxy.fault = fault
    (broken,) = (await run_conformance(target, fidelity_cases(keyword))).cases
    assert proxy.faults_applied > 0
    assert broken.verdict is Verdict.FAILED, broken.reason
    for symptom in symptoms:
        assert symptom in broken.reason, broken.reason
    assert broken.transcript  # the evidence comes with the verdict


unchanged: Callable[[bytes], bytes] = lambda line: line  # noqa: E731


def proxied(target: Target, service: str, port: int) -> Target:
    services = {**target.services, service: Service(service, port, TLSMode.NONE)}
    return dataclasses.replace(target, services=services)


def test_the_kinds_own_verify_hook_judges_each_copy() -> None:
    """The hook S/MIME and PGP/MIME kinds use: their signatures must verify after transit."""
    seen: list[bytes] = []

    def signature_broken(raw: bytes) -> str | None:
        seen.append(raw)
        return "the signature no longer verifies" if b"tampered" in raw else None

    sent = fidelity_cases("lone-dot-line")[0].message
    message = dataclasses.replace(sent, verify=signature_broken)
    trace = b"Received: by mx.test; Mon, 1 Jan 2024 00:00:00 +0000\r\n"
    good = Retrieved("imap", trace + sent.raw, len(trace + sent.raw))
    assert judge(message, [good], ["Received"]).verdict is Verdict.PASSED
    assert seen == [good.raw]
    bad_raw = good.raw.replace(b"Between them", b"tampered ")
    bad = Retrieved("pop3", bad_raw, len(bad_raw))
    outcome = judge(message, [good, bad], ["Received"])
    assert outcome.verdict is Verdict.FAILED
    assert "pop3 RETR: the signature no longer verifies" in outcome.reason
    assert "pop3 RETR: the X-Mailharness-Hash digest no longer matches" in outcome.reason
