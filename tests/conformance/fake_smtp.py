"""A small, deliberately configurable SMTP server for runner tests, on a real socket.

It speaks just enough SMTP for the runner's verdict logic to be exercised
without Postfix: greeting, EHLO, NOOP, RSET, MAIL, RCPT, DATA, AUTH PLAIN,
QUIT. ``faults`` replace the reply to a verb with any bytes (or silence), so
a test can make it break exactly one rule and check the runner says so.
It also counts logins per account, to prove parallel cases never share one.
"""

from __future__ import annotations

import base64
from collections import Counter
from dataclasses import dataclass, field

import trio

from harness.targets import Account, Service, Target, TLSMode

ACCOUNTS = (Account("u1@fake.test", "p1"), Account("u2@fake.test", "p2"))
SILENCE = b""  # a fault that answers nothing


@dataclass
class FakeSMTP:
    greeting: bytes = b"220 fake.test ESMTP ready\r\n"
    keywords: tuple[str, ...] = ("PIPELINING", "8BITMIME", "AUTH PLAIN")
    faults: dict[str, bytes] = field(default_factory=dict)  # VERB -> raw reply bytes
    close_after_quit: bool = True
    port: int = 0
    logged_in: Counter[str] = field(default_factory=Counter)
    most_at_once: int = 0  # the most sessions logged in at the same time
    shared_account: bool = False  # two sessions were ever logged in as one account

    def target(self, **changes: object) -> Target:
        services = {"smtp": Service("smtp", self.port, TLSMode.NONE)}
        values: dict[str, object] = {
            "name": "fake",
            "host": "127.0.0.1",
            "services": services,
            "accounts": ACCOUNTS,
            "tls_verify": False,
        }
        values.update(changes)
        return Target(**values)  # type: ignore[arg-type]

    async def serve(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
        self.port = listeners[0].socket.getsockname()[1]
        task_status.started()
        await trio.serve_listeners(self.handle, listeners)

    async def handle(self, stream: trio.SocketStream) -> None:
        user: str | None = None
        try:
            await stream.send_all(self.greeting)
            buffer = b""
            while True:  # one command per pass; ends when the client goes
                while b"\r\n" not in buffer:
                    data = await stream.receive_some(4096)
                    if not data:
                        return
                    buffer += data
                line, buffer = buffer.split(b"\r\n", 1)
                verb = line.split(b" ", 1)[0].upper().decode("ascii", "replace")
                if verb == "DATA" and verb not in self.faults:
                    await stream.send_all(b"354 go ahead\r\n")
                    while b"\r\n.\r\n" not in buffer:
                        data = await stream.receive_some(4096)
                        if not data:
                            return
                        buffer += data
                    buffer = buffer.split(b"\r\n.\r\n", 1)[1]
                    await stream.send_all(b"250 2.0.0 queued\r\n")
                    continue
                if verb == "AUTH" and verb not in self.faults:
                    user = self.login(line)
                    await stream.send_all(b"235 2.7.0 ok\r\n" if user else b"535 5.7.8 no\r\n")
                    continue
                await stream.send_all(self.reply(verb))
                if verb == "QUIT" and self.close_after_quit:
                    return
        except trio.BrokenResourceError:
            return
        finally:
            if user is not None:
                self.logged_in[user] -= 1
            await trio.aclose_forcefully(stream)

    def login(self, line: bytes) -> str | None:
        words = line.split()
        if len(words) != 3:
            return None
        _, user, password = base64.b64decode(words[2]).split(b"\0")
        account = next((a for a in ACCOUNTS if a.user.encode() == user), None)
        if account is None or account.password != password.decode():
            return None
        self.logged_in[account.user] += 1
        self.shared_account |= self.logged_in[account.user] > 1
        self.most_at_once = max(self.most_at_once, sum(self.logged_in.values()))
        return account.user

    def reply(self, verb: str) -> bytes:
        if verb in self.faults:
            return self.faults[verb]
        if verb == "EHLO":
            lines = ["fake.test", *self.keywords]
            return b"".join(
                f"250{'-' if i < len(lines) - 1 else ' '}{text}\r\n".encode()
                for i, text in enumerate(lines)
            )
        return {
            "HELO": b"250 fake.test\r\n",
            "NOOP": b"250 2.0.0 ok\r\n",
            "RSET": b"250 2.0.0 ok\r\n",
            "MAIL": b"250 2.1.0 ok\r\n",
            "RCPT": b"250 2.1.5 ok\r\n",
            "QUIT": b"221 2.0.0 bye\r\n",
        }.get(verb, b"500 5.5.2 unknown command\r\n")
