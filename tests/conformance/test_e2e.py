"""End to end across a relay pair: Alice -> Bob byte for byte, and the bounce back to Alice.

The reference target brings its own relay peer (b.test); a target file names
one with ``[relay] target = FILE``. A next hop that swallows mail (accepts
it, delivers nothing, bounces nothing) must make both kinds of case fail,
and a target without a peer must skip them with the reason.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import trio

from harness.commands.conform import ConformOptions, conform
from harness.conformance.campaign import run_conformance
from harness.conformance.message_case import MessageCase
from harness.conformance.reference import (
    PEER_DOMAIN,
    first_server_config,
    free_port,
    open_target,
    peer_server_config,
    relay_pair,
)
from harness.conformance.selection import collect_scripts, select
from harness.report import Verdict, read_report
from harness.server.app import running_server
from harness.server.config import default_config
from harness.targets import Relay, Target, load_target, write_target
from tests.conformance.fake_smtp import FakeSMTP

SUITES = Path(__file__).resolve().parents[2] / "suites"


def e2e_cases(keyword: str | None = None, deliver_within: float | None = None) -> list[MessageCase]:
    cases = [
        c for c in select(collect_scripts([SUITES / "e2e"]), keyword) if isinstance(c, MessageCase)
    ]
    assert cases
    if deliver_within is not None:  # a lost message is declared lost sooner
        cases = [dataclasses.replace(c, deliver_within=deliver_within) for c in cases]
    return cases


async def test_alice_to_bob_and_the_bounce_pass_against_the_reference_pair() -> None:
    async with open_target("reference") as target:
        assert target.relay is not None and target.relay.peer is not None
        assert target.relay.domain == PEER_DOMAIN
        report = await run_conformance(target, e2e_cases(), jobs=4)
    verdicts = {case.id: (case.verdict, case.reason) for case in report.cases}
    assert all(verdict is Verdict.PASSED for verdict, _ in verdicts.values()), verdicts
    assert {"SMTP-RELAY-AUTH-ALLOW/alice-to-bob", "SMTP-RELAY-AUTH-ALLOW/bob-replies"} <= set(
        verdicts
    )
    bounce = next(c for c in report.cases if c.id.startswith("SMTP-BOUNCE-NULL-SENDER/"))
    assert "Return-Path: <>" in bounce.transcript  # Alice read a real notification
    relay = next(c for c in report.cases if c.id == "SMTP-RELAY-AUTH-ALLOW/alice-to-bob")
    assert "[peer-imap-" in relay.transcript and "[peer-pop3-" in relay.transcript


async def test_a_target_file_names_its_relay_peer(tmp_path: Path) -> None:
    async with relay_pair(tmp_path / "servers", default_config()) as target:
        assert target.relay is not None and target.relay.peer is not None
        write_target(target.relay.peer, tmp_path / "b.toml")
        relay = dataclasses.replace(target.relay, peer=None, peer_file="b.toml")
        write_target(dataclasses.replace(target, relay=relay), tmp_path / "a.toml")
        loaded = load_target(tmp_path / "a.toml")
        assert loaded.relay is not None and loaded.relay.peer is not None
        assert loaded.relay.peer.accounts[0].user == "bob@b.test"
        options = ConformOptions(
            target=str(tmp_path / "a.toml"),
            suites=[SUITES / "e2e"],
            out=tmp_path / "run",
            quiet=True,
            capture="off",
        )
        assert await trio.to_thread.run_sync(conform, options) == 0
    report = read_report(tmp_path / "run" / "report.json")
    assert {case.verdict for case in report.cases} == {Verdict.PASSED}


@pytest.fixture
async def black_hole_relay(tmp_path: Path, nursery: trio.Nursery) -> AsyncIterator[Target]:
    """Alice's server relays b.test to a next hop that says 250 to everything and keeps nothing."""
    sink = FakeSMTP()
    await nursery.start(sink.serve)
    config = default_config()
    smtp_port = free_port()
    async with running_server(peer_server_config(config, tmp_path / "peer", smtp_port)) as peer:
        first = first_server_config(config, tmp_path / "first", smtp_port, sink.port)
        async with running_server(first) as running:
            relay = Relay(PEER_DOMAIN, "127.0.0.1", sink.port, peer=peer.target())
            yield dataclasses.replace(running.target(), relay=relay)


async def test_a_relay_that_loses_mail_is_caught(black_hole_relay: Target) -> None:
    cases = e2e_cases("alice-to-bob-8bit or unknown-user-at-peer", deliver_within=1.0)
    report = await run_conformance(black_hole_relay, cases, jobs=2)
    assert len(report.cases) == 2
    for case in report.cases:
        assert case.verdict is Verdict.FAILED, case.reason
        assert "did not arrive" in case.reason


async def test_without_a_relay_peer_the_cases_are_skipped_with_the_reason() -> None:
    async with open_target("reference", relay_peer=False) as target:
        report = await run_conformance(target, e2e_cases(), jobs=2)
        assert {c.verdict for c in report.cases} == {Verdict.SKIPPED}
        assert all("no relay peer" in c.reason for c in report.cases)
        named = dataclasses.replace(target, relay=Relay("b.test"))
        report = await run_conformance(named, e2e_cases("bob-replies"))
        (case,) = report.cases
        assert case.verdict is Verdict.SKIPPED
        assert case.reason == "the target's [relay] names no peer target to read b.test mail on"


async def test_the_pytest_plugin_runs_message_cases_as_items() -> None:
    command = [
        sys.executable,
        "-m",
        "pytest",
        str(SUITES / "fidelity"),
        str(SUITES / "e2e"),
        "-k",
        "lone-dot-line or bob-replies or unknown-user",
        "-q",
        "-p",
        "no:cacheprovider",
    ]
    done = await trio.run_process(command, capture_stdout=True, capture_stderr=True, check=False)
    output = done.stdout.decode()
    assert done.returncode == 0, output + done.stderr.decode()
    assert "3 passed" in output
