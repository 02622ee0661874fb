"""The run plan: what ``mailharness load`` hands to the locust process it starts.

The plan travels as a JSON file named by the ``MAILHARNESS_LOAD_PLAN``
environment variable, because the locustfile is imported by locust, not
called: every locust process (local, master, each worker) reads it at import
to build its user classes. The run id, which stamps every message, is the
master's: it reaches workers as a locust option (``--mh-run-id``), so a
worker started by hand on another machine joins the master's run.
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass
from pathlib import Path

from harness.load.profile import Profile, load_profile, with_overrides
from harness.targets import Target, load_target

ENV_VAR = "MAILHARNESS_LOAD_PLAN"
RESULT_FILE = "load.json"
PROGRESS_FILE = "progress.json"
CONNECTIONS_FILE = "connections.json"


@dataclass(frozen=True)
class RunPlan:
    profile_path: str
    target_path: str
    out_dir: str
    run_id: str
    seed: int
    users: int | None = None  # --users
    rate: float | None = None  # --rate
    duration: float | None = None  # --duration
    processes: int = 1  # load-generating processes the run expects
    settle_timeout: float = 15.0  # how long the master waits for workers' final metrics
    record_connections: bool = False  # --capture: the clients' per-connection octet counts
    keylog: str | None = None  # --capture: the TLS key log beside the pcap

    def profile(self) -> Profile:
        profile = load_profile(self.profile_path)
        return with_overrides(profile, users=self.users, rate=self.rate, duration=self.duration)

    def target(self) -> Target:
        return load_target(self.target_path)

    @property
    def result_path(self) -> Path:
        return Path(self.out_dir) / RESULT_FILE

    @property
    def connections_path(self) -> Path:
        return Path(self.out_dir) / CONNECTIONS_FILE

    @property
    def progress_path(self) -> Path:
        return Path(self.out_dir) / PROGRESS_FILE

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(dataclasses.asdict(self), indent=2) + "\n", encoding="utf-8")

    @classmethod
    def read(cls, path: str | Path) -> RunPlan:
        return cls(**json.loads(Path(path).read_text(encoding="utf-8")))

    @classmethod
    def from_environment(cls) -> RunPlan:
        path = os.environ.get(ENV_VAR)
        if not path:
            raise RuntimeError(
                f"{ENV_VAR} is not set: start load runs with 'mailharness load PROFILE' "
                "(see docs/load.md for running the locustfile by hand)"
            )
        return cls.read(path)
