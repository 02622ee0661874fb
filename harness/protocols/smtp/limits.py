"""Sizes and policies a connection enforces.

``SMTPLimits`` holds the numbers (RFC 5321 §4.5.3.1 sets the minimums an
implementation MUST support), ``SMTPPolicy`` the choices where the RFCs leave
room or where real servers differ (bare newlines, strictness of envelopes).
Both are frozen: pass new ones to a new connection to change them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

BareNewlinePolicy = Literal["reject", "keep", "normalize"]
LongLinePolicy = Literal["reject", "keep"]
BareLFLinePolicy = Literal["reject", "accept"]


@dataclass(frozen=True, slots=True)
class SMTPLimits:
    """Octet and count limits (RFC 5321 §4.5.3.1: these are floors, not ceilings).

    ``max_command_line`` (§4.5.3.1.4, 512 including CRLF) applies to every
    command but MAIL/RCPT, whose parameters raise it (RFC 1870, RFC 3461 §5.4,
    RFC 4954 §5), and AUTH, whose lines may be much longer (RFC 4954 §4:
    "12288 octets is considered to be a sufficient line length limit").
    ``max_text_line`` (§4.5.3.1.6) is 1000 octets including CRLF.
    ``max_message_size`` None means no limit.
    """

    max_command_line: int = 512
    max_envelope_line: int = 2048
    max_auth_line: int = 12288
    max_text_line: int = 1000
    max_message_size: int | None = 25 * 1024 * 1024
    max_recipients: int = 100
    max_local_part: int = 64
    max_domain: int = 255
    max_path: int = 256
    max_reply_line: int = 16384
    max_reply_lines: int = 1000
    max_injected_record: int = 65536

    @property
    def max_line(self) -> int:
        """The framing cap: the longest line any command may have."""
        return max(self.max_command_line, self.max_envelope_line, self.max_auth_line)


@dataclass(frozen=True, slots=True)
class SMTPPolicy:
    """Choices the RFCs leave to the implementation.

    ``bare_newlines`` (message text, RFC 5321 §2.3.8): "reject" reads to the
    real CRLF.CRLF and then refuses the message with 550 5.6.0; "keep" stores
    the octets as they came; "normalize" turns bare CR and bare LF into CRLF.
    Whatever the policy, only CRLF "." CRLF ends the data (§4.1.1.4).

    ``bare_lf_lines``: a command line (server) or reply line (client) ended by
    LF alone is refused (500) when "reject", read as if it ended in CRLF when
    "accept".

    ``long_text_lines``: message lines longer than ``max_text_line`` refuse
    the message (500 5.5.2 after the end of data) or are kept as they are.

    ``require_helo``: MAIL before HELO/EHLO gets 503 (§4.1.4 makes HELO/EHLO a
    client MUST; a server may insist).

    ``strict_envelope``: refuse ``MAIL FROM: <a@b>`` (a space after the
    colon, outside the §4.1.2 grammar, though most servers accept it).

    ``strict_extensions``: commands and parameters of extensions the server
    did not advertise in its EHLO reply are refused (502 / 555).

    ``extra_mail_params`` / ``extra_rcpt_params``: further parameter keywords
    the server accepts as they are (kept in ``params.extra``).

    ``auth_requires_tls``: AUTH on a connection without TLS gets "530 5.7.0
    Must issue a STARTTLS command first" (RFC 3207 §4, RFC 4954 §6), whether
    or not AUTH was advertised, instead of 502 for an unoffered extension.

    ``starttls_required``: a server that requires TLS before anything else.
    RFC 3207 §4: "the server SHOULD return the reply code 530 (Must issue a
    STARTTLS command first) to every command other than NOOP, EHLO, STARTTLS,
    or QUIT". HELO is let through with EHLO (the same greeting, RFC 5321
    §4.1.1.1). The 530 comes before any sequence reply (503) too.
    """

    bare_newlines: BareNewlinePolicy = "reject"
    bare_lf_lines: BareLFLinePolicy = "reject"
    long_text_lines: LongLinePolicy = "keep"
    require_helo: bool = True
    strict_envelope: bool = False
    strict_extensions: bool = True
    extra_mail_params: frozenset[str] = frozenset()
    extra_rcpt_params: frozenset[str] = frozenset()
    auth_requires_tls: bool = False
    starttls_required: bool = False
