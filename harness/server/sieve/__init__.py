"""Filing rules: a Sieve (RFC 5228) subset engine, pure (no I/O).

``compile_script(text)`` checks a user's script when it is stored and returns a
``Script``; ``Script.evaluate(message, envelope)`` returns the ``Actions`` for
one delivered message: which mailboxes to store it in, with which flags.

Modules, in the order a script passes through them: ``lexer`` (RFC 5228
§8.1 tokens), ``syntax`` (§8.2 grammar), ``compiler`` and ``conditions``
(commands and tests checked into ``nodes``, with ``arguments`` for the
tagged/positional argument rules), then ``interpreter`` with ``message``
(decoded header fields), ``matching`` (match types and comparators, RFC 4790)
and ``flags`` (RFC 5232). The supported subset is described for users in
docs/filing-rules.md.
"""

from harness.server.sieve.actions import INBOX, KEEP, Actions, Delivery, Envelope
from harness.server.sieve.compiler import CAPABILITIES
from harness.server.sieve.errors import Position, SieveError
from harness.server.sieve.script import Script, compile_script

__all__ = [
    "CAPABILITIES",
    "INBOX",
    "KEEP",
    "Actions",
    "Delivery",
    "Envelope",
    "Position",
    "Script",
    "SieveError",
    "compile_script",
]
