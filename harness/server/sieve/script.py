"""The public face of the engine: ``compile_script`` and ``Script.evaluate``.

Compile once when a user stores a script (every error surfaces then, with its
line and column); evaluate once per delivered message and recipient.
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.server.sieve.actions import Actions, Envelope
from harness.server.sieve.compiler import compile_tree
from harness.server.sieve.errors import LineIndex, SieveError
from harness.server.sieve.interpreter import run
from harness.server.sieve.nodes import Command
from harness.server.sieve.syntax import parse


@dataclass(frozen=True, slots=True)
class Script:
    """A compiled script: the extensions it required and its commands."""

    capabilities: frozenset[str]
    commands: tuple[Command, ...]

    def evaluate(
        self, message: bytes, envelope: Envelope | None = None, *, size: int | None = None
    ) -> Actions:
        """The actions for one message.

        ``message`` is the message as stored (only its header is read).
        ``size`` is what the size test compares, in octets; by default the
        length of ``message``. Without an ``envelope`` (a message that did
        not arrive by SMTP) every envelope test is false.
        """
        return run(self.commands, message, envelope, len(message) if size is None else size)


def compile_script(source: str | bytes) -> Script:
    """Parse and check a script; raises ``SieveError`` with line:column if invalid.

    Bytes must be UTF-8 (RFC 5228 §2.7.2: "All Sieve scripts are represented
    in UTF-8").
    """
    text = _decode(source) if isinstance(source, bytes) else source
    capabilities, commands = compile_tree(parse(text))
    return Script(capabilities, commands)


def _decode(source: bytes) -> str:
    try:
        return source.decode("utf-8")
    except UnicodeDecodeError as error:
        good = source[: error.start].decode("utf-8")
        raise SieveError(
            "the script is not valid UTF-8", LineIndex(good).position(len(good))
        ) from None
