"""The events an SMTP connection yields and accepts, named after protocol nouns.

Client to server: the commands (RFC 5321 §4.1.1 and the extensions), the
message text (``MessageData`` pieces then ``MessageEnd`` for DATA;
``BdatChunk`` pieces then ``ChunkEnd`` for BDAT, RFC 3030) and SASL
continuation lines (``AuthLine``, RFC 4954 §4). Server to client: ``Reply``.
Either side: ``ConnectionClosed``.

Events are frozen values: what a client core emits, a server core parses back
to an equal event (tests/protocols/smtp/test_smtp_properties.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.protocols.smtp.address import Path
from harness.protocols.smtp.params import (
    EMPTY_MAIL_PARAMS,
    EMPTY_RCPT_PARAMS,
    MailParams,
    RcptParams,
)


class Event:
    """Base class of every SMTP event."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class Ehlo(Event):
    """EHLO: opens an extended session; the argument is a Domain or address literal."""

    domain: str


@dataclass(frozen=True, slots=True)
class Helo(Event):
    """HELO: opens a plain session (no extensions)."""

    domain: str


@dataclass(frozen=True, slots=True)
class MailFrom(Event):
    """MAIL FROM: starts a transaction; ``reverse_path`` may be the null path."""

    reverse_path: Path
    params: MailParams = EMPTY_MAIL_PARAMS


@dataclass(frozen=True, slots=True)
class RcptTo(Event):
    """RCPT TO: one recipient."""

    forward_path: Path
    params: RcptParams = EMPTY_RCPT_PARAMS


@dataclass(frozen=True, slots=True)
class Data(Event):
    """DATA: the message text follows once the server answers 354."""


@dataclass(frozen=True, slots=True)
class Bdat(Event):
    """BDAT (RFC 3030): ``size`` octets follow the command line at once."""

    size: int
    last: bool = False


@dataclass(frozen=True, slots=True)
class Rset(Event):
    """RSET: abort the transaction."""


@dataclass(frozen=True, slots=True)
class Noop(Event):
    """NOOP, with its (ignored) argument."""

    text: str = ""


@dataclass(frozen=True, slots=True)
class Vrfy(Event):
    """VRFY: ask whether a user or mailbox exists."""

    text: str


@dataclass(frozen=True, slots=True)
class Expn(Event):
    """EXPN: ask for a mailing list's members."""

    text: str


@dataclass(frozen=True, slots=True)
class Help(Event):
    """HELP, optionally about a topic."""

    text: str = ""


@dataclass(frozen=True, slots=True)
class Quit(Event):
    """QUIT: the server answers 221 and closes."""


@dataclass(frozen=True, slots=True)
class StartTLS(Event):
    """STARTTLS (RFC 3207): after 220, both sides start TLS."""


@dataclass(frozen=True, slots=True)
class Auth(Event):
    """AUTH (RFC 4954): a SASL mechanism and an optional, decoded initial response.

    ``initial_response`` None means none was sent; b"" is the empty response
    ("=" on the wire).
    """

    mechanism: str
    initial_response: bytes | None = None


@dataclass(frozen=True, slots=True)
class AuthLine(Event):
    """A decoded SASL response line answering a 334 challenge.

    ``cancelled``: the client sent "*" (RFC 4954 §4); the server MUST answer 501.
    """

    data: bytes = b""
    cancelled: bool = False


@dataclass(frozen=True, slots=True)
class MessageData(Event):
    """A piece of DATA message text, dot-stuffing removed (or added, on send)."""

    data: bytes


@dataclass(frozen=True, slots=True)
class MessageEnd(Event):
    """The end of DATA text (CRLF "." CRLF), with what was seen in it.

    ``bare_cr`` / ``bare_lf``: a CR or LF not part of CRLF occurred (RFC 5321
    §2.3.8); ``long_lines``: a line passed the text-line limit. Under the
    "reject" policies the core answers these itself and this event is not
    yielded.
    """

    bare_cr: bool = False
    bare_lf: bool = False
    long_lines: bool = False


@dataclass(frozen=True, slots=True)
class BdatChunk(Event):
    """A piece of BDAT chunk data, raw (BDAT is never dot-stuffed)."""

    data: bytes


@dataclass(frozen=True, slots=True)
class ChunkEnd(Event):
    """All ``size`` octets of a BDAT chunk have arrived; the reply is due.

    With ``last`` it is also the end of the message.
    """

    size: int
    last: bool = False


@dataclass(frozen=True, slots=True)
class EnhancedStatus:
    """An enhanced mail system status code (RFC 3463 §2): class.subject.detail.

    status-code = class "." subject "." detail
    class = "2" / "4" / "5";  subject = 1*3digit;  detail = 1*3digit
    """

    class_: int
    subject: int
    detail: int

    def __str__(self) -> str:
        return f"{self.class_}.{self.subject}.{self.detail}"


@dataclass(frozen=True, slots=True)
class Reply(Event):
    """A complete (possibly multi-line) reply, RFC 5321 §4.2.

    ``lines`` hold the text of each line without the code, separator and the
    enhanced status code; ``enhanced`` is set when every line carries the same
    RFC 2034 status code whose class matches the reply's first digit.
    """

    code: int
    lines: tuple[str, ...] = ("",)
    enhanced: EnhancedStatus | None = None

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    @property
    def is_positive(self) -> bool:
        """2yz or 3yz."""
        return self.code < 400

    @property
    def is_transient(self) -> bool:
        return 400 <= self.code < 500

    @property
    def is_permanent(self) -> bool:
        return self.code >= 500


@dataclass(frozen=True, slots=True)
class ConnectionClosed(Event):
    """The peer closed the connection (or the session ended with 221/421)."""


COMMAND_EVENTS: tuple[type[Event], ...] = (
    Ehlo,
    Helo,
    MailFrom,
    RcptTo,
    Data,
    Bdat,
    Rset,
    Noop,
    Vrfy,
    Expn,
    Help,
    Quit,
    StartTLS,
    Auth,
)
