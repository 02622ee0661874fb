"""What one SMTP listener offers: the core's limits and policy, and the EHLO keywords.

The EHLO reply advertises exactly what works on this connection now (RFC 5321
§4.2.4; catalogue SMTP-EHLO-HONEST), and the core refuses what was not
advertised (``strict_extensions``), so the two can never disagree.
"""

from __future__ import annotations

from typing import cast

from harness.protocols.smtp import SMTPLimits, SMTPPolicy
from harness.protocols.smtp.limits import BareNewlinePolicy
from harness.server.config import ListenerConfig
from harness.server.context import ServerContext
from harness.targets import TLSMode

# RFC 5321 §4.5.3.1.4 lets 512 octets be the command line limit; the
# configured limit (default 2048) covers MAIL/RCPT with SIZE, BODY, AUTH= and
# DSN parameters (RFC 3461 §5.4 asks for ORCPT values of 500 characters).
BASE_COMMAND_LINE = 512


def core_limits(ctx: ServerContext) -> SMTPLimits:
    limits = ctx.limits
    return SMTPLimits(
        max_command_line=max(BASE_COMMAND_LINE, limits.smtp_command_line),
        max_envelope_line=limits.smtp_command_line,
        max_text_line=limits.smtp_text_line,
        max_message_size=limits.max_message_size,
        max_recipients=limits.max_recipients,
    )


def tls_required(ctx: ServerContext, listener: ListenerConfig) -> bool:
    """Whether this listener takes mail only over TLS: it needs AUTH (submission)
    and AUTH needs TLS. Then RFC 3207 §4 has every command but NOOP, EHLO,
    STARTTLS and QUIT answered 530 until TLS is up (the core does it)."""
    return listener.auth_required and ctx.config.require_tls_for_auth


def core_policy(ctx: ServerContext, listener: ListenerConfig) -> SMTPPolicy:
    return SMTPPolicy(
        bare_newlines=cast(BareNewlinePolicy, ctx.config.smtp_bare_newlines),
        bare_lf_lines="reject",
        long_text_lines="keep",  # §4.5.3.1.6 lines over 1000 octets are stored intact
        require_helo=True,
        strict_extensions=True,
        auth_requires_tls=ctx.config.require_tls_for_auth,
        starttls_required=tls_required(ctx, listener),
    )


def ehlo_keywords(
    ctx: ServerContext, listener: ListenerConfig, *, tls: bool
) -> dict[str, tuple[str, ...]]:
    """The extensions to advertise now, in the order they are listed."""
    keywords: dict[str, tuple[str, ...]] = {
        "PIPELINING": (),  # RFC 2920
        "SIZE": (str(ctx.limits.max_message_size),),  # RFC 1870
        "8BITMIME": (),  # RFC 6152
        "SMTPUTF8": (),  # RFC 6531
        "ENHANCEDSTATUSCODES": (),  # RFC 2034
    }
    if listener.tls is TLSMode.STARTTLS and not tls:
        keywords["STARTTLS"] = ()  # RFC 3207; §4.2: not again once TLS is up
    mechanisms = ctx.auth.mechanisms(tls=tls)
    if mechanisms:
        keywords["AUTH"] = mechanisms  # RFC 4954 §3; none before TLS when TLS is required
    keywords["CHUNKING"] = ()  # RFC 3030
    keywords["BINARYMIME"] = ()
    keywords["DSN"] = ()  # RFC 3461
    return keywords
