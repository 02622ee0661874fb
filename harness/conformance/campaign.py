"""One conformance run, start to finish: probe the target, run the cases, build the Report.

The CLI (``mailharness conform``, ``mailharness run``) and the pytest plugin
call this; it does no printing. A target none of whose services answers is
``TargetUnreachable``: that is a broken setup (exit status 2), not a
server that fails every case.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import trio

from harness import __version__
from harness.conformance.capabilities import ServiceProbe, discover
from harness.conformance.evidence import RunEvidence
from harness.conformance.message_case import Case
from harness.conformance.runner import RunConfig, run_scripts
from harness.net import client_ssl_context
from harness.report import CaseResult, Machine, Meta, Report, TargetInfo
from harness.targets import Target

CHECKOUT = Path(__file__).resolve().parents[2]


class TargetUnreachable(Exception):
    """No service of the target answered the capability probe."""


async def probe_target(target: Target) -> dict[str, ServiceProbe]:
    """Capabilities of every service; raises TargetUnreachable when none answered.

    Passwords are resolved first: a missing ``password_env`` variable is a
    TargetError before anything connects, not an error in every case.
    """
    for account in target.accounts:
        account.resolve_password()
    context = client_ssl_context(verify=target.tls_verify, ca_file=target.ca_file)
    probes = await discover(target, context)
    if probes and all(probe.banner is None for probe in probes.values()):
        reasons = "; ".join(f"{probe.error}" for probe in probes.values())
        raise TargetUnreachable(f"target {target.name}: no service answered ({reasons})")
    return probes


async def run_conformance(
    target: Target,
    scripts: Sequence[Case],
    *,
    jobs: int = 1,
    suite_paths: Sequence[str] = (),
    command_line: Sequence[str] = (),
    on_result: Callable[[CaseResult], None] | None = None,
    settle_s: float = 2.0,
    evidence: RunEvidence | None = None,
) -> Report:
    """Probe, run every case, build the Report; with ``evidence``, capture and attach traces."""
    started = datetime.now(UTC)
    probes = await probe_target(target)
    context = client_ssl_context(verify=target.tls_verify, ca_file=target.ca_file)
    config = RunConfig(target, context, probes, jobs=jobs, settle_s=settle_s, evidence=evidence)
    if evidence is None:
        cases = await run_scripts(scripts, config, on_result)
    else:
        async with evidence.capturing(capture_ports(target)):
            cases = await run_scripts(scripts, config, on_result)
    meta = Meta(
        tool_version=__version__,
        started=started,
        finished=datetime.now(UTC),
        machine=Machine.current(),
        target=target_info(target, probes),
        git_commit=git_commit(),
        suite_paths=list(suite_paths),
        command_line=list(command_line),
    )
    report = Report(meta=meta, cases=cases)
    if evidence is not None:
        await trio.to_thread.run_sync(evidence.attach, report)
    return report


def capture_ports(target: Target) -> list[int]:
    """Every port the run's connections (the harness's and the servers' relay hops) use."""
    ports = {service.port for service in target.services.values()}
    relay = target.relay
    if relay is not None and relay.sink_port is not None:
        ports.add(relay.sink_port)
    if relay is not None and relay.peer is not None:
        ports |= {service.port for service in relay.peer.services.values()}
    return sorted(ports)


def target_info(target: Target, probes: dict[str, ServiceProbe]) -> TargetInfo:
    return TargetInfo(
        name=target.name,
        host=target.host,
        ports={name: service.port for name, service in target.services.items()},
        banners={name: probe.banner for name, probe in probes.items() if probe.banner is not None},
        capabilities={name: probe.capabilities for name, probe in probes.items()},
    )


def git_commit() -> str | None:
    """The commit of the mailharness checkout that runs, when it is one."""
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=CHECKOUT,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    commit = done.stdout.strip()
    return commit if done.returncode == 0 and len(commit) == 40 else None
