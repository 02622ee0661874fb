"""The runner against real Dovecot and Postfix: no false failures, and real faults caught.

Ground truth (issue 4): against a conforming real server the example suites
pass. Then a proxy between the runner and the same servers corrupts one line
of their answers, and the very same scripts must fail, naming the rule.
"""

from __future__ import annotations

import os
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pytest
import trio

from harness.commands.conform import ConformOptions, conform
from harness.conformance.capabilities import ServiceProbe, discover
from harness.conformance.model import Script
from harness.conformance.parser import parse_script
from harness.conformance.runner import RunConfig, run_scripts
from harness.conformance.selection import collect_scripts
from harness.net import client_ssl_context
from harness.report import CaseResult, Verdict
from harness.report.policy import read_baseline
from harness.targets import Account, Service, Target, TLSMode, write_target
from tests.conformance.faulty_proxy import FaultyProxy, LineFault
from tests.realservers import RealStack

pytestmark = pytest.mark.realserver

CHECKOUT = Path(__file__).resolve().parents[2]
SUITES = CHECKOUT / "suites"
BASELINE = CHECKOUT / "reports" / "baselines" / "dovecot-postfix.expected"
ACCOUNTS = (Account("alice@example.test", "alicepw"), Account("bob@example.test", "bobpw"))


def real_target(stack: RealStack, **replaced: Service) -> Target:
    services = {
        "smtp": Service("smtp", stack.smtp, TLSMode.STARTTLS),
        "submission": Service("submission", stack.submission, TLSMode.STARTTLS),
        "smtps": Service("smtps", stack.smtps, TLSMode.IMPLICIT),
        "imap": Service("imap", stack.imap, TLSMode.STARTTLS),
        "imaps": Service("imaps", stack.imaps, TLSMode.IMPLICIT),
        "pop3": Service("pop3", stack.pop3, TLSMode.STARTTLS),
        "pop3s": Service("pop3s", stack.pop3s, TLSMode.IMPLICIT),
    }
    services.update(replaced)
    return Target(
        name="dovecot-postfix",
        host=stack.host,
        services=services,
        accounts=ACCOUNTS,
        tls_verify=False,
        domains=("example.test",),
    )


def suite_script(path: str, timeout: str = "2s") -> Script:
    """A script of suites/, with a shorter timeout: a fault that stalls fails fast."""
    text = (SUITES / path).read_text(encoding="utf-8")
    text = text.replace("\n+++\n", f'\ntimeout = "{timeout}"\n+++\n', 1)
    return parse_script(text, path)


async def run_against(
    target: Target, scripts: Sequence[Script], probes: dict[str, ServiceProbe] | None = None
) -> list[CaseResult]:
    context = client_ssl_context(verify=False)
    probes = probes or await discover(target, context)
    return await run_scripts(scripts, RunConfig(target, context, probes, jobs=2, settle_s=0.5))


def drop_dot_terminator(line: bytes) -> bytes:
    return b"" if line == b".\r\n" else line


def change_a_continuation_code(line: bytes) -> bytes:
    return b"251-DSN\r\n" if line == b"250-DSN\r\n" else line


def miscount_exists(line: bytes) -> bytes:
    return b"* 3 EXISTS\r\n" if line == b"* 2 EXISTS\r\n" else line


@pytest.mark.parametrize(
    ("service", "script", "fault", "symptom"),
    [
        ("pop3", "pop3/transaction/list-all.mhs", drop_dot_terminator, "an incomplete response"),
        ("smtp", "smtp/connection/ehlo-response.mhs", change_a_continuation_code, "4.2.1"),
        ("imap", "imap/authenticated/select-rev1.mhs", miscount_exists, "* 2 EXISTS"),
    ],
)
async def test_a_server_made_faulty_by_a_proxy_is_caught(
    real_stack: RealStack,
    nursery: trio.Nursery,
    service: str,
    script: str,
    fault: LineFault,
    symptom: str,
) -> None:
    upstream = real_target(real_stack).services[service]
    proxy = FaultyProxy(upstream.port, fault)
    await nursery.start(proxy.serve)
    # The proxy sees plaintext only: the proxied service skips STARTTLS.
    target = real_target(real_stack, **{service: Service(service, proxy.port, TLSMode.NONE)})
    proxy.fault = lambda line: line  # first, the proxy alone changes nothing
    probes = await discover(target, client_ssl_context(verify=False))
    (healthy,) = await run_against(target, [suite_script(script)], probes)
    assert healthy.verdict is Verdict.PASSED, healthy.reason
    proxy.fault = fault
    (broken,) = await run_against(target, [suite_script(script)], probes)
    assert proxy.faults_applied > 0
    assert broken.verdict is Verdict.FAILED
    assert symptom in broken.reason, broken.reason


async def test_the_pytest_plugin_gives_the_same_verdicts(
    real_stack: RealStack, tmp_path: Path
) -> None:
    target_file = tmp_path / "dovecot.toml"
    # The stack's load accounts widen the pool, so cases run in parallel.
    load_accounts = tuple(Account(f"load{i}@example.test", "pass") for i in range(1, 25))
    write_target(replace(real_target(real_stack), accounts=ACCOUNTS + load_accounts), target_file)
    command = [
        sys.executable,
        "-m",
        "pytest",
        str(SUITES / "pop3"),
        str(SUITES / "imap" / "any-state"),
        "--mail-target",
        str(target_file),
        "-q",
        "-p",
        "no:cacheprovider",
    ]
    done = await trio.run_process(
        command,
        capture_stdout=True,
        capture_stderr=True,
        check=False,
        cwd=SUITES.parent,
        env={**os.environ, "PYTHONPATH": str(SUITES.parent)},
    )
    output = done.stdout.decode()
    # The same verdicts as the conform runs that recorded the checked-in baseline:
    # known Dovecot divergences fail under pytest too, the rest pass or skip.
    expected = Counter(
        read_baseline(BASELINE)[script.header.id].value
        for script in collect_scripts([SUITES / "pop3", SUITES / "imap" / "any-state"])
    )
    summary = output.strip().splitlines()[-1]
    for verdict, count in expected.items():
        assert f"{count} {verdict}" in summary, output + done.stderr.decode()
    assert done.returncode == (1 if expected["failed"] else 0), output


SCRATCH_CASE = """\
+++
id = "IMAP-T-{n}"
title = "leaves a mailbox and a message behind"
rfc = "RFC 3501"
section = "6.3.3"
level = "MUST"
protocol = "imap"
service = "imap"
state = "authenticated"
+++
C: a1 CREATE mh-scratch
S: a1 OK${{*}}
C: a2 STATUS INBOX (MESSAGES)
S: * STATUS ${{box}} (MESSAGES 0)
S: a2 OK${{*}}
C: a3 APPEND INBOX {{5}}
S: +${{*}}
C: hello
S: a3 OK${{*}}
"""


async def test_each_case_starts_with_empty_accounts(real_stack: RealStack) -> None:
    # One account, two cases: the second sees nothing the first left behind,
    # or its CREATE (mailbox exists) and its MESSAGES 0 would fail.
    target = replace(real_target(real_stack), accounts=ACCOUNTS[:1])
    scripts = [parse_script(SCRATCH_CASE.format(n=n), f"t{n}.mhs") for n in (1, 2)]
    results = await run_against(target, scripts)
    assert [r.verdict for r in results] == [Verdict.PASSED] * 2, [r.reason for r in results]


async def test_without_imap_seeds_are_delivered_by_smtp_and_awaited(real_stack: RealStack) -> None:
    full = real_target(real_stack)
    services = {n: s for n, s in full.services.items() if n not in ("imap", "imaps")}
    target = replace(full, services=services)
    (result,) = await run_against(target, [suite_script("pop3/transaction/list-all.mhs", "10s")])
    assert result.verdict is Verdict.PASSED, result.reason
    assert (
        "[prepare-" in result.transcript and "C: MAIL FROM:<mailharness-seed@" in result.transcript
    )


async def test_the_checked_in_baseline_holds_against_dovecot_and_postfix(
    real_stack: RealStack, tmp_path: Path
) -> None:
    target_file = tmp_path / "dovecot.toml"
    # The stack's load accounts widen the pool, so cases run in parallel.
    load_accounts = tuple(Account(f"load{i}@example.test", "pass") for i in range(1, 25))
    write_target(replace(real_target(real_stack), accounts=ACCOUNTS + load_accounts), target_file)
    options = ConformOptions(
        target=str(target_file),
        suites=[SUITES],
        out=tmp_path / "run",
        quiet=True,
        jobs=4,
        baseline=BASELINE,
    )
    assert await trio.to_thread.run_sync(conform, options) == 0
