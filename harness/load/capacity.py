"""Capacity search settings: which open-loop rates to try, and for how long each.

The SPECmail idea: offer the server a message arrival rate, check the SLO
gates, and step the rate up until a gate breaks; the capacity is the highest
rate that held. In a profile:

    [capacity]
    start = 10              # messages/s of the first step
    step = 10               # added at each step
    max = 200               # the last rate tried, if nothing breaks before
    step_duration = "20s"   # each step's load phase (default: the profile's duration)

or on the command line: ``--capacity [--start R --step R --max R]`` (which
override the table). ``harness.load.capacity_search`` runs the steps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from harness.load.units import parse_duration
from harness.tomlkeys import SettingsError, TableReader

MAX_STEPS = 50  # every search is bounded: at most this many runs
_KEYS = ("start", "step", "max", "step_duration")


@dataclass(frozen=True)
class CapacitySpec:
    start: float  # messages/s
    step: float
    max: float
    step_duration: float | None = None  # seconds; None: the profile's own duration

    def rates(self) -> list[float]:
        """start, start + step, ... up to max (the last one may be max itself)."""
        count = math.floor((self.max - self.start) / self.step + 1e-9) + 1
        rates = [round(self.start + index * self.step, 6) for index in range(count)]
        if rates[-1] < self.max - 1e-9:
            rates.append(self.max)
        return rates

    def check(self) -> None:
        """SettingsError unless the search is well-formed and bounded."""
        if self.start <= 0 or self.step <= 0:
            raise SettingsError("capacity: start and step must be above zero")
        if self.max < self.start:
            raise SettingsError(f"capacity: max {self.max:g} is below start {self.start:g}")
        steps = len(self.rates())
        if steps > MAX_STEPS:
            raise SettingsError(
                f"capacity: {steps} steps from {self.start:g} to {self.max:g} by {self.step:g}; "
                f"at most {MAX_STEPS} (raise step or start)"
            )


def parse_capacity(table: TableReader) -> CapacitySpec | None:
    """The profile's [capacity] table, or None when it has none."""
    if not table.table:
        return None
    table.reject_unknown(_KEYS)
    start = table.number("start")
    duration = None
    if table.has("step_duration"):
        try:
            duration = parse_duration(table.table["step_duration"])
        except ValueError as exc:
            raise table.fail("step_duration", str(exc)) from None
    spec = CapacitySpec(start, table.number("step", start), table.number("max"), duration)
    try:
        spec.check()
    except SettingsError as exc:
        raise table.fail("start", str(exc).removeprefix("capacity: ")) from None
    return spec


def with_options(
    spec: CapacitySpec | None,
    *,
    start: float | None = None,
    step: float | None = None,
    max_rate: float | None = None,
) -> CapacitySpec:
    """The profile's search with the command line's --start/--step/--max applied.

    Without a [capacity] table, --start is required; step defaults to start
    and max to ten steps.
    """
    if spec is None:
        if start is None:
            raise SettingsError(
                "--capacity: the profile has no [capacity] table; give --start (and --step, --max)"
            )
        step = step or start
        spec = CapacitySpec(start, step, max_rate or start + 9 * step)
    else:
        spec = CapacitySpec(
            start if start is not None else spec.start,
            step if step is not None else spec.step,
            max_rate if max_rate is not None else spec.max,
            spec.step_duration,
        )
    spec.check()
    return spec
