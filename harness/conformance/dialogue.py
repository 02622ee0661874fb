"""The harness's own commands on a session: send one, read its answer, check it.

The runner talks to the server itself to bring sessions to their start state
(greeting, TLS, login, SELECT), to clean and seed accounts, and to discover
capabilities. Those exchanges are recorded in the transcript like any other,
but they are not the script's dialogue: a refusal here is ``SetupFailed``
(the case's verdict is error, not failed), because the case never started.
"""

from __future__ import annotations

import base64
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import trio

from harness.conformance.response import Response
from harness.conformance.session import Session


class SetupFailed(Exception):
    """The harness could not bring the target into the state a case needs."""


@dataclass(frozen=True)
class Literal:
    """An IMAP synchronising literal inside a command (RFC 9051 §4.3)."""

    data: bytes


def text_of(response: Response) -> str:
    """A response as one short printable string, for messages."""
    text = response.raw.decode("utf-8", "replace").replace("\r\n", " | ").rstrip(" |\n")
    return text if len(text) <= 200 else text[:200] + "…"


async def read_response(session: Session, deadline: float) -> Response:
    """The next whole response, waiting until ``deadline`` (trio clock) at most."""
    while not session.responses:
        with trio.move_on_at(deadline) as scope:
            alive = await session.receive()
        if scope.cancelled_caught:
            raise SetupFailed(f"{session.service.name}: no response in time")
        if not alive and not session.responses:
            raise SetupFailed(f"{session.service.name}: the server closed the connection")
    return session.take(1)[0]


async def expect_greeting(session: Session, deadline: float) -> Response:
    """The greeting, checked against the protocol's "ready" form."""
    greeting = await read_response(session, deadline)
    ready = {"smtp": (b"220 ", b"220-"), "pop3": (b"+OK",), "imap": (b"* OK", b"* PREAUTH")}
    if greeting.problem or not greeting.raw.startswith(ready[session.protocol]):
        raise SetupFailed(f"{session.service.name}: greeting is not ready: {text_of(greeting)}")
    return greeting


# --- SMTP ---------------------------------------------------------------------------


async def smtp(session: Session, line: bytes, code: int, deadline: float) -> Response:
    """Send one command line; its reply must carry ``code``."""
    await session.send(line + b"\r\n")
    reply = await read_response(session, deadline)
    if reply.problem or not reply.raw.startswith(str(code).encode()):
        shown = line.split(b" ", 1)[0].decode("ascii", "replace")
        raise SetupFailed(f"smtp {shown}: expected {code}, got {text_of(reply)}")
    return reply


def ehlo_keywords(reply: Response) -> list[str]:
    """The EHLO keyword lines as the server spelled them (the first line is its name)."""
    return [line[4:].decode("utf-8", "replace").strip() for line in reply.lines[1:]]


# --- POP3 ---------------------------------------------------------------------------


async def pop3(session: Session, line: bytes, deadline: float) -> Response:
    """Send one command line; it must be answered +OK."""
    await session.send(line + b"\r\n")
    response = await read_response(session, deadline)
    if response.problem or not response.raw.startswith(b"+OK"):
        shown = line.split(b" ", 1)[0].decode("ascii", "replace")
        raise SetupFailed(f"pop3 {shown}: expected +OK, got {text_of(response)}")
    return response


def multiline_lines(response: Response) -> list[str]:
    """The body lines of a multi-line +OK response, unstuffed, without the dot line."""
    lines = [line.rstrip(b"\r\n") for line in response.lines[1:-1]]
    return [
        (line[1:] if line.startswith(b".") else line).decode("utf-8", "replace") for line in lines
    ]


# --- IMAP ---------------------------------------------------------------------------

_tags = itertools.count(1)


def imap_string(value: str) -> bytes | Literal:
    """A quoted string where one can carry the value, else a literal (RFC 9051 §4.3)."""
    data = value.encode("utf-8")
    if all(0x20 <= byte < 0x7F for byte in data):
        return b'"' + data.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'
    return Literal(data)


async def imap(
    session: Session, parts: Sequence[bytes | Literal], deadline: float, *, check: bool = True
) -> list[Response]:
    """One tagged command; the untagged responses before its completion, then the completion.

    ``parts`` are joined with spaces; a Literal waits for the server's "+".
    """
    tag = f"mh{next(_tags)}".encode()
    pending = tag
    for part in parts:
        if isinstance(part, Literal):
            await session.send(pending + b" {" + str(len(part.data)).encode() + b"}\r\n")
            go_ahead = await read_response(session, deadline)
            if not go_ahead.raw.startswith(b"+"):
                raise SetupFailed(f"imap: literal refused: {text_of(go_ahead)}")
            pending = part.data
        else:
            pending += b" " + part
    await session.send(pending + b"\r\n")
    responses = []
    while True:  # bounded by the deadline and by what the server sends
        response = await read_response(session, deadline)
        responses.append(response)
        if response.raw.startswith(tag + b" "):
            break
    if check and not completed_ok(responses):
        verb = next(p for p in parts if isinstance(p, bytes)).decode("ascii", "replace")
        raise SetupFailed(f"imap {verb}: {text_of(responses[-1])}")
    return responses


def completed_ok(responses: Sequence[Response]) -> bool:
    """Did the tagged completion (the last response) say OK?"""
    return responses[-1].raw.split(b" ", 2)[1:2] == [b"OK"]


def imap_capabilities(responses: Sequence[Response]) -> list[str] | None:
    """Capabilities from a CAPABILITY response or a [CAPABILITY ...] code, if any."""
    for response in responses:
        first = response.lines[0].rstrip(b"\r\n")
        upper = first.upper()
        if upper.startswith(b"* CAPABILITY "):
            return first[len(b"* CAPABILITY ") :].decode("utf-8", "replace").split()
        start = upper.find(b"[CAPABILITY ")
        if start >= 0:
            end = first.find(b"]", start)
            return first[start + 12 : end].decode("utf-8", "replace").split()
    return None


def sasl_plain(user: str, password: str) -> bytes:
    return base64.b64encode(b"\0" + user.encode() + b"\0" + password.encode())
