"""The process that writes the result: the local runner, or the master.

Workers' observations arrive two ways, both carrying ``Recorder.drain()``
snapshots: piggybacked on locust's periodic worker report (every 3 s, for
the progress display), and as the answer to a final "mh_flush" message once
the load has stopped. A drained snapshot is never sent twice, so merging
both is exact. Then the settle phase sweeps for outstanding deliveries, and
the result is written; if locust quits first (the hard time cap, Ctrl-C), a
result marked incomplete is written on the way out.
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import gevent
from locust.env import Environment
from locust.runners import MasterRunner

from harness.load.aggregate import Aggregator
from harness.load.engine.context import RunContext
from harness.load.finish import RunFacts, build_result
from harness.load.result import write_result
from harness.load.sweep import Sweeper

log = logging.getLogger("mailharness.load")
FLUSH = "mh_flush"
FINAL = "mh_final"


class Coordinator:
    def __init__(self, context: RunContext, environment: Environment) -> None:
        self.context = context
        self.environment = environment
        self.aggregator = Aggregator(context.run_id)
        self.workers: set[str] = set()
        self.requests_by_process: Counter[str] = Counter()
        self.finals: set[str] = set()
        self.started = datetime.now(UTC)
        self.started_epoch = time.time()
        self.load_seconds: float | None = None
        self.peak_users = 0
        self.phase = "starting"
        self.written = False
        self.warnings: list[str] = []

    @property
    def distributed(self) -> bool:
        return isinstance(self.environment.runner, MasterRunner)

    def begin(self) -> None:
        self.aggregator.run_id = self.context.run_id
        self.started, self.started_epoch = datetime.now(UTC), time.time()
        self.phase = "load"

    # -- observations --------------------------------------------------------------

    def on_worker_report(self, client_id: str, data: dict[str, Any]) -> None:
        self.workers.add(client_id)
        snapshot = data.get("mailharness")
        if snapshot:
            self._merge(client_id, snapshot)

    def on_final(self, environment: Environment, msg: Any, **_: Any) -> None:
        self.workers.add(msg.node_id)
        self.finals.add(msg.node_id)
        self._merge(msg.node_id, msg.data)

    def _merge(self, source: str, snapshot: dict[str, Any]) -> None:
        self.aggregator.merge(snapshot)
        self.requests_by_process[source] += sum(
            c["requests"] for c in snapshot["commands"].values()
        )

    def heartbeat(self) -> None:
        """Each shape tick: take in local observations, note users, show progress."""
        if not self.distributed:
            self._merge("local", self.context.recorder.drain())
        runner = self.environment.runner
        if runner is not None:
            self.peak_users = max(self.peak_users, runner.user_count)
        self.write_progress()

    def budget_spent(self) -> bool:
        return self.aggregator.messages >= self.context.profile.max_messages

    # -- the end of the run ------------------------------------------------------------

    def finish(self, load_seconds: float) -> None:
        self.load_seconds = load_seconds
        self.phase = "stopping"
        self.write_progress()
        runner = self.environment.runner
        assert runner is not None
        runner.stop()  # every user stops (and logs out) before the final flush
        self._collect_finals()
        self.phase = "settling"
        self.write_progress()
        settled = self._settle()
        self.phase = "done"
        self.write(complete=True, settled=settled)

    def _collect_finals(self) -> None:
        runner = self.environment.runner
        assert runner is not None
        if not self.distributed:
            self._merge("local", self.context.recorder.drain())
            return
        assert isinstance(runner, MasterRunner)
        expected = self.workers | {client.id for client in runner.clients.all}
        for client_id in expected:
            runner.send_message(FLUSH, None, client_id=client_id)
        deadline = time.monotonic() + self.context.plan.settle_timeout
        while not expected <= self.finals and time.monotonic() < deadline:
            self.write_progress()
            gevent.sleep(0.1)
        missing = expected - self.finals
        if missing:
            self.warnings.append(f"no final metrics from worker(s) {', '.join(sorted(missing))}")

    def _settle(self) -> bool:
        if not self.context.profile.check_delivery:
            return True  # the profile looks for nothing (a sink target): nothing to settle
        sweeper = Sweeper(self.context.target, self.context.run_id, self.context.profile.timeout)
        if not sweeper.possible:
            self.warnings.append("the target has no IMAP or POP3 service: deliveries not checked")
            return False
        settled = sweeper.settle(self.aggregator, self.context.profile.grace)
        self.warnings.extend(sweeper.failures)
        return settled

    def on_quitting(self, environment: Environment, **_: Any) -> None:
        """locust is exiting: if the run never finished, write what there is."""
        if self.written or not self.phase or self.phase == "starting":
            return
        if not self.distributed:
            self._merge("local", self.context.recorder.drain())
        self.warnings.append(
            f"the run was stopped during its {self.phase} phase (time cap or interrupt): "
            "'lost' counts deliveries nobody looked for"
        )
        self.write(complete=False, settled=False)

    def write(self, *, complete: bool, settled: bool) -> None:
        elapsed = time.time() - self.started_epoch
        facts = RunFacts(
            run_id=self.context.run_id,
            profile=self.context.profile,
            profile_path=self.context.plan.profile_path,
            target=self.context.target.name,
            started=self.started,
            finished=datetime.now(UTC),
            load_seconds=self.load_seconds if self.load_seconds is not None else elapsed,
            started_epoch=self.started_epoch,
            processes=max(1, len(self.workers)) if self.distributed else 1,
            requests_by_process=dict(self.requests_by_process),
            peak_users=self.peak_users,
            complete=complete,
            settled=settled,
            warnings=self.warnings,
        )
        result = build_result(self.aggregator, facts)
        if self.context.plan.record_connections:
            self._write_connections()
        write_result(result, self.context.plan.result_path)
        self.written = True
        self.write_progress()

    def _write_connections(self) -> None:
        """The clients' per-connection octet counts, for the runner's capture check."""
        path = self.context.plan.connections_path
        path.write_text(json.dumps(self.aggregator.connections), encoding="utf-8")

    def write_progress(self) -> None:
        runner = self.environment.runner
        progress = {
            "phase": self.phase,
            "elapsed": round(time.time() - self.started_epoch, 1),
            "duration": self.context.profile.duration,
            "users": runner.user_count if runner is not None else 0,
            "workers": len(self.workers),
            **self.aggregator.progress(),
        }
        path = self.context.plan.progress_path
        partial = path.with_name(f".{path.name}.partial")
        try:
            partial.write_text(json.dumps(progress), encoding="utf-8")
            partial.replace(path)
        except OSError as exc:  # the display is a nicety; never fail the run over it
            log.debug("cannot write progress: %s", exc)
