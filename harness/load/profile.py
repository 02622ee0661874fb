"""Load profiles: TOML files that say who does what, how hard, for how long.

A profile names its user kinds (SMTP senders, IMAP readers, POP3 downloaders)
with weights and think times, the load over time as stages (closed loop:
users; open loop: a message arrival rate), the bounds (duration, a cap on
messages, a grace period for deliveries), the message-size mix, the accounts
to use, and SLO gates (``harness.load.slo``). docs/load.md specifies the
format; loadtests/profiles/ holds the shipped ones.

Every run is bounded twice: in time (the stages end, and ``max_duration``
caps any override) and in count (``max_messages``).
"""

from __future__ import annotations

import dataclasses
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.load.capacity import CapacitySpec, parse_capacity
from harness.load.slo import SloSpec, parse_slo
from harness.load.units import parse_duration, parse_size
from harness.mail.sizes import SIZE_MIX, SizeBand
from harness.tomlkeys import SettingsError, TableReader

KINDS = ("smtp", "imap", "pop3")
DEFAULT_SERVICE = {"smtp": "smtp", "imap": "imap", "pop3": "pop3"}
SERVICES = {
    "smtp": ("smtp", "submission", "smtps"),
    "imap": ("imap", "imaps"),
    "pop3": ("pop3", "pop3s"),
}
COMMON_USER_KEYS = ("kind", "name", "weight", "count", "service", "think")
KIND_KEYS = {
    "smtp": ("messages_per_connection", "recipients", "auth"),
    "imap": ("idle", "move", "move_to", "expunge"),
    "pop3": ("mode",),
}
_TOP_KEYS = (
    "name",
    "description",
    "run",
    "users",
    "stages",
    "message",
    "accounts",
    "slo",
    "capacity",
)
_RUN_KEYS = (
    "duration",
    "max_duration",
    "users",
    "spawn_rate",
    "rate",
    "max_messages",
    "grace",
    "seed",
    "timeout",
    "check_delivery",
)


class ProfileError(SettingsError):
    """A profile file is malformed; the message names the file and the key."""


@dataclass(frozen=True)
class UserSpec:
    """One user kind of the profile (a locust user class in the run)."""

    kind: str  # smtp | imap | pop3
    name: str  # unique in the profile: "smtp", "submission-senders"...
    weight: int = 1  # share of the stage's users, among the kinds without a count
    count: int = 0  # > 0: exactly this many, whatever the stage (locust's fixed_count)
    service: str = ""  # the target service it connects to
    think: tuple[float, float] = (0.0, 0.0)  # seconds between tasks, uniform in [lo, hi]
    # smtp
    messages_per_connection: int = 1
    recipients: int = 1
    auth: bool = False
    # imap
    idle: float = 5.0
    move: float = 0.0
    move_to: str = "Archive"
    expunge: float = 1.0
    # pop3
    mode: str = "delete"  # delete | leave


@dataclass(frozen=True)
class Stage:
    """Until ``end`` seconds into the run: ``users`` users (closed loop), spawned at
    ``spawn_rate``/s; ``rate`` > 0 makes the senders open loop at that many messages/s."""

    end: float
    users: int
    spawn_rate: float
    rate: float = 0.0


@dataclass(frozen=True)
class AccountSpec:
    senders: str = "load*"  # fnmatch patterns over the target's account names
    recipients: str = "load*"


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    users: tuple[UserSpec, ...]
    stages: tuple[Stage, ...]
    max_duration: float
    max_messages: int
    grace: float
    seed: int | None
    timeout: float
    sizes: tuple[SizeBand, ...]
    accounts: AccountSpec
    slo: SloSpec
    # False for targets that keep nothing (smtp-sink): no readers, no sweep, no lost count
    check_delivery: bool = True
    capacity: CapacitySpec | None = None  # the [capacity] search, when the profile has one
    source: str = field(default="<memory>", compare=False)

    @property
    def duration(self) -> float:
        return self.stages[-1].end

    @property
    def open_loop(self) -> bool:
        return any(stage.rate > 0 for stage in self.stages)

    def stage_at(self, elapsed: float) -> Stage | None:
        return next((stage for stage in self.stages if elapsed < stage.end), None)

    def user(self, name: str) -> UserSpec:
        return next(spec for spec in self.users if spec.name == name)

    def population(self, stage: Stage) -> dict[str, float]:
        """How many users of each kind ``stage`` runs, as locust dispatches them:
        the fixed counts first, the rest shared by weight."""
        fixed = {spec.name: float(spec.count) for spec in self.users if spec.count}
        free = max(0.0, stage.users - sum(fixed.values()))
        weighted = [spec for spec in self.users if not spec.count]
        total = sum(spec.weight for spec in weighted) or 1
        shares = {spec.name: free * spec.weight / total for spec in weighted}
        return {**fixed, **shares}

    def peak(self, kind: str) -> int:
        """The most users of ``kind`` any stage runs (rounded up)."""
        names = {spec.name for spec in self.users if spec.kind == kind}
        counts = [sum(v for k, v in self.population(s).items() if k in names) for s in self.stages]
        return math.ceil(max(counts, default=0.0) - 1e-9)


def load_profile(path: str | Path) -> Profile:
    file = Path(path)
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ProfileError(f"{file}: cannot read profile: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"{file}: not valid TOML: {exc}") from exc
    return parse_profile(data, source=str(file))


def parse_profile(data: dict[str, Any], *, source: str) -> Profile:
    top = TableReader(data, source=source, error=ProfileError)
    top.reject_unknown(_TOP_KEYS)
    run = top.table_at("run")
    run.reject_unknown(_RUN_KEYS)
    users = tuple(_parse_user(reader) for reader in top.tables("users"))
    if not users:
        raise top.fail("users", "a profile needs at least one [[users]] table")
    _check_unique_names(top, users)
    stages = _parse_stages(top, run)
    max_duration = _duration(run, "max_duration", stages[-1].end)
    if stages[-1].end > max_duration:
        raise run.fail("max_duration", f"the stages last {stages[-1].end:g}s, more than the cap")
    return Profile(
        name=top.string("name", Path(source).stem),
        description=top.optional_string("description") or "",
        users=users,
        stages=stages,
        max_duration=max_duration,
        max_messages=run.integer("max_messages", 100_000, low=1),
        grace=_duration(run, "grace", 10.0),
        seed=run.integer("seed") if run.has("seed") else None,
        timeout=_duration(run, "timeout", 30.0),
        sizes=_parse_sizes(top.table_at("message")),
        accounts=_parse_accounts(top.table_at("accounts")),
        slo=parse_slo(top.table_at("slo")),
        check_delivery=run.boolean("check_delivery", True),
        capacity=parse_capacity(top.table_at("capacity")),
        source=source,
    )


def _duration(table: TableReader, name: str, default: float) -> float:
    if not table.has(name):
        return default
    try:
        return parse_duration(table.table[name])
    except ValueError as exc:
        raise table.fail(name, str(exc)) from None


def _parse_user(table: TableReader) -> UserSpec:
    kind = table.choice("kind", KINDS)
    table.reject_unknown(COMMON_USER_KEYS + KIND_KEYS[kind])
    service = table.choice("service", SERVICES[kind], DEFAULT_SERVICE[kind])
    values: dict[str, Any] = {
        "kind": kind,
        "name": table.string("name", kind),
        "weight": table.integer("weight", 1, low=1),
        "count": table.integer("count", 0, low=0),
        "service": service,
        "think": _think(table),
    }
    values.update(_KIND_PARSERS[kind](table, service))
    return UserSpec(**values)


def _think(table: TableReader) -> tuple[float, float]:
    raw = table.table.get("think", 0)
    items = raw if isinstance(raw, list) else [raw, raw]
    if len(items) != 2:
        raise table.fail("think", "give one duration or [low, high]")
    try:
        low, high = (parse_duration(item) for item in items)
    except ValueError as exc:
        raise table.fail("think", str(exc)) from None
    if high < low:
        raise table.fail("think", "high is below low")
    return low, high


def _smtp_options(table: TableReader, service: str) -> dict[str, Any]:
    return {
        "messages_per_connection": table.integer("messages_per_connection", 1, low=1),
        "recipients": table.integer("recipients", 1, low=1, high=100),
        # MX (port 25) takes mail unauthenticated; submission needs AUTH (RFC 6409 §4.3)
        "auth": table.boolean("auth", service != "smtp"),
    }


def _fraction(table: TableReader, name: str, default: float) -> float:
    value = table.number(name, default)
    if value > 1:
        raise table.fail(name, f"a share between 0 and 1, got {value}")
    return value


def _imap_options(table: TableReader, service: str) -> dict[str, Any]:
    move, expunge = _fraction(table, "move", 0.0), _fraction(table, "expunge", 1.0)
    if move + expunge > 1:
        raise table.fail("expunge", "move + expunge must not exceed 1")
    return {
        "idle": _duration(table, "idle", 5.0),
        "move": move,
        "move_to": table.string("move_to", "Archive"),
        "expunge": expunge,
    }


def _pop3_options(table: TableReader, service: str) -> dict[str, Any]:
    return {"mode": table.choice("mode", ("delete", "leave"), "delete")}


_KIND_PARSERS = {"smtp": _smtp_options, "imap": _imap_options, "pop3": _pop3_options}


def _check_unique_names(top: TableReader, users: tuple[UserSpec, ...]) -> None:
    seen: set[str] = set()
    for index, spec in enumerate(users):
        if spec.name in seen:
            raise top.fail(f"users[{index}].name", f"{spec.name!r} is used twice; name each one")
        seen.add(spec.name)


def _parse_stages(top: TableReader, run: TableReader) -> tuple[Stage, ...]:
    """Explicit [[stages]], or one steady stage from [run] duration/users/rate."""
    default_users = run.integer("users", 1, low=1)
    default_spawn = run.number("spawn_rate", float(default_users))
    default_rate = run.number("rate", 0.0)
    readers = top.tables("stages")
    if not readers:
        end = _duration(run, "duration", 10.0)
        return (Stage(end, default_users, default_spawn, default_rate),)
    if run.has("duration"):
        raise run.fail("duration", "give either [run] duration or [[stages]], not both")
    stages: list[Stage] = []
    end = 0.0
    for reader in readers:
        reader.reject_unknown(("duration", "users", "spawn_rate", "rate"))
        end += _duration(reader, "duration", 0.0) or _fail_zero(reader)
        users = reader.integer("users", default_users, low=0)
        stages.append(
            Stage(
                end,
                users,
                reader.number("spawn_rate", default_spawn),
                reader.number("rate", default_rate),
            )
        )
    return tuple(stages)


def _fail_zero(reader: TableReader) -> float:
    raise reader.fail("duration", "each stage needs a duration above zero")


def _parse_sizes(table: TableReader) -> tuple[SizeBand, ...]:
    table.reject_unknown(("sizes",))
    raw = table.table.get("sizes", "default")
    if raw == "default":
        return SIZE_MIX
    bands = []
    for band in table.tables("sizes"):
        band.reject_unknown(("weight", "min", "max"))
        try:
            low, high = parse_size(band.table.get("min")), parse_size(band.table.get("max"))
        except ValueError as exc:
            raise band.fail("min", str(exc)) from None
        if high < low:
            raise band.fail("max", "max is below min")
        bands.append(SizeBand(band.number("weight", 1.0), low, high))
    if not bands:
        raise table.fail("sizes", 'give "default" or [[message.sizes]] bands')
    return tuple(bands)


def _parse_accounts(table: TableReader) -> AccountSpec:
    table.reject_unknown(("senders", "recipients"))
    return AccountSpec(table.string("senders", "load*"), table.string("recipients", "load*"))


def with_overrides(
    profile: Profile,
    *,
    users: int | None = None,
    rate: float | None = None,
    duration: float | None = None,
) -> Profile:
    """The profile with the command line's --users/--rate/--duration applied.

    --users and --rate scale every stage so the peak is the given value (a
    ramp stays a ramp); --duration scales the stage ends so they finish at
    that time. None of them can pass ``max_duration``.
    """
    stages = list(profile.stages)
    if users is not None:
        peak = max(stage.users for stage in stages) or 1
        stages = [
            dataclasses.replace(s, users=max(1, round(s.users * users / peak))) for s in stages
        ]
    if rate is not None:
        peak_rate = max(stage.rate for stage in stages)
        stages = [
            dataclasses.replace(s, rate=rate * s.rate / peak_rate if peak_rate else rate)
            for s in stages
        ]
    if duration is not None:
        if duration > profile.max_duration:
            raise ProfileError(
                f"{profile.source}: --duration {duration:g}s passes the profile's "
                f"max_duration of {profile.max_duration:g}s"
            )
        factor = duration / profile.duration
        stages = [dataclasses.replace(s, end=s.end * factor) for s in stages]
    return dataclasses.replace(profile, stages=tuple(stages))
