"""What the locustfile imports: user classes made from the profile, the shape,
and the event hooks that tie the processes of a run together.

Importing this module reads the run plan (``MAILHARNESS_LOAD_PLAN``), so it
belongs only in a locust process. ``__all__`` lists the generated classes,
so ``from harness.load.engine.build import *`` in a locustfile gives locust
exactly the users of the profile and the shape.
"""

from __future__ import annotations

import argparse
import re
from typing import Any

from locust import events
from locust.env import Environment
from locust.runners import MasterRunner, WorkerRunner

from harness.load.engine.claims import ACCOUNT, CLAIM, ReaderAccounts
from harness.load.engine.context import RunContext
from harness.load.engine.coordinator import FINAL, FLUSH, Coordinator
from harness.load.engine.shape import ProfileShape
from harness.load.plan import RunPlan
from harness.load.profile import UserSpec
from harness.load.users import IMAPReader, MailUser, POP3Downloader, SMTPSender

BASES: dict[str, type[MailUser]] = {"smtp": SMTPSender, "imap": IMAPReader, "pop3": POP3Downloader}
CONTEXT = RunContext(RunPlan.from_environment())
READERS = ReaderAccounts(CONTEXT)


def user_class(spec: UserSpec) -> type[MailUser]:
    """A concrete locust user class for one [[users]] table."""
    words = re.split(r"[^A-Za-z0-9]+", spec.name)
    name = "".join(word.capitalize() for word in words if word) + "User"
    attributes = {
        "abstract": False,
        "weight": spec.weight,
        "fixed_count": spec.count,
        "load": CONTEXT,
        "spec": spec,
        "__module__": __name__,
    }
    return type(name, (BASES[spec.kind],), attributes)


class RunShape(ProfileShape):
    abstract = False


USER_CLASSES = [user_class(spec) for spec in CONTEXT.profile.users]
globals().update({cls.__name__: cls for cls in USER_CLASSES})
__all__ = ["RunShape", *(cls.__name__ for cls in USER_CLASSES)]


@events.init_command_line_parser.add_listener
def _options(parser: argparse.ArgumentParser, **_: Any) -> None:
    parser.add_argument("--mh-run-id", default="", help="mailharness: the run id (from the master)")


@events.init.add_listener
def _wire(environment: Environment, **_: Any) -> None:
    runner = environment.runner
    environment.events.request.add_listener(CONTEXT.recorder.on_request)
    environment.events.test_start.add_listener(_begin)
    if isinstance(runner, WorkerRunner):
        environment.events.report_to_master.add_listener(_report_to_master)
        runner.register_message(FLUSH, _flush, concurrent=True)
        runner.register_message(ACCOUNT, READERS.on_account)
        CONTEXT.claim_reader = lambda: READERS.claim_remote(environment)
        return
    coordinator = Coordinator(CONTEXT, environment)
    RunShape.coordinator = coordinator
    environment.events.quitting.add_listener(coordinator.on_quitting)
    if isinstance(runner, MasterRunner):
        environment.events.worker_report.add_listener(coordinator.on_worker_report)
        runner.register_message(FINAL, coordinator.on_final)
        runner.register_message(CLAIM, READERS.on_claim)


def _begin(environment: Environment, **_: Any) -> None:
    options = environment.parsed_options
    run_id = getattr(options, "mh_run_id", "") if options else ""
    runner = environment.runner
    if isinstance(runner, WorkerRunner):
        processes = int(getattr(options, "expect_workers", 1) or 1)
        CONTEXT.begin(run_id, runner.worker_index, processes)
    else:
        CONTEXT.begin(run_id, 0, 1)
        if RunShape.coordinator is not None:
            RunShape.coordinator.begin()


def _report_to_master(client_id: str, data: dict[str, Any]) -> None:
    data["mailharness"] = CONTEXT.recorder.drain()


def _flush(environment: Environment, msg: Any, **_: Any) -> None:
    runner = environment.runner
    assert runner is not None
    runner.send_message(FINAL, CONTEXT.recorder.drain())
