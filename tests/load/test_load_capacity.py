"""Capacity search: the rates it tries, its settings, and a search that finds a break."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.load.capacity import MAX_STEPS, CapacitySpec, with_options
from harness.load.profile import ProfileError, load_profile, parse_profile
from harness.tomlkeys import SettingsError
from tests.load.conftest import HERE, LossyServer, run_load_cli

CAPACITY = HERE / "profiles" / "capacity.toml"
MINIMAL = {"users": [{"kind": "smtp"}]}


def test_rates_step_from_start_to_max_and_end_on_max() -> None:
    assert CapacitySpec(10, 10, 40).rates() == [10, 20, 30, 40]
    assert CapacitySpec(10, 15, 50).rates() == [10, 25, 40, 50]
    assert CapacitySpec(5, 1, 5).rates() == [5]


def test_the_profile_table_and_the_command_line_combine() -> None:
    spec = load_profile(CAPACITY).capacity
    assert spec == CapacitySpec(1, 3, 7, 2.0)
    assert with_options(spec, step=2) == CapacitySpec(1, 2, 7, 2.0)
    assert with_options(None, start=20) == CapacitySpec(20, 20, 200)
    with pytest.raises(SettingsError, match="give --start"):
        with_options(None)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"start": 10, "max": 5}, "below start"),
        ({"start": 1, "step": 1, "max": 1000}, f"at most {MAX_STEPS}"),
        ({"start": 1, "max": 5, "rate": 3}, "capacity.rate: unknown key"),
        ({"start": 1, "max": 5, "step_duration": "soon"}, "capacity.step_duration"),
    ],
)
def test_a_bad_capacity_table_names_the_problem(table: dict[str, object], message: str) -> None:
    with pytest.raises(ProfileError, match=message):
        parse_profile({**MINIMAL, "capacity": table}, source="p.toml")


def test_the_search_stops_at_the_first_rate_that_loses_mail(
    lossy_server: LossyServer, tmp_path: Path
) -> None:
    out = tmp_path / "search"
    outcome = run_load_cli(
        str(CAPACITY), "--target", str(lossy_server.target), "--capacity", out_dir=out
    )
    assert outcome.exit_code == 0, outcome.stdout + outcome.stderr  # a rate held
    capacity = outcome.result.capacity
    assert capacity is not None
    held, broke = capacity.steps
    assert held.rate == 1 and held.passed and held.failed_gates == []
    assert broke.rate == 4 and not broke.passed and "lost" in broke.failed_gates
    assert capacity.highest_passing_rate == 1 and capacity.stopped_by == "slo"
    assert outcome.result.passed  # the search's result is the rate that held
    step = json.loads((out / broke.out_dir / "load.json").read_text())
    assert step["delivery"]["lost"] == lossy_server.dropped > 0
    page = (out / "index.html").read_text()
    assert "Capacity search" in page and "Highest rate that held: <strong>1 messages/s" in page
