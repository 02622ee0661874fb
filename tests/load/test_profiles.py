"""Load profiles: the shipped ones parse and are bounded; errors name file and key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from harness.load.profile import ProfileError, Stage, load_profile, parse_profile, with_overrides
from harness.load.slo import LatencyGate
from harness.mail.sizes import SIZE_MIX

PROFILES = Path(__file__).resolve().parents[2] / "loadtests" / "profiles"
SHIPPED = ("smoke", "steady", "ramp", "spike", "soak")
MINIMAL = {"users": [{"kind": "smtp"}]}


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_profiles_parse_and_are_bounded(name: str) -> None:
    profile = load_profile(PROFILES / f"{name}.toml")
    assert profile.name == name
    assert 0 < profile.duration <= profile.max_duration
    assert profile.max_messages > 0 and profile.grace > 0
    assert {"lost", "duplicated", "corrupted"} <= {gate for gate, _ in profile.slo.counts}


def test_short_profiles_stay_short() -> None:
    assert load_profile(PROFILES / "smoke.toml").duration <= 15
    assert load_profile(PROFILES / "steady.toml").duration <= 60
    soak = load_profile(PROFILES / "soak.toml")
    assert soak.max_duration <= 2 * 3600


def test_a_profile_without_stages_is_one_steady_stage() -> None:
    data = {"run": {"duration": "2m", "users": 5, "rate": 10}, **MINIMAL}
    profile = parse_profile(data, source="p.toml")
    assert profile.stages == (Stage(120.0, 5, 5.0, 10.0),)
    assert profile.open_loop and profile.sizes == SIZE_MIX
    assert profile.users[0].service == "smtp" and not profile.users[0].auth


def test_stages_accumulate_and_shape_the_population() -> None:
    data = {
        "stages": [{"duration": "10s", "users": 4}, {"duration": "5s", "users": 10}],
        "users": [
            {"kind": "smtp", "name": "mx", "weight": 3},
            {"kind": "smtp", "name": "sub", "service": "submission"},
            {"kind": "imap", "count": 2},
        ],
    }
    profile = parse_profile(data, source="p.toml")
    assert [stage.end for stage in profile.stages] == [10.0, 15.0]
    assert profile.population(profile.stages[1]) == {"imap": 2.0, "mx": 6.0, "sub": 2.0}
    assert profile.peak("smtp") == 8 and profile.peak("imap") == 2
    assert profile.user("sub").auth


def test_overrides_scale_stages_and_respect_the_cap() -> None:
    data = {
        "run": {"max_duration": "40s"},
        "stages": [{"duration": "10s", "users": 5}, {"duration": "10s", "users": 10}],
        **MINIMAL,
    }
    profile = parse_profile(data, source="p.toml")
    scaled = with_overrides(profile, users=20, rate=30, duration=40)
    assert [(s.end, s.users, s.rate) for s in scaled.stages] == [(20.0, 10, 30.0), (40.0, 20, 30.0)]
    with pytest.raises(ProfileError, match="max_duration"):
        with_overrides(profile, duration=41)


@pytest.mark.parametrize(
    ("data", "where"),
    [
        ({"users": [{"kind": "smtp", "colour": "red"}]}, "users[0].colour"),
        ({"users": [{"kind": "ftp"}]}, "users[0].kind"),
        ({"users": [{"kind": "pop3", "service": "imap"}]}, "users[0].service"),
        ({"run": {"duration": "soon"}, **MINIMAL}, "run.duration"),
        ({"run": {"duration": "1h", "max_duration": "10m"}, **MINIMAL}, "run.max_duration"),
        ({"users": [{"kind": "imap", "move": 0.8, "expunge": 0.5}]}, "users[0].expunge"),
        ({"slo": {"latency": {"SMTP DATA end": "1s"}}, **MINIMAL}, "slo.latency.SMTP DATA end"),
        ({"slo": {"delivery": "1s"}, **MINIMAL}, "slo.delivery"),
        ({"users": [{"kind": "smtp"}, {"kind": "smtp"}]}, "users[1].name"),
        ({}, "users"),
    ],
)
def test_errors_name_the_file_and_key(data: dict[str, object], where: str) -> None:
    with pytest.raises(ProfileError, match=re.escape(f"p.toml: {where}:")):
        parse_profile(data, source="p.toml")


def test_slo_gates_parse() -> None:
    data = {
        "slo": {
            "error_rate": 0.01,
            "lost": 3,
            "delivery_p99": "2s",
            "latency": {"SMTP DATA end p95": "500ms", "* p99.9": 2},
        },
        **MINIMAL,
    }
    slo = parse_profile(data, source="p.toml").slo
    assert slo.latency == (
        LatencyGate("SMTP DATA end", 95.0, 500.0),
        LatencyGate("*", 99.9, 2000.0),
    )
    assert slo.error_rate == 0.01 and slo.delivery == ((99.0, 2.0),)
    assert dict(slo.counts) == {"lost": 3, "duplicated": 0, "corrupted": 0}
