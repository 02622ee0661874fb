"""``ProfileShape``: the profile's stages as a locust LoadTestShape.

Each tick (once a second, on the master or the local runner) returns the
current stage's user count and spawn rate. When the stages are over, or the
run has sent ``max_messages``, the tick runs the end of the run itself (stop
the users, gather the final metrics, settle, write the result) and returns
None, which makes locust quit: a run always stops by itself.
"""

from __future__ import annotations

from typing import ClassVar

from locust import LoadTestShape

from harness.load.engine.coordinator import Coordinator


class ProfileShape(LoadTestShape):
    abstract = True  # the locustfile makes the concrete one, bound to its coordinator
    coordinator: ClassVar[Coordinator | None] = None

    def tick(self) -> tuple[int, float] | None:
        coordinator = self.coordinator
        assert coordinator is not None
        coordinator.heartbeat()
        elapsed = self.get_run_time()
        stage = coordinator.context.profile.stage_at(elapsed)
        if stage is not None and not coordinator.budget_spent():
            return stage.users, stage.spawn_rate
        coordinator.finish(load_seconds=elapsed)
        return None
