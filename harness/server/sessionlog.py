"""The server's session log: one structured line per session and per message.

Lines are ``key=value`` pairs (values with spaces are quoted), written to the
``harness.server.session`` logger at INFO, so they are quiet by default and
shown by ``mailharness serve -v``:

    session id=pop3-7 service=pop3 peer=127.0.0.1:50122 tls=TLSv1.3 user=alice@example.test result=quit duration=0.041
    message id=smtp-3 action=delivered from=bob@example.test to=alice@example.test size=1412 result=ok

Protocol transcripts (each line as ``C:``/``S:`` with the escapes of the
script syntax) go to ``harness.server.transcript`` at DEBUG; a session only
records them when that logger is enabled, so they cost nothing otherwise.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager

import trio

from harness.net.stream import Direction, TranscriptHook
from harness.server.listeners import ClientInfo
from harness.transcript import escape_text, split_lines

SESSION_LOGGER = logging.getLogger("harness.server.session")
TRANSCRIPT_LOGGER = logging.getLogger("harness.server.transcript")


class SessionRecord:
    """One session's who/what/result, filled in by its protocol handler."""

    def __init__(self, session_id: str, service: str, client: ClientInfo) -> None:
        self.id = session_id
        self.service = service
        self.peer = f"{client.peer_host}:{client.peer_port}"
        self.tls: str | None = client.tls  # set again after STARTTLS / STLS
        self.user: str | None = None  # the authenticated account
        self.result = "closed"  # how it ended: "quit", "timeout", "refused", ...
        self.started = time.monotonic()

    def message(self, action: str, **fields: object) -> None:
        """Log one line about one message (delivered, retrieved, deleted, relayed...)."""
        if not SESSION_LOGGER.isEnabledFor(logging.INFO):
            return  # quiet by default: formatting is not free at thousands of messages/s
        SESSION_LOGGER.info(
            "message %s", format_fields(id=self.id, action=action, user=self.user, **fields)
        )

    def transcript_hook(self) -> TranscriptHook | None:
        """A hook for ``ProtocolStream`` while transcripts are wanted, else None."""
        if not TRANSCRIPT_LOGGER.isEnabledFor(logging.DEBUG):
            return None
        return self._record_transcript

    def _record_transcript(self, direction: Direction, data: bytes, timestamp: float) -> None:
        side = "C" if direction is Direction.RECEIVED else "S"
        for line in split_lines(data):
            TRANSCRIPT_LOGGER.debug("%s %s: %s", self.id, side, escape_text(line))

    def summary(self) -> str:
        return format_fields(
            id=self.id,
            service=self.service,
            peer=self.peer,
            tls=self.tls,
            user=self.user,
            result=self.result,
            duration=f"{time.monotonic() - self.started:.3f}",
        )


class SessionLog:
    """Hands out session records with ids unique within the server's run."""

    def __init__(self) -> None:
        self._counter = itertools.count(1)

    @contextmanager
    def session(self, service: str, client: ClientInfo) -> Iterator[SessionRecord]:
        """A record for one session; its line is logged when the block ends, however."""
        record = SessionRecord(f"{service}-{next(self._counter)}", service, client)
        try:
            yield record
        except BaseException as exc:
            record.result = _ending(exc)
            raise
        finally:
            SESSION_LOGGER.info("session %s", record.summary())


def _ending(exc: BaseException) -> str:
    if isinstance(exc, trio.Cancelled):
        return "cancelled"
    return f"error:{type(exc).__name__}"


def format_fields(**fields: object) -> str:
    """``key=value`` pairs; None values are left out, values with spaces quoted."""
    parts = []
    for key, value in fields.items():
        if value is None:
            continue
        text = str(value)
        if not text or any(ch.isspace() or ch in '"=' for ch in text):
            text = '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
        parts.append(f"{key}={text}")
    return " ".join(parts)
