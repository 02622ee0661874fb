"""The POP3 state table, in one place, used by both roles.

States (RFC 1939 §3): AUTHORIZATION after the greeting, TRANSACTION after a
successful login, UPDATE after QUIT from TRANSACTION. GREETING (nothing sent
yet) and CLOSED (the session is over) bracket them.

Phases inside a state, each a small object elsewhere:

* SASL (``server``/``client``): after an ``AuthChallenge`` the next client line
  is an ``AuthLine``, not a command (RFC 5034 §4).
* STLS (``stls``): after ``+OK`` to STLS nothing is read until ``start_tls()``.
* multi-line (``multiline``): after ``+OK`` to the commands in ``MULTILINE``
  the response continues until "." (RFC 1939 §3); ``-ERR`` never does.

Rules beyond "which command in which state":

* RFC 1939 §7: PASS "may only be given in the AUTHORIZATION state immediately
  after a successful USER command".
* RFC 2595 §4: STLS is refused once TLS is active.
* RFC 6856 §2: after +OK to UTF8, arguments may carry UTF-8.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace

from harness.protocols.pop3.events import (
    Apop,
    Auth,
    AuthLine,
    Capa,
    Command,
    Dele,
    Lang,
    List,
    Noop,
    Pass,
    Quit,
    Retr,
    Rset,
    Stat,
    Stls,
    Top,
    Uidl,
    User,
    Utf8,
)


class State(enum.Enum):
    GREETING = "GREETING"
    AUTHORIZATION = "AUTHORIZATION"
    TRANSACTION = "TRANSACTION"
    UPDATE = "UPDATE"
    CLOSED = "CLOSED"


class Body(enum.Enum):
    """What a multi-line response carries."""

    SCAN = "scan listing"  # LIST
    UNIQUE_ID = "unique-id listing"  # UIDL
    CAPABILITY = "capability list"  # CAPA
    LANGUAGE = "language listing"  # LANG
    MESSAGE = "message"  # RETR, TOP


ALLOWED: dict[State, frozenset[type[Command]]] = {
    State.AUTHORIZATION: frozenset({User, Pass, Apop, Auth, Stls, Utf8, Capa, Lang, Quit}),
    State.TRANSACTION: frozenset({Stat, List, Retr, Dele, Noop, Rset, Top, Uidl, Capa, Lang, Quit}),
}

# A positive reply to these commands moves the session on.
AFTER_OK: dict[tuple[State, type[Command]], State] = {
    (State.AUTHORIZATION, Pass): State.TRANSACTION,
    (State.AUTHORIZATION, Apop): State.TRANSACTION,
    (State.AUTHORIZATION, Auth): State.TRANSACTION,
}


# What follows +OK to these commands; their argument forms (LIST msg, UIDL msg,
# LANG tag) answer on the status line alone (RFC 1939 §5, §7; RFC 6856 §3).
MULTILINE: dict[type[Command], Body] = {
    List: Body.SCAN,
    Uidl: Body.UNIQUE_ID,
    Capa: Body.CAPABILITY,
    Lang: Body.LANGUAGE,
    Retr: Body.MESSAGE,
    Top: Body.MESSAGE,
}


def multiline_body(command: Command) -> Body | None:
    """What follows ``+OK`` to ``command`` (None: a single line, e.g. LIST msg)."""
    body = MULTILINE.get(type(command))
    if body is None:
        return None
    if isinstance(command, List | Uidl) and command.msg is not None:
        return None
    if isinstance(command, Lang) and command.language is not None:
        return None
    return body


@dataclass
class Session:
    """Where a POP3 session is; both cores move it with the same three calls."""

    state: State = State.GREETING
    tls: bool = False
    utf8: bool = False
    user_accepted: bool = False  # the last command was a successful USER

    def copy(self) -> Session:
        return replace(self)

    def refusal(self, command: Command) -> str | None:
        """Why ``command`` may not be given now, or None if it may."""
        allowed = ALLOWED.get(self.state, frozenset())
        if type(command) not in allowed:
            return f"{command.keyword} is not allowed in the {self.state.value} state"
        if isinstance(command, Pass) and not self.user_accepted:
            return "PASS must follow a successful USER (RFC 1939 section 7)"
        if isinstance(command, Stls) and self.tls:
            return "TLS is already active (RFC 2595 section 4)"
        return None

    def greeted(self, positive: bool) -> None:
        self.state = State.AUTHORIZATION if positive else State.CLOSED

    def on_command(self, command: Command) -> None:
        """A command was given (before its reply)."""
        if not isinstance(command, Pass):
            self.user_accepted = False
        if isinstance(command, Quit) and self.state is State.TRANSACTION:
            self.state = State.UPDATE  # RFC 1939 §6

    def on_reply(self, command: Command | AuthLine, positive: bool) -> None:
        """The final reply to ``command`` was sent or received."""
        if isinstance(command, AuthLine):
            command = Auth("")  # the exchange's outcome is the AUTH command's
        if isinstance(command, Quit):
            self.state = State.CLOSED
            return
        self.user_accepted = positive and isinstance(command, User)
        if positive:
            self.state = AFTER_OK.get((self.state, type(command)), self.state)
            self.utf8 = self.utf8 or isinstance(command, Utf8)
