"""The capacity search: step the open-loop arrival rate until an SLO gate breaks.

Each step is a whole, bounded load run (its own folder ``step-NN-RATE/``
with load.json and report.json) at one rate, against the same target: the
reference server is started once for the search. The search stops at the
first step that fails a gate, that the generator could not pace (too many
late starts: the rate measured the generator, not the server), or that did
not complete; else after ``max``. The search's own result is the result of
the highest rate that held (or of the first step, when none held) with a
``capacity`` section listing every step, written to the search's folder.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable

from harness.load.capacity import CapacitySpec
from harness.load.reporting import write_run_report
from harness.load.result import Capacity, CapacityStep, LoadResult, write_result
from harness.load.runner import (
    LoadError,
    LoadOptions,
    LoadRun,
    Progress,
    capture_choice,
    check_options,
    run_on,
    target_file,
)
from harness.targets import Target, load_target

GENERATOR_BOUND = 0.10  # late starts over this share of the offered arrivals
StepDone = Callable[[CapacityStep], None]


def search_capacity(
    options: LoadOptions,
    spec: CapacitySpec,
    progress: Progress | None = None,
    step_done: StepDone | None = None,
) -> LoadRun:
    """Run the steps of ``spec``; the LoadRun of the search (result with ``capacity``)."""
    check_options(dataclasses.replace(options, rate=spec.start, duration=_duration(options, spec)))
    capture = capture_choice(options)
    steps: list[CapacityStep] = []
    runs: list[LoadRun] = []
    stopped_by = "max"
    options.out_dir.mkdir(parents=True, exist_ok=True)
    with target_file(options) as target_path:
        for index, rate in enumerate(spec.rates(), start=1):  # at most MAX_STEPS
            folder = f"step-{index:02d}-{rate:g}"
            step_options = dataclasses.replace(
                options,
                out_dir=options.out_dir / folder,
                rate=rate,
                duration=_duration(options, spec),
            )
            try:
                run = run_on(step_options, target_path, capture, progress)
            except LoadError:
                if not runs:
                    raise
                stopped_by = "incomplete"
                break
            assert run.result is not None
            step = _step(run.result, rate, folder)
            steps.append(step)
            runs.append(run)
            if step_done is not None:
                step_done(step)
            stopped_by = _stop_reason(step)
            if stopped_by:
                break
        else:
            stopped_by = "max"
        return _finish(options, spec, steps, runs, stopped_by, load_target(target_path))


def _duration(options: LoadOptions, spec: CapacitySpec) -> float | None:
    return options.duration if options.duration is not None else spec.step_duration


def _step(result: LoadResult, rate: float, folder: str) -> CapacityStep:
    offered = rate * result.duration_s
    return CapacityStep(
        rate=rate,
        passed=result.passed,
        complete=result.complete,
        messages_per_s=result.messages_per_s,
        late_starts=result.late_starts,
        generator_bound=offered > 0 and result.late_starts > GENERATOR_BOUND * offered,
        error_rate=result.error_rate,
        failed_gates=[verdict.gate for verdict in result.slo if not verdict.passed],
        out_dir=folder,
    )


def _stop_reason(step: CapacityStep) -> str:
    """Why the search ends after ``step``; "" to go on."""
    if not step.complete:
        return "incomplete"
    if not step.passed:
        return "slo"
    if step.generator_bound:
        return "generator"
    return ""


def _finish(
    options: LoadOptions,
    spec: CapacitySpec,
    steps: list[CapacityStep],
    runs: list[LoadRun],
    stopped_by: str,
    target: Target,
) -> LoadRun:
    held = [run for run, step in zip(runs, steps, strict=True) if step.passed]
    best = held[-1] if held else runs[0]
    assert best.result is not None
    result = dataclasses.replace(
        best.result,
        capacity=Capacity(
            start=spec.start,
            step=spec.step,
            max=spec.max,
            step_duration_s=best.result.duration_s,
            steps=steps,
            highest_passing_rate=max((s.rate for s in steps if s.passed), default=None),
            stopped_by=stopped_by,
        ),
    )
    write_result(result, options.out_dir / "load.json")
    write_run_report(result, target, options.out_dir, sys.argv)
    return LoadRun(result, best.locust_exit, options.out_dir, best.log)
