"""What the server advertises, by state and by TLS (RFC 9051 §6.1.1, §7.2.2).

RFC 9051 §7.2.2: the capability list "MUST be" honest, and it may change on
STARTTLS and login, so a client re-reads it then (the greeting and LOGIN's OK
carry it as a response code to save the round trip).

Before login: the base revisions, what a client needs in order to log in
(STARTTLS, SASL-IR, AUTH=..., LITERAL+ for a literal password, ID), and
LOGINDISABLED while a plaintext connection may not log in (RFC 9051 §6.2.3:
"The server SHOULD NOT ... LOGIN ... unless TLS" and RFC 2595 §3.2).
After login: every extension this server implements.
"""

from __future__ import annotations

from harness.server.imap.base import Session
from harness.targets import TLSMode

REVISIONS = ("IMAP4rev1", "IMAP4rev2")
LOGIN_EXTENSIONS = ("LITERAL+", "SASL-IR", "ID", "ENABLE", "IDLE")
SESSION_EXTENSIONS = (
    "LITERAL+",
    "IDLE",
    "UIDPLUS",  # RFC 4315
    "MOVE",  # RFC 6851
    "NAMESPACE",  # RFC 2342
    "ID",  # RFC 2971
    "ENABLE",  # RFC 5161
    "UNSELECT",  # RFC 3691
    "SPECIAL-USE",  # RFC 6154
    "CREATE-SPECIAL-USE",
    "CHILDREN",  # RFC 3348
    "LIST-EXTENDED",  # RFC 5258
    "LIST-STATUS",  # RFC 5819
    "ESEARCH",  # RFC 4731
    "SEARCHRES",  # RFC 5182
    "SASL-IR",  # RFC 4959
    "CONDSTORE",  # RFC 7162 §3.1
    "BINARY",  # RFC 3516
    "STATUS=SIZE",  # RFC 8438
    "UTF8=ACCEPT",  # RFC 6855
)
ENABLEABLE = {"CONDSTORE": "CONDSTORE", "IMAP4REV2": "IMAP4rev2", "UTF8=ACCEPT": "UTF8=ACCEPT"}
"""ENABLE's extensions (RFC 5161 §3.1), by upper-cased name, in their canonical spelling."""


def capabilities(s: Session) -> tuple[str, ...]:
    """The CAPABILITY list for this session now."""
    if s.user is not None:
        limit = f"APPENDLIMIT={s.ctx.limits.max_message_size}"  # RFC 7889
        return (*REVISIONS, *SESSION_EXTENSIONS, limit)
    auth = s.ctx.auth
    offered: list[str] = [*REVISIONS, *LOGIN_EXTENSIONS]
    if not s.tls and s.listener.tls is TLSMode.STARTTLS:
        offered.append("STARTTLS")
    if not auth.may_authenticate(tls=s.tls):
        offered.append("LOGINDISABLED")
    offered += [f"AUTH={mechanism}" for mechanism in auth.mechanisms(tls=s.tls)]
    return tuple(offered)
