"""The replies the reference SMTP server writes itself (the core writes the rest).

One constant per situation, with its RFC 3463 enhanced status code, so the
code and text of a refusal are chosen in one place and a test can name them.
RFC 2034 §4: every 2xx/4xx/5xx reply carries the enhanced code except the
greeting and the HELO/EHLO reply; 3xx replies never do. Reply objects are
shared: the core caches the bytes of each by identity.
"""

from __future__ import annotations

from harness.protocols.smtp import Reply, reply

OK = reply(250, "OK", "2.0.0")
SENDER_OK = reply(250, "Sender OK", "2.1.0")
RECIPIENT_OK = reply(250, "Recipient OK", "2.1.5")
RELAY_RECIPIENT_OK = reply(250, "Recipient OK, will relay", "2.1.5")
START_DATA = reply(354, "End data with <CR><LF>.<CR><LF>")
CHUNK_OK = reply(250, "Chunk accepted", "2.0.0")
READY_FOR_TLS = reply(220, "Ready to start TLS", "2.0.0")
AUTH_OK = reply(235, "Authentication successful", "2.7.0")
BYE = reply(221, "Bye", "2.0.0")

# RFC 5321 §3.5.2 / §3.5.3: VRFY may decline to verify; EXPN is not offered.
CANNOT_VRFY = reply(252, "Cannot VRFY user, but will accept message and attempt delivery", "2.5.0")
EXPN_DISABLED = reply(502, "EXPN not available", "5.5.1")

# RFC 5321 §3.6.2 / §7.9 and RFC 2505: never an open relay.
RELAY_DENIED = reply(550, "Relaying denied: authenticate first", "5.7.1")
LOCAL_PART_ROUTING = reply(550, "Routing in the local part (% ! @) is not accepted", "5.7.1")
UNKNOWN_USER = reply(550, "No such user here", "5.1.1")
NO_MAILBOX = reply(550, "Mailbox not known", "5.1.1")

# RFC 6409 §4.3 / RFC 4954 §6: submission needs authentication, which needs TLS.
AUTH_REQUIRED = reply(530, "Authentication required", "5.7.0")
STARTTLS_FIRST = reply(530, "Must issue a STARTTLS command first", "5.7.0")
# RFC 6409 §6.1: "Reply code 550 with ... 5.7.1" for a sender not authorized.
SENDER_NOT_OWNED = reply(550, "Sender address not owned by the authenticated user", "5.7.1")

# RFC 4954 §4 and §6.
AUTH_CANCELLED = reply(501, "Authentication cancelled", "5.7.0")
AUTH_MALFORMED = reply(501, "Malformed authentication response", "5.5.2")
AUTH_FAILED = reply(535, "Authentication credentials invalid", "5.7.8")
AUTH_MECHANISM = reply(504, "Unrecognized authentication type", "5.5.4")

# RFC 5321 §6.3 loop detection; RFC 3463 X.4.6 "Routing loop detected".
MAIL_LOOP = reply(554, "Too many Received fields: a mail loop?", "5.4.6")

# RFC 5321 §4.2.2 / §3.8: local trouble is transient; closing is 421.
LOCAL_ERROR = reply(451, "Local error in processing, try again later", "4.3.0")
TIMEOUT = reply(421, "Timeout, closing connection", "4.4.2")
TOO_MANY_CONNECTIONS = reply(421, "Too many connections from your address", "4.7.0")
TOO_MANY_ERRORS = reply(421, "Too many errors, closing connection", "4.7.0")
SHUTTING_DOWN = reply(421, "Server shutting down, closing connection", "4.3.2")


def delivered(message_id: str) -> Reply:
    """RFC 5321 §4.1.1.4: 250 only once the message is safely stored."""
    return reply(250, f"Message accepted, id {message_id}", "2.0.0")


def help_text() -> Reply:
    """RFC 5321 §4.1.1.8 HELP: 214, with ESC (a 2xx reply)."""
    return reply(
        214,
        "Commands: EHLO HELO MAIL RCPT DATA BDAT RSET NOOP VRFY HELP QUIT STARTTLS AUTH\n"
        "See RFC 5321, 3030, 3207, 4954",
        "2.0.0",
    )
