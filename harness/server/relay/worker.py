"""The relay worker: the queue's one consumer, a trio task in the server's nursery.

Each pass claims the entries that are due (under a lease, so nothing is sent
twice at once), delivers each to its next hops, then settles it in one
shielded step: the DSN first, if one is owed (RFC 3464, ``notify``), then the
queue entry is completed or deferred for the recipients still waiting. A
crash between the two sends the DSN again rather than never (RFC 5321 §6.1:
duplicates over losses).

Retries (RFC 5321 §4.5.4.1): "the sender MUST delay retrying a particular
destination after one attempt has failed"; the interval grows from
``retry_interval`` by ``retry_backoff`` up to ``max_retry_interval``, and
after ``give_up_after`` from arrival the message "MUST" be returned "with a
notification of failure" to the sender. All configurable ([relay]).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from functools import partial

import trio

from harness.net import Direction, TranscriptHook, client_ssl_context
from harness.server.context import ServerContext
from harness.server.delivery import MailEnvelope, Recipient
from harness.server.relay.bounce import send_dsn
from harness.server.relay.hop import HopSettings, deliver_to_hop
from harness.server.relay.notify import delivery_report
from harness.server.relay.outcome import RecipientResult, Verdict, local_failure
from harness.server.relay.routes import HopPlan, plan_hops
from harness.server.sessionlog import SESSION_LOGGER, TRANSCRIPT_LOGGER, format_fields
from harness.server.store import QueuedMessage, QueueStatus, RetryPolicy
from harness.transcript import escape_text, split_lines

log = logging.getLogger(__name__)

# A bound on attempts whatever the intervals, so the back-off never overflows.
MAX_ATTEMPTS = 1000


def queued_envelope(entry: QueuedMessage) -> MailEnvelope:
    """The queue entry's envelope, its recipients with their NOTIFY and ORCPT."""
    options = entry.options
    recipients = tuple(
        Recipient(
            address,
            None,
            options.for_recipient(address).notify,
            options.for_recipient(address).orcpt,
        )
        for address in entry.recipients
    )
    return MailEnvelope(
        reverse_path=entry.envelope_from,
        recipients=recipients,
        body=options.body,
        smtputf8=options.smtputf8,
        ret=options.ret,
        envid=options.envid,
    )


class RelayWorker:
    """Delivers the relay queue of one server (see the module doc)."""

    def __init__(self, ctx: ServerContext, *, clock: Callable[[], float] = time.time) -> None:
        self.ctx = ctx
        self.settings = ctx.config.relay
        self.clock = clock
        self.policy = RetryPolicy(
            initial=self.settings.retry_interval,
            factor=self.settings.retry_backoff,
            maximum=self.settings.max_retry_interval,
            max_attempts=MAX_ATTEMPTS + 1,  # the worker gives up first, and bounces
        )
        self.hop_settings = HopSettings(
            helo_name=ctx.hostname,
            # Opportunistic TLS (RFC 7435): any certificate beats cleartext.
            ssl_context=client_ssl_context(verify=False, keylog_filename=ctx.config.tls.keylog),
            connect_timeout=self.settings.connect_timeout,
            command_timeout=self.settings.command_timeout,
            data_timeout=self.settings.data_timeout,
        )
        # The lease outlasts the longest attempt, so a live attempt keeps its entry.
        self.lease_seconds = self.settings.attempt_timeout + self.settings.command_timeout
        self._in_flight = 0
        self._wakeup = trio.Event()

    def wake(self) -> None:
        """Look at the queue now rather than at the next poll."""
        self._wakeup.set()

    async def run(
        self, *, task_status: trio.TaskStatus[RelayWorker] = trio.TASK_STATUS_IGNORED
    ) -> None:
        await self._recover()
        async with trio.open_nursery() as nursery:
            task_status.started(self)
            while True:  # the server's lifetime: ends when the server is cancelled
                await self._start_due(nursery)
                with trio.move_on_after(self.settings.queue_poll_interval):
                    await self._wakeup.wait()
                self._wakeup = trio.Event()

    async def _recover(self) -> None:
        """Leases left by a previous run are void; FAILED entries still owe a DSN."""
        released = await self.ctx.store.release_relay_leases()
        if released:
            log.info("relay: %d interrupted deliveries will be retried", released)
        for entry in await self.ctx.store.relay_queue():
            if entry.status is QueueStatus.FAILED:
                failed = local_failure(
                    entry.recipients, Verdict.FAILED, "4.4.7", entry.last_error or "gave up"
                )
                await self._settle(entry, failed, force_final=True)

    async def _start_due(self, nursery: trio.Nursery) -> None:
        room = self.settings.max_parallel - self._in_flight
        if room <= 0:
            return
        due = await self.ctx.store.claim_due_relay(
            now=self.clock(), limit=room, lease_seconds=self.lease_seconds
        )
        for entry in due:
            self._in_flight += 1
            nursery.start_soon(self._attempt, entry)

    async def _attempt(self, entry: QueuedMessage) -> None:
        try:
            content = await self.ctx.store.relay_content(entry.id)
            results = await self.deliver(queued_envelope(entry), content, entry.id)
            with trio.CancelScope(shield=True):  # outcomes are recorded whole or not at all
                await self._settle(entry, results, content=content)
        finally:
            self._in_flight -= 1

    async def deliver(
        self, envelope: MailEnvelope, content: bytes, entry_id: int
    ) -> list[RecipientResult]:
        """One attempt at every recipient; each hop's session runs concurrently."""
        plans, unroutable = plan_hops(envelope.recipients, self.ctx.config.routes)
        results = local_failure(
            [r.address for r in unroutable], Verdict.FAILED, "5.4.4", "no route to that domain"
        )
        settled: dict[str, RecipientResult] = {}
        with trio.move_on_after(self.settings.attempt_timeout):
            async with trio.open_nursery() as nursery:
                for index, plan in enumerate(plans):
                    hook = _transcript_hook(f"relay-{entry_id}.{index + 1}")
                    nursery.start_soon(self._hop, plan, envelope, content, hook, settled)
        for plan in plans:
            unfinished = [r.address for r in plan.recipients if r.address not in settled]
            why = f"{plan.where}: attempt took over {self.settings.attempt_timeout} s"
            results += local_failure(unfinished, Verdict.DEFERRED, "4.4.1", why)
        return results + [settled[address] for address in settled]

    async def _hop(
        self,
        plan: HopPlan,
        envelope: MailEnvelope,
        content: bytes,
        hook: TranscriptHook | None,
        settled: dict[str, RecipientResult],
    ) -> None:
        for result in await deliver_to_hop(plan, envelope, content, self.hop_settings, hook):
            settled[result.recipient] = result

    async def _settle(
        self,
        entry: QueuedMessage,
        results: Sequence[RecipientResult],
        *,
        content: bytes | None = None,
        force_final: bool = False,
    ) -> None:
        now = self.clock()
        give_up_at = entry.enqueued_at + self.settings.give_up_after
        if force_final or now >= give_up_at or entry.attempts + 1 >= MAX_ATTEMPTS:
            results = [_given_up(result) for result in results]
        for result in results:
            _log_result(entry.id, result)
        envelope = queued_envelope(entry)
        report = delivery_report(
            envelope,
            results,
            reporting_mta=self.ctx.hostname,
            arrival=entry.enqueued_at,
            now=now,
            first_deferral=entry.attempts == 0,
            retry_until=give_up_at,
        )
        if report is not None:
            original = (
                content if content is not None else await self.ctx.store.relay_content(entry.id)
            )
            if await send_dsn(self.ctx, report, original, now) == "queued":
                self.wake()
        await self._update_queue(entry, results, now)

    async def _update_queue(
        self, entry: QueuedMessage, results: Sequence[RecipientResult], now: float
    ) -> None:
        waiting = [r for r in results if r.verdict is Verdict.DEFERRED]
        if not waiting:
            await self.ctx.store.complete_relay(entry.id)
            return
        error = "; ".join(result.summary for result in waiting)
        await self.ctx.store.defer_relay(
            entry.id,
            error,
            now=now,
            policy=self.policy,
            remaining_recipients=[result.recipient for result in waiting],
        )


def _given_up(result: RecipientResult) -> RecipientResult:
    """A recipient still deferred when time runs out has failed (RFC 5321 §4.5.4.1).
    RFC 3463 4.4.7: "Delivery time expired"; the last error says why."""
    if result.verdict is not Verdict.DEFERRED:
        return result
    kind, text = result.diagnostic
    return RecipientResult(
        result.recipient,
        Verdict.FAILED,
        "4.4.7",
        (kind, f"{text} (delivery time expired, giving up)"),
        result.remote_mta,
        result.dsn_capable,
    )


def _log_result(entry_id: int, result: RecipientResult) -> None:
    SESSION_LOGGER.info(
        "message %s",
        format_fields(
            id=f"relay-{entry_id}",
            action="relay",
            to=result.recipient,
            hop=result.remote_mta,
            result=result.verdict.value,
            status=result.status,
            detail=result.diagnostic[1],
        ),
    )


def _transcript_hook(session_id: str) -> TranscriptHook | None:
    """C:/S: lines at DEBUG on harness.server.transcript, as the sessions write them
    (here the relay is the client: what it sends is C:)."""
    if not TRANSCRIPT_LOGGER.isEnabledFor(logging.DEBUG):
        return None
    return partial(_record, session_id)


def _record(session_id: str, direction: Direction, data: bytes, timestamp: float) -> None:
    side = "C" if direction is Direction.SENT else "S"
    for line in split_lines(data):
        TRANSCRIPT_LOGGER.debug("%s %s: %s", session_id, side, escape_text(line))


async def serve_relay(
    ctx: ServerContext, *, task_status: trio.TaskStatus[RelayWorker] = trio.TASK_STATUS_IGNORED
) -> None:
    """Run the relay worker until cancelled (the app's background-task contract)."""
    await RelayWorker(ctx).run(task_status=task_status)
