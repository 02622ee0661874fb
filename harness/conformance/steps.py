"""Executing a script's steps against live sessions (suites/README.md, "What the runner does").

``Execution`` walks the steps in file order: opens sessions (connect, implicit
TLS, start state), renders and writes sends, matches expectations against the
responses the decoders framed, upgrades to TLS, and checks closes and
silences. ``parallel:`` blocks run one trio task per session lane, ``sync``
being a barrier. Every wait is bounded by the script's ``timeout`` (or the
directive's own duration).

What goes wrong is one of two exceptions: ``StepFailed`` (the server did not
do what the script requires: verdict failed) or the harness's own
``ConnectFailed`` / ``SetupFailed`` (the case could not be run: verdict error).
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping, Sequence

import trio

from harness.conformance.dialogue import SetupFailed
from harness.conformance.matcher import MatchStatus, match_expectation
from harness.conformance.model import (
    Close,
    Expect,
    ExpectClose,
    ExpectSilence,
    Location,
    Open,
    Parallel,
    Script,
    Send,
    Sleep,
    StartTLS,
    Step,
    Sync,
)
from harness.conformance.session import Session, connect
from harness.conformance.setup import bring_to_state
from harness.conformance.template import UnboundName, render
from harness.targets import Account, Target
from harness.transcript import Direction, Transcript, escape_text, render_line

MIN_SETUP_S = 10.0  # opening a session (connect, TLS, login) gets at least this long
END_GRACE_S = 0.05  # at the end of a script, how long a late extra reply is waited for


class StepFailed(Exception):
    """The server broke the script: the case failed at ``location``."""

    def __init__(
        self,
        location: Location,
        message: str,
        expected: str | None = None,
        received: str | None = None,
    ) -> None:
        super().__init__(message if message.startswith(str(location)) else f"{location}: {message}")
        self.location = location
        self.expected = expected
        self.received = received


def account_variables(accounts: Sequence[Account], host: str) -> dict[str, bytes]:
    """``${user2}``, ``${password2}``, ``${domain2}`` ... for every account, and ``${host}``."""
    variables = {"host": host.encode()}
    for number, account in enumerate(accounts, start=1):
        user = account.user.encode()
        variables[f"user{number}"] = user
        variables[f"password{number}"] = account.resolve_password().encode()
        variables[f"domain{number}"] = user.rpartition(b"@")[2]
    return variables


class ScriptEnded(Exception):
    """``starttls or close`` saw the close: the rest of the script does not apply."""


# What a peer that hung up instead of completing a TLS handshake looks like.
SERVER_CLOSED = (ssl.SSLEOFError, ConnectionResetError, BrokenPipeError)


class Barrier:
    """Every lane of a parallel: block waits at ``sync`` until all have arrived."""

    def __init__(self, parties: int) -> None:
        self.parties = parties
        self.arrived = 0
        self.open = trio.Event()

    async def wait(self) -> None:
        self.arrived += 1
        if self.arrived >= self.parties:
            self.open.set()
        await self.open.wait()


class Execution:
    def __init__(
        self, script: Script, target: Target, accounts: Sequence[Account], context: ssl.SSLContext
    ) -> None:
        self.script = script
        self.target = target
        self.accounts = list(accounts)
        self.context = context
        self.timeout = script.header.timeout
        self.sessions: dict[str, Session] = {}  # open now, by script name
        self.transcripts: dict[str, Transcript] = {}  # every connection, unique names
        self.captures: dict[str, bytes] = {}
        self.base_variables = account_variables(self.accounts, target.host)

    # --- the whole script -------------------------------------------------------

    async def run(self) -> None:
        try:
            for step in self.script.steps:
                await self.step(step)
            for session in self.sessions.values():
                await self.check_quiet_at_end(session)
        except ScriptEnded:
            pass
        finally:
            await self.close_all()

    @property
    def script_end(self) -> Location:
        return Location(self.script.path, _last_line(self.script.steps))

    async def close_all(self) -> None:
        with trio.CancelScope(shield=True):
            for session in list(self.sessions.values()):
                await session.aclose()
        self.sessions.clear()

    async def step(self, step: Step) -> None:
        match step:
            case Open():
                await self.open(step)
            case Send():
                await self.send(step)
            case Expect():
                await self.expect(step)
            case StartTLS():
                await self.start_tls(step)
            case ExpectClose():
                await self.expect_close(step)
            case ExpectSilence():
                await self.expect_silence(step)
            case Sleep():
                await trio.sleep(step.seconds)
            case Close():
                await self.close(step)
            case Parallel():
                await self.parallel(step)
            case Sync():
                raise AssertionError("sync outside parallel: the parser refuses it")

    def session(self, name: str, location: Location) -> Session:
        session = self.sessions.get(name)
        if session is None:  # the parser inserts an Open before every first use
            raise StepFailed(location, f"session {name} is not open here")
        return session

    def variables(self, session: Session) -> Mapping[str, bytes]:
        number = session.account
        own = {
            key: self.base_variables[f"{key}{number}"]
            for key in ("user", "password", "domain")
            if f"{key}{number}" in self.base_variables
        }
        return {**self.base_variables, **own, **self.captures}

    # --- opening and sending ------------------------------------------------------

    async def open(self, step: Open) -> None:
        deadline = trio.current_time() + max(self.timeout, MIN_SETUP_S)
        name = self.unique_name(step.session)
        with trio.move_on_at(deadline):
            session = await connect(
                self.target,
                step.service.value,
                name=step.session,
                account=step.account,
                connection_id=name,
                context=self.context,
            )
            self.transcripts[name] = session.transcript
            self.sessions[step.session] = session
            has_account = step.account <= len(self.accounts)
            account = self.accounts[step.account - 1] if has_account else None
            await bring_to_state(session, step.state, account, self.context, deadline)
            return
        raise SetupFailed(
            f"{step.location}: opening {step.service.value} took over the time allowed"
        )

    def unique_name(self, name: str) -> str:
        candidate, number = name, 1
        while candidate in self.transcripts:
            number += 1
            candidate = f"{name}-{number}"
        return candidate

    async def send(self, step: Send) -> None:
        session = self.session(step.session, step.location)
        variables = self.variables(session)
        data = b""
        for chunk in step.chunks:
            try:
                data += render(chunk.template, variables)
            except (UnboundName, ValueError) as error:
                raise StepFailed(chunk.location, f"cannot render the line: {error}") from None
            data += b"\r\n" if chunk.line_end else b""
        with trio.move_on_after(self.timeout) as scope:
            await session.send(data)
        if scope.cancelled_caught:
            raise StepFailed(
                step.location, f"the server did not take the bytes within {self.timeout:g} s"
            )

    # --- expectations ---------------------------------------------------------------

    async def expect(self, step: Expect) -> None:
        session = self.session(step.session, step.location)
        deadline = trio.current_time() + self.timeout
        while True:  # bounded: each pass reads one more response, until the deadline
            result = match_expectation(step, session.responses, self.variables(session))
            if result.status is MatchStatus.MATCHED:
                session.take(result.consumed)
                self.captures.update(result.captures)
                return
            location = result.location or step.location
            if result.status is MatchStatus.MISMATCH:
                raise StepFailed(location, result.message, result.expected, result.received)
            with trio.move_on_at(deadline) as scope:
                alive = await session.receive()
            if scope.cancelled_caught or not alive:
                why = self.why_no_more(session, scope.cancelled_caught)
                raise StepFailed(
                    location, f"{result.message} ({why})", result.expected, result.received
                )

    def why_no_more(self, session: Session, timed_out: bool) -> str:
        if timed_out:
            why = f"nothing more arrived within {self.timeout:g} s"
        else:
            why = "the server closed the connection"
        partial = session.decoder.buffered
        if partial:
            why += f"; an incomplete response arrived: {escape_text(partial[:200])}"
        if session.write_error:
            why += f"; {session.write_error}"
        return why

    async def check_quiet_at_end(self, session: Session) -> None:
        """Rule 5 at the end of the script: what already came, or comes at once, is judged.

        A short grace period catches a reply the server sent right behind the
        last one the script expected (a second reply to one command).
        """
        with trio.move_on_after(END_GRACE_S):
            while not session.responses and await session.receive():
                pass  # bounded by the grace period
        self.check_nothing_left(session, self.script_end)
        if session.decoder.buffered and not session.server_closed:
            partial = escape_text(session.decoder.buffered[:200])
            raise StepFailed(
                self.script_end, f"[{session.name}] an unexpected partial response: {partial}"
            )

    def check_nothing_left(self, session: Session, location: Location) -> None:
        """suites/README.md rule 5: what the server sent must have been expected."""
        if session.responses:
            first = session.responses[0].lines[0]
            shown = render_line(Direction.SERVER, first)
            raise StepFailed(
                location,
                f"[{session.name}] the server sent a response no expectation consumed: {shown}",
                expected="no further response",
                received=shown,
            )

    async def start_tls(self, step: StartTLS) -> None:
        session = self.session(step.session, step.location)
        self.check_nothing_left(session, step.location)
        early = session.decoder.buffered
        if early:
            raise StepFailed(
                step.location,
                "the server sent bytes after its go-ahead, before the TLS handshake: "
                + escape_text(early[:200]),
            )
        with trio.move_on_after(self.timeout) as scope:
            try:
                await session.start_tls(self.context)
            except trio.BrokenResourceError as error:
                await self.handshake_failed(step, session, error.__cause__ or error)
        if scope.cancelled_caught:
            raise StepFailed(
                step.location, f"the TLS handshake did not finish within {self.timeout:g} s"
            )

    async def handshake_failed(
        self, step: StartTLS, session: Session, cause: BaseException
    ) -> None:
        if isinstance(cause, ssl.SSLCertVerificationError):
            raise SetupFailed(f"certificate not trusted: {cause}")
        if step.close_ok and isinstance(cause, SERVER_CLOSED):
            # "starttls or close": hanging up is an accepted answer (an injection defence).
            session.decoder.receive_data(b"")
            await self.forget(session)
            raise ScriptEnded()
        raise StepFailed(step.location, f"the TLS handshake failed: {cause}")

    async def expect_close(self, step: ExpectClose) -> None:
        session = self.session(step.session, step.location)
        self.check_nothing_left(session, step.location)
        with trio.move_on_after(self.timeout) as scope:
            while await session.receive():  # bounded by the scope
                self.check_nothing_left(session, step.location)
        if scope.cancelled_caught:
            raise StepFailed(
                step.location,
                f"expected the server to close the connection within {self.timeout:g} s; it stayed open",
            )
        await self.forget(session)

    async def expect_silence(self, step: ExpectSilence) -> None:
        session = self.session(step.session, step.location)
        self.check_nothing_left(session, step.location)
        with trio.move_on_after(step.seconds):
            if await session.receive():
                self.check_nothing_left(session, step.location)
        partial = session.decoder.buffered
        if partial:
            raise StepFailed(
                step.location,
                f"expected silence for {step.seconds:g} s, got {escape_text(partial[:200])}",
            )

    async def close(self, step: Close) -> None:
        session = self.session(step.session, step.location)
        self.check_nothing_left(session, step.location)
        await self.forget(session)

    async def forget(self, session: Session) -> None:
        await session.aclose()
        del self.sessions[session.name]

    # --- parallel lanes -----------------------------------------------------------------

    async def parallel(self, step: Parallel) -> None:
        lanes = step.lanes()
        barriers: dict[Location, Barrier] = {}

        async def run_lane(steps: list[Step]) -> None:
            for lane_step in steps:
                if isinstance(lane_step, Sync):
                    barrier = barriers.setdefault(lane_step.location, Barrier(len(lanes)))
                    await barrier.wait()
                else:
                    await self.step(lane_step)

        try:
            async with trio.open_nursery() as nursery:
                for steps in lanes.values():
                    nursery.start_soon(run_lane, steps)
        except BaseExceptionGroup as group:
            # The first failure tells the story; trio cancelled the other lanes.
            raise _first_leaf(group) from None


def _first_leaf(group: BaseExceptionGroup[BaseException]) -> BaseException:
    first = group.exceptions[0]
    return _first_leaf(first) if isinstance(first, BaseExceptionGroup) else first


def _last_line(steps: Sequence[Step]) -> int:
    last = steps[-1]
    if isinstance(last, Parallel) and last.steps:
        return max(_last_line(last.steps), last.location.line)
    return last.location.line
