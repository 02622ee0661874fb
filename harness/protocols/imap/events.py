"""The event base class and the events that are neither command nor response.

Every event is a small frozen dataclass. Commands (``Command`` subclasses)
live with their grammar in the ``cmd_*`` modules, grouped by the state the RFC
lists them under; responses live in ``resp_*`` and ``fetch``/``search``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Event:
    """Base of everything ``next_event()`` returns and ``send()`` accepts."""


@dataclass(frozen=True, slots=True)
class ConnectionClosed(Event):
    """The peer closed the connection between units."""


@dataclass(frozen=True, slots=True)
class LiteralRequest(Event):
    """Server role: the client announced a synchronising literal.

    RFC 9051 §7.5: the client waits for the server's "+" before sending the
    octets. Answer with ``Continuation`` to accept, or a ``TaggedResponse``
    (NO/BAD) for ``tag`` to refuse; the client then sends no octets.
    ``command`` is the command's name (``APPEND``, ``LOGIN``...), so a server
    can apply its own size policy; the core has already refused literals of
    commands that are unknown or not valid in the current state.
    """

    tag: str
    size: int
    binary: bool = False
    command: str = ""
