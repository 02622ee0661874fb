"""The connections of one message case, on one server or two, and how a journey ends.

A ``Crew`` hands out a ``Courier`` per server (``Stage``) and cleans the
accounts a journey uses; ``run_journey`` bounds the whole journey in time,
turns what went wrong into a verdict (``JourneyFailed``: failed;
``SetupFailed``, ``ConnectFailed``, over budget: error), closes every
connection, and puts all of them (the cleaning ones too) into the outcome's
transcripts.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import trio

from harness.conformance.dialogue import SetupFailed
from harness.conformance.journey import Courier, JourneyFailed, Stage
from harness.conformance.mailbox import Preparer
from harness.conformance.outcome import Outcome
from harness.conformance.session import ConnectFailed
from harness.report import Verdict
from harness.targets import Account
from harness.transcript import Transcript

PREPARE_S = 60.0  # cleaning the accounts of one case


class Crew:
    def __init__(self, budget_s: float) -> None:
        self.deadline = trio.current_time() + budget_s
        self._couriers: dict[str, Courier] = {}
        self._preparers: dict[str, Preparer] = {}

    def courier(self, stage: Stage) -> Courier:
        if stage.name not in self._couriers:
            self._couriers[stage.name] = stage.courier(self.deadline)
        return self._couriers[stage.name]

    async def clean(self, stage: Stage, account: Account) -> None:
        """Empty ``account`` on ``stage``'s server (mailbox.Preparer)."""
        if stage.name not in self._preparers:
            deadline = min(self.deadline, trio.current_time() + PREPARE_S)
            self._preparers[stage.name] = Preparer(stage.target, stage.context, deadline)
        await self._preparers[stage.name].clean(account)

    @property
    def transcripts(self) -> dict[str, Transcript]:
        found: dict[str, Transcript] = {}
        for name, preparer in self._preparers.items():
            found.update({f"{name}-{s.name}": s.transcript for s in preparer.sessions})
        for courier in self._couriers.values():
            found.update(courier.transcripts)
        return found

    async def close(self) -> None:
        with trio.CancelScope(shield=True):
            for courier in self._couriers.values():
                await courier.close_all()
            for preparer in self._preparers.values():
                for session in preparer.sessions:
                    await session.aclose()


Journey = Callable[[Crew], Awaitable[Outcome]]


async def run_journey(budget_s: float, journey: Journey) -> Outcome:
    """Run ``journey`` within ``budget_s``; never raises for the servers' faults."""
    crew = Crew(budget_s)
    try:
        with trio.move_on_at(crew.deadline) as scope:
            outcome = await journey(crew)
        if scope.cancelled_caught:
            outcome = Outcome(Verdict.ERROR, f"the case ran over its time budget of {budget_s:g} s")
    except JourneyFailed as failure:
        outcome = Outcome(Verdict.FAILED, str(failure), failure.expected, failure.received)
    except (ConnectFailed, SetupFailed) as error:
        outcome = Outcome(Verdict.ERROR, f"setup failed: {error}")
    finally:
        await crew.close()
    outcome.transcripts = crew.transcripts
    return outcome
