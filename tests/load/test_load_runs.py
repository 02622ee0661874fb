"""Load runs end to end: the real CLI, real locust, real servers on loopback."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from harness.load.result import LoadResult, read_result
from harness.load.runner import free_port, run_load
from harness.report import read_report
from tests.load.conftest import LOSSY, REPO, RUN_TIMEOUT, TINY, LossyServer, run_load_cli

CORE_COMMANDS = ("SMTP EHLO", "SMTP RCPT", "SMTP DATA end", "IMAP FETCH headers", "POP3 RETR")


def assert_clean_delivery(result: LoadResult) -> None:
    delivery = result.delivery
    assert delivery.acknowledged > 0
    assert delivery.delivered == delivery.acknowledged
    assert (delivery.lost, delivery.duplicated, delivery.corrupted) == (0, 0, 0)
    assert delivery.seen_by_readers > 0
    assert delivery.latency_p95_s is not None and delivery.latency_p95_s < 5
    assert delivery.settled


def assert_percentiles(result: LoadResult) -> None:
    for name in CORE_COMMANDS:
        stats = result.command(name)
        assert stats is not None and stats.requests > 0, name
        assert stats.p50_ms is not None and stats.p99_ms is not None and stats.max_ms is not None
        assert 0 < stats.p50_ms <= stats.p99_ms <= stats.max_ms


def test_tiny_profile_against_the_reference_server(tmp_path: Path) -> None:
    outcome = run_load_cli(str(TINY), "--target", "reference", out_dir=tmp_path / "run")
    assert outcome.exit_code == 0, outcome.stdout + outcome.stderr
    result = outcome.result
    assert result.complete and result.passed
    assert result.target == "reference"
    assert_percentiles(result)
    assert_clean_delivery(result)
    assert result.messages_per_s > 0 and result.timeline
    assert "latency per command" in outcome.stdout and "load run passed" in outcome.stdout
    report = read_report(outcome.out_dir / "report.json")
    assert report.load == result.to_json() and not report.cases
    assert report.meta.target.name == "reference" and "smtp" in report.meta.target.ports


def test_two_processes_merge_into_one_result(reference_target: Path, tmp_path: Path) -> None:
    outcome = run_load_cli(
        str(TINY), "--target", str(reference_target), "--processes", "2", out_dir=tmp_path / "run"
    )
    assert outcome.exit_code == 0, outcome.stdout + outcome.stderr
    result = outcome.result
    assert result.processes == 2
    by_process = result.requests_by_process
    assert len(by_process) == 2 and all(count > 0 for count in by_process.values())
    assert sum(by_process.values()) == result.requests
    assert_percentiles(result)
    assert_clean_delivery(result)


def start_cli(*args: str, output: int | None = subprocess.DEVNULL) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "harness.cli", "load", *args]
    return subprocess.Popen(
        command, cwd=REPO, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT
    )


def test_master_and_two_workers_on_loopback(reference_target: Path, tmp_path: Path) -> None:
    port = str(free_port())
    common = (str(TINY), "--target", str(reference_target), "--master-port", port)
    master = start_cli(
        *common, "--master", "--expect-workers", "2", "--out", str(tmp_path / "master"), "--quiet",
        output=subprocess.PIPE,
    )  # fmt: skip
    workers = [
        start_cli(*common, "--worker", "--out", str(tmp_path / f"worker{n}")) for n in (1, 2)
    ]
    output, _ = master.communicate(timeout=RUN_TIMEOUT)
    assert [worker.wait(30) for worker in workers] == [0, 0]
    assert master.returncode == 0, output.decode()
    result = read_result(tmp_path / "master" / "load.json")
    assert result.processes == 2 and len(result.requests_by_process) == 2
    assert all(count > 0 for count in result.requests_by_process.values())
    assert_percentiles(result)
    assert_clean_delivery(result)


def test_a_failed_slo_gate_sets_the_exit_status(reference_target: Path, tmp_path: Path) -> None:
    profile = tmp_path / "strict.toml"
    strict = TINY.read_text().replace(
        '"SMTP DATA end p95" = "2s"', '"SMTP DATA end p50" = "0.001ms"'
    )
    profile.write_text(strict)
    outcome = run_load_cli(
        str(profile), "--target", str(reference_target), out_dir=tmp_path / "run"
    )
    assert outcome.exit_code == 1, outcome.stdout + outcome.stderr
    verdicts = {verdict.gate: verdict for verdict in outcome.result.slo}
    assert not verdicts["SMTP DATA end p50"].passed
    assert verdicts["lost"].passed and verdicts["error_rate"].passed
    assert "load run failed: SMTP DATA end p50" in outcome.stdout


def test_a_lossy_server_is_reported_as_losing_messages(
    lossy_server: LossyServer, tmp_path: Path
) -> None:
    outcome = run_load_cli(
        str(LOSSY), "--target", str(lossy_server.target), out_dir=tmp_path / "run"
    )
    assert outcome.exit_code == 1, outcome.stdout + outcome.stderr
    delivery = outcome.result.delivery
    assert lossy_server.dropped > 0
    assert delivery.lost == lossy_server.dropped
    assert delivery.acknowledged == delivery.delivered + delivery.lost
    assert (delivery.duplicated, delivery.corrupted) == (0, 0)
    assert len(delivery.lost_ids) == min(delivery.lost, 20)
    verdicts = {verdict.gate: verdict for verdict in outcome.result.slo}
    assert not verdicts["lost"].passed and verdicts["lost"].actual == lossy_server.dropped


def test_max_messages_ends_the_run_early(reference_target: Path, tmp_path: Path) -> None:
    """The count bound, through the library entry point ``run_load``."""
    profile = tmp_path / "counted.toml"
    counted = TINY.read_text().replace('duration = "3s"', 'duration = "25s"')
    profile.write_text(counted.replace("max_messages = 200", "max_messages = 12"))
    started = time.monotonic()
    result = run_load(profile, str(reference_target), out_dir=tmp_path / "run")
    assert time.monotonic() - started < 20
    assert result.complete and result.duration_s < 10
    assert 0 < result.delivery.sent <= 12
    assert_clean_delivery(result)


def test_open_loop_holds_the_arrival_rate(reference_target: Path, tmp_path: Path) -> None:
    outcome = run_load_cli(
        str(TINY), "--target", str(reference_target), "--rate", "25", "--duration", "4s",
        out_dir=tmp_path / "run",
    )  # fmt: skip
    assert outcome.exit_code == 0, outcome.stdout + outcome.stderr
    result = outcome.result
    assert result.open_loop
    assert 18 <= result.messages_per_s <= 32  # paced, not as fast as the server allows
