"""The IMAP state machine, in one place (RFC 9051 §3, figure in §3.5).

    not authenticated --LOGIN/AUTHENTICATE OK, PREAUTH--> authenticated
    authenticated     --SELECT/EXAMINE OK--> selected
    selected          --CLOSE/UNSELECT OK, SELECT/EXAMINE NO--> authenticated
    any state         --LOGOUT OK, BYE--> logout

Three tables: which states accept each command (RFC 9051 §6 groups commands
by state: §6.1 any, §6.2 not authenticated, §6.3 authenticated, §6.4
selected), where a tagged completion moves the connection, and which
commands open a sub-dialogue (a phase) during which nothing else is read.
Both roles use the same tables: the server as it answers, the client as it
reads the answers.
"""

from __future__ import annotations

import enum


class State(enum.Enum):
    NOT_AUTHENTICATED = "not authenticated"
    AUTHENTICATED = "authenticated"
    SELECTED = "selected"
    LOGOUT = "logout"


_ANY = frozenset({State.NOT_AUTHENTICATED, State.AUTHENTICATED, State.SELECTED})
_NOT_AUTH = frozenset({State.NOT_AUTHENTICATED})
_AUTH = frozenset({State.AUTHENTICATED, State.SELECTED})
_SELECTED = frozenset({State.SELECTED})

COMMAND_STATES: dict[str, frozenset[State]] = {
    # RFC 9051 §6.1 (and ID, RFC 2971 §3: "in any state")
    "CAPABILITY": _ANY,
    "NOOP": _ANY,
    "LOGOUT": _ANY,
    "ID": _ANY,
    # §6.2
    "STARTTLS": _NOT_AUTH,
    "AUTHENTICATE": _NOT_AUTH,
    "LOGIN": _NOT_AUTH,
    # §6.3 (authenticated commands stay valid when a mailbox is selected)
    "ENABLE": _AUTH,
    "SELECT": _AUTH,
    "EXAMINE": _AUTH,
    "CREATE": _AUTH,
    "DELETE": _AUTH,
    "RENAME": _AUTH,
    "SUBSCRIBE": _AUTH,
    "UNSUBSCRIBE": _AUTH,
    "LIST": _AUTH,
    "LSUB": _AUTH,
    "NAMESPACE": _AUTH,
    "STATUS": _AUTH,
    "APPEND": _AUTH,
    "IDLE": _AUTH,
    # §6.4 (and every UID command)
    "CHECK": _SELECTED,
    "CLOSE": _SELECTED,
    "UNSELECT": _SELECTED,
    "EXPUNGE": _SELECTED,
    "SEARCH": _SELECTED,
    "FETCH": _SELECTED,
    "STORE": _SELECTED,
    "COPY": _SELECTED,
    "MOVE": _SELECTED,
}

TRANSITIONS: dict[tuple[str, str], State] = {
    ("LOGIN", "OK"): State.AUTHENTICATED,
    ("AUTHENTICATE", "OK"): State.AUTHENTICATED,
    ("SELECT", "OK"): State.SELECTED,
    ("EXAMINE", "OK"): State.SELECTED,
    # RFC 3501 §6.3.1: "if a mailbox is selected and a SELECT command that
    # fails is attempted, no mailbox is selected."
    ("SELECT", "NO"): State.AUTHENTICATED,
    ("EXAMINE", "NO"): State.AUTHENTICATED,
    ("CLOSE", "OK"): State.AUTHENTICATED,
    ("UNSELECT", "OK"): State.AUTHENTICATED,
    ("LOGOUT", "OK"): State.LOGOUT,
}

UNTAGGED_TRANSITIONS: dict[str, State] = {
    "PREAUTH": State.AUTHENTICATED,
    "BYE": State.LOGOUT,
}

PHASE_COMMANDS = frozenset({"IDLE", "AUTHENTICATE", "STARTTLS"})
"""After these, nothing more is read until the server answers: IDLE's "+"
lets only DONE follow, AUTHENTICATE's "+" lets only SASL lines follow, and
what follows STARTTLS belongs to TLS (RFC 9051 §6.2.1)."""


def allowed(command: str, state: State) -> bool:
    return state in COMMAND_STATES.get(command, frozenset())


def after_completion(command: str, status: str, state: State) -> State:
    """The state once the tagged ``status`` for ``command`` is sent or read."""
    if state is State.LOGOUT:
        return state
    return TRANSITIONS.get((command, status), state)
