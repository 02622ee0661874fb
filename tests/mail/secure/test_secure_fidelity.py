"""Secure kinds through the reference server: each copy still verifies, and a damaging
server is caught by the signature check (the fidelity cases' ``Kind.verify`` hook)."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import trio

from harness.conformance.campaign import run_conformance
from harness.conformance.message_case import MessageCase
from harness.conformance.selection import collect_scripts
from harness.report import Verdict
from harness.server.app import RunningServer, running_server
from harness.server.config import default_config
from tests.conformance.faulty_proxy import FaultyProxy
from tests.conformance.test_fidelity import proxied, strip_trailing_blanks, unchanged
from tests.mail.secure.conftest import SECURE_KINDS

HEADER = """\
check = "fidelity"
id = "XP-SIGNED-E2E"
title = "Signed and encrypted messages read back intact and still verify"
rfc = "RFC 1847"
section = "2.1"
level = "MUST"
service = "submission"
read = ["imap", "pop3"]
trace_fields = ["Return-Path", "Received", "Delivered-To"]
"""


def secure_cases(directory: Path, kinds: list[str]) -> list[MessageCase]:
    entries = "".join(
        f'\n[[cases]]\nname = "{kind}"\ncorpus = "{kind}"\ntitle = "{kind}"\n' for kind in kinds
    )
    (directory / "secure.toml").write_text(HEADER + entries, encoding="utf-8")
    cases = collect_scripts([directory])
    assert len(cases) == len(kinds)
    return [case for case in cases if isinstance(case, MessageCase)]


SUITES = Path(__file__).resolve().parents[3] / "suites"


def test_the_fidelity_suite_reads_back_every_secure_kind() -> None:
    """suites/fidelity has one XP-SIGNED-E2E case per kind, each with its verify hook."""
    cases = [
        case
        for case in collect_scripts([SUITES / "fidelity"])
        if isinstance(case, MessageCase) and case.catalogue_id == "XP-SIGNED-E2E"
    ]
    assert sorted(case.message.kind for case in cases) == sorted(SECURE_KINDS)
    assert all(case.message.verify is not None for case in cases)
    assert all(set(case.read) == {"imap", "pop3"} for case in cases)


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[RunningServer]:
    config = dataclasses.replace(default_config(), require_tls_for_auth=False)
    async with running_server(config, data_dir=tmp_path / "data") as running:
        yield running


async def test_every_secure_kind_survives_the_reference_server(
    server: RunningServer, tmp_path: Path
) -> None:
    report = await run_conformance(server.target(), secure_cases(tmp_path, SECURE_KINDS), jobs=4)
    problems = [f"{c.id}: {c.reason}" for c in report.cases if c.verdict is not Verdict.PASSED]
    assert problems == []
    assert len(report.cases) == len(SECURE_KINDS)


async def test_a_server_that_strips_trailing_blanks_breaks_the_smime_signature(
    server: RunningServer, nursery: trio.Nursery, tmp_path: Path
) -> None:
    proxy = FaultyProxy(server.port("pop3"), unchanged)
    await nursery.start(proxy.serve)
    target = proxied(server.target(), "pop3", proxy.port)
    cases = secure_cases(tmp_path, ["smime-signed"])
    (healthy,) = (await run_conformance(target, cases)).cases
    assert healthy.verdict is Verdict.PASSED, healthy.reason
    proxy.fault = strip_trailing_blanks
    (broken,) = (await run_conformance(target, cases)).cases
    assert broken.verdict is Verdict.FAILED
    assert "signature does not verify" in broken.reason, broken.reason
