"""The load result schema: JSON round trip, SLO verdicts, the terminal summary."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from harness.load.aggregate import Aggregator
from harness.load.finish import RunFacts, build_result
from harness.load.metrics import Recorder
from harness.load.profile import parse_profile
from harness.load.result import SCHEMA, LoadResult, read_result, write_result
from harness.load.summary import render_summary

PROFILE = {
    "users": [{"kind": "smtp"}],
    "slo": {
        "error_rate": 0.5,
        "delivery_p95": "1s",
        "latency": {"SMTP DATA end p95": "20ms", "* p99": "50ms", "SMTP AUTH p50": "1s"},
    },
}


def sample_result(lost: bool = False) -> LoadResult:
    recorder = Recorder()
    for value in (2.0, 3.0, 4.0, 30.0):
        recorder.on_request("SMTP", "SMTP DATA end", value, 3000)
    recorder.on_request("SMTP", "SMTP RCPT", 1.0, 0)
    recorder.message_sent(2)
    recorder.message_acknowledged("load-r1/u1-1", ["a@x"], 1000.0)
    recorder.message_acknowledged("load-r1/u1-2", ["a@x"], 1000.0)
    recorder.message_seen("load-r1/u1-1", "a@x", "pop3:1", 1000.4, True, "pop3")
    if not lost:
        recorder.message_seen("load-r1/u1-2", "a@x", "pop3:2", 1000.2, True, "pop3")
    aggregator = Aggregator("r1")
    aggregator.merge(recorder.drain())
    return build_result(aggregator, sample_facts(settled=not lost))


def sample_facts(settled: bool = True) -> RunFacts:
    now = datetime(2024, 5, 1, tzinfo=UTC)
    return RunFacts(
        run_id="r1",
        profile=parse_profile(PROFILE, source="p.toml"),
        profile_path="p.toml",
        target="reference",
        started=now,
        finished=now,
        load_seconds=2.0,
        started_epoch=999.0,
        processes=1,
        requests_by_process={"local": 5},
        peak_users=1,
        complete=True,
        settled=settled,
    )


def test_the_result_survives_json(tmp_path: Path) -> None:
    result = sample_result()
    write_result(result, tmp_path / "load.json")
    again = read_result(tmp_path / "load.json")
    assert again == result and again.schema == SCHEMA
    document = json.loads((tmp_path / "load.json").read_text())
    document["a_field_from_the_future"] = 1
    assert LoadResult.from_json(document) == result


def test_numbers_and_verdicts() -> None:
    result = sample_result()
    data_end = result.command("SMTP DATA end")
    assert data_end is not None and data_end.requests == 4 and data_end.octets == 12000
    # HDR reports a value's bucket (3 significant digits: within 0.1 %)
    assert data_end.p50_ms == pytest.approx(3.0, rel=1e-3)
    assert data_end.max_ms == pytest.approx(30.0, rel=1e-3)
    assert result.requests_per_s == 2.5 and result.messages_per_s == 1.0
    assert result.delivery.delivered == 2
    assert result.delivery.latency_max_s == pytest.approx(0.4, rel=1e-3)
    verdicts = {v.gate: v for v in result.slo}
    assert not verdicts["SMTP DATA end p95"].passed
    assert verdicts["SMTP DATA end p95"].actual == pytest.approx(30.0, rel=1e-3)
    assert verdicts["* p99 (worst: SMTP DATA end)"].passed
    assert verdicts["SMTP AUTH p50"].actual is None and not verdicts["SMTP AUTH p50"].passed
    assert verdicts["delivery p95"].passed and verdicts["lost"].passed
    assert not result.passed


def test_lost_messages_are_named_and_fail_the_gate() -> None:
    result = sample_result(lost=True)
    assert result.delivery.lost == 1 and result.delivery.lost_ids == ["load-r1/u1-2 -> a@x"]
    assert not {v.gate: v for v in result.slo}["lost"].passed


def test_the_summary_shows_every_part() -> None:
    text = render_summary(sample_result(lost=True), width=160)
    for part in ("latency per command", "SMTP DATA end", "delivery and integrity", "SLO gates"):
        assert part in text
    assert "load-r1/u1-2 -> a@x" in text and "load run failed" in text


def test_a_run_without_any_request_says_the_users_never_worked() -> None:
    empty = build_result(Aggregator("r2"), replace(sample_facts(), requests_by_process={}))
    text = render_summary(empty, width=160)
    assert "load run failed" in text and "made no request at all" in text
