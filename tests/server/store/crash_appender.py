"""Appends messages as fast as it can and prints each one once it is acknowledged.

Run by test_store_crash.py, which SIGKILLs it mid-storm:
    python crash_appender.py DATA_DIR THREADS
Prints "ready", then one "ack UID SHA256 SIZE" line per append that returned.
Every message describes itself (X-Body-Length, X-Body-SHA256 headers) so the
test can tell a whole message from a torn one without knowing the seed.
"""

from __future__ import annotations

import hashlib
import itertools
import sys
import threading

from harness.server.store import Mailstore


def make_message(seq: int) -> bytes:
    body = hashlib.sha256(b"%d" % seq).hexdigest().encode() * (1 + seq % 50) + b"\r\n"
    digest = hashlib.sha256(body).hexdigest().encode()
    return b"X-Seq: %d\r\nX-Body-Length: %d\r\nX-Body-SHA256: %s\r\n\r\n%s" % (
        seq,
        len(body),
        digest,
        body,
    )


def main() -> None:
    data_dir, threads = sys.argv[1], int(sys.argv[2])
    store = Mailstore(data_dir)
    user = store.get_user("storm@example.test") or store.create_user("storm@example.test")
    inbox = store.inbox(user.name)
    sequence = itertools.count()
    print_lock = threading.Lock()

    def append_forever() -> None:
        while True:
            message = make_message(next(sequence))
            uid = store.append(inbox.id, message).uid
            line = f"ack {uid} {hashlib.sha256(message).hexdigest()} {len(message)}\n"
            with print_lock:
                sys.stdout.write(line)
                sys.stdout.flush()

    print("ready", flush=True)
    workers = [threading.Thread(target=append_forever, daemon=True) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()


if __name__ == "__main__":
    main()
