"""A deliberately lossy mail server for the load tests: SMTP in, POP3 out.

It answers 250 to every message, but drops one in every N instead of storing
it: the failure a load run exists to catch. Messages are kept as files in a
maildir-like folder per recipient (``<dir>/<recipient>/<n>.eml``) and served
by a small POP3 service (USER/PASS, STAT, LIST, UIDL, RETR, DELE, QUIT).
Plain threads and sockets: it is a peer to test against, not harness code.

    python -m tests.load.lossy_server --dir D --drop-every 5 --write-target T

The target file lists both services and four accounts; the number of messages
dropped is kept in ``<dir>/dropped`` (the count the load run must report lost).
"""

from __future__ import annotations

import argparse
import itertools
import os
import socketserver
import threading
from pathlib import Path

ACCOUNTS = [f"load{n}@lossy.test" for n in range(1, 5)]


class Store:
    def __init__(self, root: Path, drop_every: int) -> None:
        self.root = root
        self.drop_every = drop_every
        self.lock = threading.Lock()
        self.accepted = itertools.count(1)
        self.dropped = 0

    def deliver(self, recipients: list[str], message: bytes) -> None:
        with self.lock:
            number = next(self.accepted)
            if number % self.drop_every == 0:
                self.dropped += 1
                (self.root / "dropped").write_text(str(self.dropped))
                return
            for recipient in recipients:
                folder = self.root / recipient.lower()
                folder.mkdir(exist_ok=True)
                (folder / f"{number:08d}.eml").write_bytes(message)

    def maildrop(self, user: str) -> list[Path]:
        folder = self.root / user.lower()
        return sorted(folder.glob("*.eml")) if folder.is_dir() else []


class SMTPHandler(socketserver.StreamRequestHandler):
    store: Store

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        self.reply("220 lossy.test ESMTP drops one message in N")
        recipients: list[str] = []
        for raw in self.rfile:
            verb = raw[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                self.reply("250 lossy.test")
            elif verb == b"MAIL":
                recipients = []
                self.reply("250 2.1.0 ok")
            elif verb == b"RCPT":
                recipients.append(raw.decode().split("<", 1)[1].split(">", 1)[0])
                self.reply("250 2.1.5 ok")
            elif verb == b"DATA":
                self.reply("354 go ahead")
                self.store.deliver(recipients, self.read_text())
                self.reply("250 2.0.0 accepted")
            elif verb in (b"RSET", b"NOOP"):
                self.reply("250 2.0.0 ok")
            elif verb == b"QUIT":
                self.reply("221 2.0.0 bye")
                return
            else:
                self.reply("502 5.5.1 not here")

    def read_text(self) -> bytes:
        lines = []
        for line in self.rfile:
            if line == b".\r\n":
                break
            lines.append(line[1:] if line.startswith(b"..") else line)
        return b"".join(lines)


class POP3Handler(socketserver.StreamRequestHandler):
    store: Store

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        self.reply("+OK lossy POP3")
        user, drop, deleted = "", [], set()
        for raw in self.rfile:
            words = raw.decode().split()
            verb = words[0].upper() if words else ""
            if verb == "USER":
                user = words[1]
                self.reply("+OK")
            elif verb == "PASS":
                drop = self.store.maildrop(user)
                self.reply("+OK")
            elif verb == "STAT":
                self.reply(f"+OK {len(drop)} {sum(p.stat().st_size for p in drop)}")
            elif verb in ("LIST", "UIDL"):
                self.reply("+OK")
                for n, path in enumerate(drop, 1):
                    value = path.stem if verb == "UIDL" else path.stat().st_size
                    self.reply(f"{n} {value}")
                self.reply(".")
            elif verb == "RETR":
                self.retr(drop[int(words[1]) - 1])
            elif verb == "DELE":
                deleted.add(int(words[1]))
                self.reply("+OK")
            elif verb == "QUIT":
                for n in deleted:
                    drop[n - 1].unlink(missing_ok=True)
                self.reply("+OK bye")
                return
            else:
                self.reply("-ERR not here")

    def retr(self, path: Path) -> None:
        self.reply("+OK")
        for line in path.read_bytes().splitlines(keepends=True):
            self.wfile.write(b"." + line if line.startswith(b".") else line)
        self.reply(".")


def serve(handler: type[socketserver.StreamRequestHandler], store: Store) -> int:
    bound = type(handler.__name__, (handler,), {"store": store})
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), bound)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return int(server.server_address[1])


def write_target(path: Path, smtp: int, pop3: int) -> None:
    accounts = "".join(f'[[accounts]]\nuser = "{u}"\npassword = "pass"\n' for u in ACCOUNTS)
    text = (
        f'name = "lossy"\nhost = "127.0.0.1"\n[smtp]\nport = {smtp}\ntls = "none"\n'
        f'[pop3]\nport = {pop3}\ntls = "none"\n{accounts}'
    )
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text)
    os.replace(partial, path)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--drop-every", type=int, required=True)
    parser.add_argument("--write-target", type=Path, required=True)
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    store = Store(args.dir, args.drop_every)
    write_target(args.write_target, serve(SMTPHandler, store), serve(POP3Handler, store))
    threading.Event().wait()  # serve until killed


if __name__ == "__main__":
    main()
