"""IDLE (RFC 2177, RFC 9051 §6.3.13): "+ idling", then live updates until DONE.

While the client idles, one task waits for its DONE line and another relays
the selected mailbox's change feed as untagged EXISTS, EXPUNGE and FETCH
the moment a commit lands (RFC 2177 §3: "the server is now free to send
untagged EXISTS and EXPUNGE responses at any time"). A relay in progress
finishes before the tagged OK goes out, so responses never interleave.
"""

from __future__ import annotations

import trio

from harness.net.stream import PeerClosed
from harness.protocols.imap import Continuation, Idle, IdleDone
from harness.server.imap.base import Done, Session
from harness.server.imap.selected.updates import announce
from harness.server.imap.selected.view import SelectedMailbox

SEND_TIMEOUT = 60.0  # a client that stops reading cannot hold the relay forever


async def idle(s: Session, command: Idle) -> Done:
    await s.send_now(Continuation("idling"))
    view = s.selected
    if view is not None:
        view.content.clear()  # an idling session may idle for hours: hold no messages
    async with trio.open_nursery() as nursery:
        if view is not None:
            nursery.start_soon(_relay_changes, s, view)
        ending = await _wait_for_done(s)
        nursery.cancel_scope.cancel()
    if isinstance(ending, Exception):
        raise ending
    return Done("IDLE terminated")


async def _wait_for_done(s: Session) -> IdleDone | Exception:
    """The client's DONE, or what ended the wait (returned, so the nursery
    above does not wrap it in an exception group)."""
    try:
        event = await s.stream.next_event()
    except Exception as exc:  # a line other than DONE, EOF, idle timeout, a dead socket
        return exc
    if isinstance(event, IdleDone):
        return event
    return PeerClosed("the client left during IDLE")


async def _relay_changes(s: Session, view: SelectedMailbox) -> None:
    while True:
        batches = await view.feed.receive()
        with trio.CancelScope(shield=True):
            try:
                with trio.fail_after(SEND_TIMEOUT):
                    await announce(s, expunge=True, waited=batches)
                    await s.flush()
            except (trio.TooSlowError, trio.BrokenResourceError, trio.ClosedResourceError):
                await trio.aclose_forcefully(s.stream.stream)  # the reader sees it closed
                return
