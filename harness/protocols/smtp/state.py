"""The SMTP session state machine: every sequence rule, in one place.

RFC 5321 §4.1.4 orders the commands: HELO/EHLO, then MAIL, then RCPT (§3.3:
"If there was no MAIL, or no RCPT, command, or all such commands were
rejected, the server MAY return a 'command out of sequence' (503) or 'no
valid recipients' (554) reply"), then DATA or BDAT (RFC 3030). A command
takes effect only when the server accepts it, so transitions are keyed on
(command, first digit of the reply): both roles feed the same table, the
server with the replies it sends, the client with the replies it reads.

* ``ACCEPTS``: which commands each state takes (the rest get 503, or 530
  before TLS where the policy requires TLS: ``BEFORE_TLS``);
* ``_CHECKS``: the rules that depend on what was negotiated (extensions,
  TLS, AUTH, SMTPUTF8, SIZE, recipient limit);
* ``TRANSITIONS``: where each accepted reply leads;
* ``_ON_SUCCESS``: what a 2xx reply settles (the EHLO extensions, the
  transaction's MAIL, the recipient count, authentication).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from harness.protocols.smtp import replies as R
from harness.protocols.smtp.ehlo import parse_ehlo_reply
from harness.protocols.smtp.events import (
    Auth,
    AuthLine,
    Bdat,
    ChunkEnd,
    Data,
    Ehlo,
    Event,
    Expn,
    Helo,
    Help,
    MailFrom,
    MessageEnd,
    Noop,
    Quit,
    RcptTo,
    Reply,
    Rset,
    StartTLS,
    Vrfy,
)
from harness.protocols.smtp.limits import SMTPLimits, SMTPPolicy


class State(enum.Enum):
    CONNECTED = "connected"  # the greeting has not been sent (server) / read (client)
    GREETED = "greeted"  # 220 done; no HELO/EHLO yet (also after STARTTLS)
    REFUSED = "refused"  # 554 greeting: "MUST wait for QUIT" (§3.1), 503 to the rest
    READY = "ready"  # HELO/EHLO accepted, no transaction
    MAIL = "mail"  # MAIL accepted, no recipient yet
    RCPT = "rcpt"  # at least one RCPT accepted
    DATA = "data"  # 354 sent: message text until CRLF.CRLF
    CHUNKING = "chunking"  # a non-LAST BDAT chunk accepted (RFC 3030)
    CHUNK_FAILED = "chunk-failed"  # a BDAT failed: more BDATs get 503 until RSET
    AUTH = "auth"  # 334 sent: a SASL exchange is running (RFC 4954)
    STARTTLS = "starttls"  # 220 to STARTTLS sent: waiting for start_tls()
    CLOSED = "closed"

    # Members are singletons, so identity hashing is exact; Enum's own
    # __hash__ is Python code, and states are hashed on every command.
    __hash__ = object.__hash__


_SESSION = frozenset({Ehlo, Helo, Noop, Rset, Vrfy, Expn, Help, Quit})

ACCEPTS: dict[State, frozenset[type[Event]]] = {
    State.CONNECTED: frozenset(),
    State.GREETED: _SESSION,
    State.REFUSED: frozenset({Quit}),
    State.READY: _SESSION | {MailFrom, StartTLS, Auth},
    State.MAIL: _SESSION | {RcptTo, StartTLS},
    State.RCPT: _SESSION | {RcptTo, Data, Bdat, StartTLS},
    State.CHUNKING: _SESSION | {Bdat},
    State.CHUNK_FAILED: _SESSION,
    State.DATA: frozenset(),
    State.AUTH: frozenset(),
    State.STARTTLS: frozenset(),
    State.CLOSED: frozenset(),
}

# "idle" is READY after HELO/EHLO, else GREETED; it also ends the transaction.
IDLE = "idle"
_AFTER_TEXT: dict[int, State | str] = {2: IDLE, 4: IDLE, 5: IDLE}
# command kind -> {first digit of the reply -> next state}; absent: no change
TRANSITIONS: dict[object, dict[int, State | str]] = {
    Ehlo: {2: State.READY},
    Helo: {2: State.READY},
    MailFrom: {2: State.MAIL},
    RcptTo: {2: State.RCPT},
    Data: {3: State.DATA},
    MessageEnd: _AFTER_TEXT,
    "chunk": {2: State.CHUNKING, 4: State.CHUNK_FAILED, 5: State.CHUNK_FAILED},
    "last-chunk": _AFTER_TEXT,
    Rset: {2: IDLE},
    Quit: {2: State.CLOSED},
    StartTLS: {2: State.STARTTLS},
    Auth: {2: State.READY, 3: State.AUTH},
    AuthLine: {2: State.READY, 3: State.AUTH, 4: State.READY, 5: State.READY},
}


@dataclass
class Session:
    """What both roles know about the session: state plus negotiated facts."""

    policy: SMTPPolicy
    limits: SMTPLimits
    state: State = State.CONNECTED
    hello: Ehlo | Helo | None = None
    extensions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    tls_active: bool = False
    authenticated: bool = False
    mail_from: MailFrom | None = None
    recipients: int = 0
    size_limit: int | None = field(init=False)
    """The smaller of ``limits.max_message_size`` and a non-zero advertised SIZE
    (RFC 1870); None when neither sets one. Kept in step with ``extensions``."""

    def __post_init__(self) -> None:
        self.set_extensions(self.extensions)

    def set_extensions(self, extensions: Mapping[str, tuple[str, ...]]) -> None:
        self.extensions = extensions
        limit = self.limits.max_message_size
        size = extensions.get("SIZE", ())
        if size and size[0].isascii() and size[0].isdigit() and int(size[0]) > 0:
            advertised = int(size[0])
            limit = advertised if limit is None else min(limit, advertised)
        self.size_limit = limit

    def greeted(self, code: int) -> None:
        """The greeting (§3.1): 220 opens the session, 554 refuses it, 421 closes."""
        self.state = {2: State.GREETED, 5: State.REFUSED}.get(code // 100, State.CLOSED)

    def apply(self, event: Event, reply: Reply) -> None:
        """Record the server's ``reply`` to ``event``: the state and what it settled."""
        code = reply.code
        if code == 421:  # §3.8: the server is closing the channel
            self.state = State.CLOSED
            return
        kind = type(event)
        effect, row = _RULES.get(kind, _NO_RULE)
        if code < 300 and effect is not None:
            effect(self, event, reply)
        if kind is ChunkEnd:
            row = TRANSITIONS[_transition_key(event)]
        target = row.get(code // 100)
        if target is None:
            return
        if not isinstance(target, State):  # IDLE
            target = State.READY if self.hello is not None else State.GREETED
        if target is State.READY or target is State.GREETED:
            self.mail_from = None
            self.recipients = 0
        self.state = target

    def restart_after_tls(self) -> None:
        """RFC 3207 §4.2: "The server MUST discard any knowledge obtained from
        the client, such as the argument to the EHLO command, which was not
        obtained from the TLS negotiation itself." The client likewise."""
        self.state = State.GREETED
        self.hello = None
        self.set_extensions({})
        self.authenticated = False
        self.mail_from = None
        self.recipients = 0
        self.tls_active = True


def _transition_key(event: Event) -> str:
    return "last-chunk" if isinstance(event, ChunkEnd) and event.last else "chunk"


def _hello(session: Session, event: Any, reply: Reply) -> None:
    session.hello = event
    session.set_extensions(parse_ehlo_reply(reply).extensions if type(event) is Ehlo else {})


def _mail(session: Session, event: Any, reply: Reply) -> None:
    session.mail_from = event


def _rcpt(session: Session, event: Any, reply: Reply) -> None:
    session.recipients += 1


def _authenticated(session: Session, event: Any, reply: Reply) -> None:
    session.authenticated = True


_ON_SUCCESS: dict[type[Event], Callable[[Session, Any, Reply], None]] = {
    Ehlo: _hello,
    Helo: _hello,
    MailFrom: _mail,
    RcptTo: _rcpt,
    Auth: _authenticated,
    AuthLine: _authenticated,
}


# Both tables merged for one lookup per reply: kind -> (effect of 2xx, transitions)
_Effect = Callable[[Session, Any, Reply], None]
_NO_RULE: tuple[_Effect | None, dict[int, State | str]] = (None, {})
_RULES = {
    kind: (_ON_SUCCESS.get(kind), TRANSITIONS.get(kind, {}))
    for kind in (
        *_SESSION,
        MailFrom,
        RcptTo,
        Data,
        Bdat,
        StartTLS,
        Auth,
        AuthLine,
        MessageEnd,
        ChunkEnd,
    )
}


def accepts(policy: SMTPPolicy) -> dict[State, frozenset[type[Event]]]:
    """ACCEPTS adjusted for the policy (MAIL before HELO when not required)."""
    table = dict(ACCEPTS)
    if not policy.require_helo:
        table[State.GREETED] = _SESSION | {MailFrom}
    return table


# RFC 3207 §4: what a server requiring TLS still takes before it (HELO with EHLO)
BEFORE_TLS = frozenset({Noop, Ehlo, Helo, StartTLS, Quit})


def accepts_before_tls(
    table: Mapping[State, frozenset[type[Event]]],
) -> dict[State, frozenset[type[Event]]]:
    """``table`` cut to BEFORE_TLS: the rest reach ``refusal`` and get 530."""
    return {state: allowed & BEFORE_TLS for state, allowed in table.items()}


def refusal(session: Session, event: Event, allowed: frozenset[type[Event]]) -> bytes | None:
    """The reply refusing ``event`` in this session, or None if it may proceed."""
    kind = type(event)
    if kind not in allowed:
        return _sequence_reply(session, kind)
    check = _CHECKS.get(kind)
    return None if check is None else check(session, event)


def _sequence_reply(session: Session, kind: type[Event]) -> bytes:
    if session.state is State.REFUSED:
        return R.REFUSED_SESSION
    if session.policy.starttls_required and not session.tls_active and kind not in BEFORE_TLS:
        return R.STARTTLS_FIRST  # RFC 3207 §4 SHOULD, ahead of any sequence rule
    if session.state is State.GREETED and kind in (MailFrom, Auth, StartTLS):
        return R.NEED_HELO
    if session.state is State.MAIL and kind in (Data, Bdat):
        return R.NO_VALID_RECIPIENTS
    return R.BAD_SEQUENCE


def _starttls_refusal(session: Session, event: Any) -> bytes | None:
    # RFC 3207 §4.2: once TLS is up, another STARTTLS is out of sequence
    if session.tls_active:
        return R.BAD_SEQUENCE
    if session.policy.strict_extensions and "STARTTLS" not in session.extensions:
        return R.NOT_IMPLEMENTED
    return None


def _bdat_refusal(session: Session, event: Any) -> bytes | None:
    if session.policy.strict_extensions and "CHUNKING" not in session.extensions:
        return R.NOT_IMPLEMENTED
    return None


def _data_refusal(session: Session, event: Any) -> bytes | None:
    # RFC 3030 §3: BINARYMIME text MUST be sent with BDAT
    mail = session.mail_from
    if mail is not None and mail.params.body == "BINARYMIME":
        return R.BINARYMIME_NEEDS_BDAT
    return None


def _mail_refusal(session: Session, event: MailFrom) -> bytes | None:
    address = event.reverse_path.address
    # RFC 6531 §3.4: a non-ASCII address needs the SMTPUTF8 parameter
    if address is not None and address.is_utf8 and not event.params.smtputf8:
        return R.UTF8_SENDER
    # RFC 1870 §6.1: a declared size above the fixed maximum gets 552
    size = event.params.size
    if size is not None:
        limit = session.size_limit
        if limit is not None and size > limit:
            return R.SIZE_EXCEEDED
    return None


def _rcpt_refusal(session: Session, event: RcptTo) -> bytes | None:
    # §4.5.3.1.10: a server out of recipient slots "MUST use" 452
    if session.recipients >= session.limits.max_recipients:
        return R.TOO_MANY_RECIPIENTS
    address = event.forward_path.address
    if address is not None and address.is_utf8:
        mail = session.mail_from
        if mail is None or not mail.params.smtputf8:
            return R.UTF8_RECIPIENT
    return None


def _auth_refusal(session: Session, event: Auth) -> bytes | None:
    # RFC 4954 §4: "After a successful AUTH command completes, a server MUST
    # reject any further AUTH commands with a 503 reply." (Not in a
    # transaction: ACCEPTS has AUTH in READY only.)
    if session.authenticated:
        return R.BAD_SEQUENCE
    if session.policy.auth_requires_tls and not session.tls_active:
        return R.AUTH_NEEDS_TLS
    if not session.policy.strict_extensions:
        return None
    offered = session.extensions.get("AUTH")
    if offered is None:
        return R.NOT_IMPLEMENTED
    if event.mechanism not in (mech.upper() for mech in offered):
        return R.AUTH_MECHANISM
    return None


_CHECKS: dict[type[Event], Callable[[Session, Any], bytes | None]] = {
    StartTLS: _starttls_refusal,
    Bdat: _bdat_refusal,
    Data: _data_refusal,
    MailFrom: _mail_refusal,
    RcptTo: _rcpt_refusal,
    Auth: _auth_refusal,
}
CHECKS: Mapping[type[Event], Callable[[Session, Any], bytes | None]] = (
    _CHECKS  # for the server's hot path
)
