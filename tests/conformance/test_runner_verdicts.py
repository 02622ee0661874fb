"""Verdicts of the runner against a small SMTP server that can be told to break one rule.

Real sockets, a real peer: each fault is bytes on the wire, and the runner
must say failed (the server's fault), skipped (does not apply) or error (the
harness could not run the case), with the reason.
"""

from __future__ import annotations

import socket
import time
from collections.abc import AsyncIterator

import pytest
import trio

from harness.conformance.capabilities import discover
from harness.conformance.parser import parse_script
from harness.conformance.runner import RunConfig, case_budget, run_scripts
from harness.net import client_ssl_context
from harness.report import CaseResult, Verdict
from harness.targets import Service, Target, TLSMode
from tests.conformance.fake_smtp import SILENCE, FakeSMTP

HEADER = """\
+++
id = "{id}"
title = "a case"
rfc = "RFC 5321"
section = "4.1"
level = "MUST"
protocol = "smtp"
service = "{service}"
{extra}
+++
"""


def case(body: str, *, id: str = "SMTP-T", extra: str = "", service: str = "smtp"):
    text = HEADER.format(id=id, extra=extra, service=service) + body
    return parse_script(text, f"fake/{id.lower()}.mhs")


@pytest.fixture
async def fake(nursery: trio.Nursery) -> AsyncIterator[FakeSMTP]:
    server = FakeSMTP()
    await nursery.start(server.serve)
    yield server


async def run(target: Target, *scripts, jobs: int = 1) -> list[CaseResult]:  # type: ignore[no-untyped-def]
    context = client_ssl_context(verify=False)
    probes = await discover(target, context)
    return await run_scripts(
        list(scripts), RunConfig(target, context, probes, jobs=jobs, settle_s=0)
    )


NOOP = "C: NOOP\nS: 250 ${*}\n"


async def test_a_conforming_dialogue_passes_with_its_transcript(fake: FakeSMTP) -> None:
    (result,) = await run(fake.target(), case(NOOP + "C: QUIT\nS: 221 ${*}\nexpect close\n"))
    assert result.verdict is Verdict.PASSED, result.reason
    assert "[main] C: NOOP" in result.transcript
    assert "[main] S: 250 2.0.0 ok" in result.transcript
    assert "[main] S: 220 fake.test ESMTP ready" in result.transcript  # the runner's greeting


async def test_a_wrong_reply_fails_naming_file_line_expected_and_received(fake: FakeSMTP) -> None:
    fake.faults["NOOP"] = b"500 5.5.1 no\r\n"
    (result,) = await run(fake.target(), case(NOOP))
    assert result.verdict is Verdict.FAILED
    assert result.reason.startswith("fake/smtp-t.mhs:12: expected S: 250 ${*}, got S: 500 5.5.1 no")
    assert (result.expected, result.received) == ("S: 250 ${*}", "S: 500 5.5.1 no")


async def test_a_reply_whose_lines_change_code_fails_even_if_the_script_is_lenient(
    fake: FakeSMTP,
) -> None:
    fake.faults["NOOP"] = b"250-fine\r\n251 not the same code\r\n"
    (result,) = await run(fake.target(), case("C: NOOP\nS~: .*\n...\n"))
    assert result.verdict is Verdict.FAILED
    assert "RFC 5321 section 4.2.1" in result.reason


async def test_missing_capability_is_a_skip_with_its_reason(fake: FakeSMTP) -> None:
    (result,) = await run(fake.target(), case(NOOP, extra='requires = ["CHUNKING"]'))
    assert (result.verdict, result.reason) == (Verdict.SKIPPED, "target lacks CHUNKING on smtp")
    assert result.transcript == ""  # skipped cases never touched the server


async def test_sasl_mechanisms_are_gated_as_auth_equals(fake: FakeSMTP) -> None:
    plain, login = (
        case(NOOP, id=f"SMTP-{m}", extra=f'requires = ["AUTH={m}"]') for m in ("PLAIN", "LOGIN")
    )
    results = await run(fake.target(), plain, login)
    assert [r.verdict for r in results] == [Verdict.PASSED, Verdict.SKIPPED]


async def test_a_service_the_target_lacks_is_a_skip(fake: FakeSMTP) -> None:
    script = case("C: a1 NOOP\nS: a1 OK${*}\n", service="imap")
    (result,) = await run(fake.target(), script)
    assert (result.verdict, result.reason) == (Verdict.SKIPPED, "target has no imap service")


async def test_too_few_accounts_is_a_skip(fake: FakeSMTP) -> None:
    script = case("C: VRFY ${user3}\nS: 500 ${*}\n", extra="accounts = 3")
    (result,) = await run(fake.target(), script)
    assert result.verdict is Verdict.SKIPPED
    assert result.reason == "the case needs 3 accounts, the target lists 2"


async def test_connection_refused_is_an_error_not_a_failure(fake: FakeSMTP) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    target = fake.target(services={"smtp": Service("smtp", closed_port, TLSMode.NONE)})
    (result,) = await run(target, case(NOOP))
    assert result.verdict is Verdict.ERROR
    assert "cannot connect to smtp at 127.0.0.1" in result.reason
    assert "refused" in result.reason


async def test_a_greeting_that_is_not_ready_is_a_setup_error(fake: FakeSMTP) -> None:
    fake.greeting = b"554 5.3.2 go away\r\n"
    (result,) = await run(fake.target(), case(NOOP))
    assert result.verdict is Verdict.ERROR
    assert "greeting is not ready: 554 5.3.2 go away" in result.reason


async def test_a_login_refused_during_setup_is_an_error(fake: FakeSMTP) -> None:
    fake.faults["AUTH"] = b"535 5.7.8 no\r\n"
    (result,) = await run(fake.target(), case(NOOP, extra='state = "authenticated"'))
    assert result.verdict is Verdict.ERROR
    assert "smtp AUTH: expected 235, got 535" in result.reason


async def test_no_answer_fails_after_the_script_timeout(fake: FakeSMTP) -> None:
    fake.faults["NOOP"] = SILENCE
    started = time.monotonic()
    (result,) = await run(fake.target(), case(NOOP, extra='timeout = "300ms"'))
    assert result.verdict is Verdict.FAILED
    assert "got no response yet (nothing more arrived within 0.3 s)" in result.reason
    assert time.monotonic() - started < 5


async def test_expect_close_fails_when_the_server_stays_open(fake: FakeSMTP) -> None:
    fake.close_after_quit = False
    script = case("C: QUIT\nS: 221 ${*}\nexpect close\n", extra='timeout = "300ms"')
    (result,) = await run(fake.target(), script)
    assert result.verdict is Verdict.FAILED
    assert "expected the server to close the connection within 0.3 s" in result.reason


async def test_an_extra_reply_breaks_expected_silence(fake: FakeSMTP) -> None:
    fake.faults["NOOP"] = b"250 one\r\n250 two\r\n"
    script = case("C: NOOP\nS: 250 one\nexpect silence 300ms\n")
    (result,) = await run(fake.target(), script)
    assert result.verdict is Verdict.FAILED
    assert "no expectation consumed: S: 250 two" in result.reason


async def test_an_unexpected_reply_left_at_the_end_fails(fake: FakeSMTP) -> None:
    fake.faults["NOOP"] = b"250 one\r\n250 two\r\n"
    (result,) = await run(fake.target(), case("C: NOOP\nS: 250 one\nC: RSET\nS: 250 ${*}\n"))
    # RSET's expectation meets NOOP's second reply first: it is judged as RSET's.
    assert result.verdict is Verdict.FAILED
    assert "S: 250 ok" not in result.reason  # the leftover is RSET's own reply
    assert "no expectation consumed: S: 250 2.0.0 ok" in result.reason


async def test_parallel_lanes_meet_at_sync_and_captures_cross_sessions(fake: FakeSMTP) -> None:
    body = """\
[a] C: EHLO a.example
[a] S: 250-${name}
[a] ...
parallel:
  [a] C: NOOP
  [b] C: NOOP
  sync
  [a] S: 250 ${*}
  [b] S: 250 ${*}
end
[b] C: HELO ${name}
[b] S: 250 ${name}
"""
    (result,) = await run(fake.target(), case(body))
    assert result.verdict is Verdict.PASSED, result.reason
    assert "[b] C: HELO fake.test" in result.transcript
    assert "[a] C: NOOP" in result.transcript


async def test_parallel_jobs_share_no_account_and_do_run_at_once(fake: FakeSMTP) -> None:
    body = "sleep 200ms\nC: NOOP\nS: 250 ${*}\n"
    scripts = [case(body, id=f"SMTP-J{n}", extra='state = "authenticated"') for n in range(6)]
    started = time.monotonic()
    results = await run(fake.target(), *scripts, jobs=4)
    elapsed = time.monotonic() - started
    assert [r.verdict for r in results] == [Verdict.PASSED] * 6, [r.reason for r in results]
    assert [r.id for r in results] == [f"SMTP-J{n}" for n in range(6)]  # script order
    assert not fake.shared_account
    assert fake.most_at_once == 2  # two accounts: two cases at a time
    assert elapsed < 6 * 0.2  # faster than one after the other


def test_the_case_budget_is_the_sum_of_what_its_steps_may_wait() -> None:
    quick = case("C: NOOP\nS: 250 ${*}\n", extra='timeout = "1s"')
    slower = case("C: NOOP\nS: 250 ${*}\nexpect silence 5s\n", extra='timeout = "1s"')
    assert case_budget(slower) - case_budget(quick) == pytest.approx(5)
