"""``requires = ["TLS-REQUIRED"]``: no keyword advertises that a service takes
no mail without TLS (RFC 3207 §4), so the probe observes it: MAIL before
STARTTLS refused with 530 while no AUTH is offered before TLS."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from harness.conformance.campaign import probe_target
from harness.conformance.capabilities import ServiceProbe, missing_requirement
from harness.conformance.model import SessionState
from harness.report import Capabilities
from harness.server.app import running_server
from harness.server.config import default_config
from harness.targets import TLSMode

pytestmark = pytest.mark.timeout(60)


async def observed(tmp_path: Path, *, require_tls_for_auth: bool) -> dict[str, set[str]]:
    config = dataclasses.replace(default_config(), require_tls_for_auth=require_tls_for_auth)
    async with running_server(config, data_dir=tmp_path / "data") as running:
        probes = await probe_target(running.target())
    return {name: probe.observed for name, probe in probes.items()}


async def test_submission_that_requires_tls_is_observed(tmp_path: Path) -> None:
    seen = await observed(tmp_path, require_tls_for_auth=True)
    assert seen["submission"] == {"TLS-REQUIRED"}
    assert seen["smtp"] == set()  # the MX takes mail in plaintext (RFC 3207 §4 MUST NOT require)
    assert seen["smtps"] == set()  # implicit TLS: there is no "before TLS"


async def test_530_that_asks_only_for_auth_is_not_tls_required(tmp_path: Path) -> None:
    """MAIL gets "530 5.7.0 Authentication required" (RFC 4954 §6), but AUTH is
    offered in plaintext: mail can be submitted without TLS."""
    seen = await observed(tmp_path, require_tls_for_auth=False)
    assert seen["submission"] == set()


def test_the_skip_reason_says_what_was_not_observed() -> None:
    probe = ServiceProbe(banner="220 mx", capabilities=Capabilities(before_tls=["STARTTLS"]))
    args = (probe, "submission", "smtp", TLSMode.STARTTLS, SessionState.GREETED)
    reason = missing_requirement(("STARTTLS", "TLS-REQUIRED"), *args)
    assert reason == (
        "submission does not require TLS (MAIL before STARTTLS was not refused with 530,"
        " or AUTH is offered without TLS)"
    )
    probe.observed.add("TLS-REQUIRED")
    assert missing_requirement(("STARTTLS", "tls-required"), *args) is None
