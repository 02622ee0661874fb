"""A TCP proxy that corrupts what a real server says, one line at a time.

Put between the runner and Dovecot or Postfix, it turns a conforming server
into one that breaks exactly one rule (drops a dot terminator, changes a
reply code, miscounts EXISTS), so tests can check the harness catches it.
The client's bytes pass through untouched.
"""

from __future__ import annotations

from collections.abc import Callable

import trio

LineFault = Callable[[bytes], bytes]  # a server line (with its LF) -> what to send instead


class FaultyProxy:
    def __init__(self, upstream_port: int, fault: LineFault, host: str = "127.0.0.1") -> None:
        self.upstream = (host, upstream_port)
        self.fault = fault
        self.port = 0
        self.faults_applied = 0  # lines the fault changed

    async def serve(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
        self.port = listeners[0].socket.getsockname()[1]
        task_status.started()
        await trio.serve_listeners(self.handle, listeners)

    async def handle(self, client: trio.SocketStream) -> None:
        upstream = await trio.open_tcp_stream(*self.upstream)
        async with client, upstream, trio.open_nursery() as nursery:
            nursery.start_soon(self._pump, client, upstream, False, nursery.cancel_scope)
            nursery.start_soon(self._pump, upstream, client, True, nursery.cancel_scope)

    async def _pump(
        self,
        source: trio.SocketStream,
        sink: trio.SocketStream,
        corrupt: bool,
        done: trio.CancelScope,
    ) -> None:
        pending = b""
        try:
            while data := await source.receive_some(65536):  # ends at EOF
                if not corrupt:
                    await sink.send_all(data)
                    continue
                pending += data
                *lines, pending = pending.split(b"\n")
                await sink.send_all(b"".join(self._apply(line + b"\n") for line in lines))
            await sink.send_all(pending)
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            pass
        done.cancel()  # one side ended: end the other

    def _apply(self, line: bytes) -> bytes:
        changed = self.fault(line)
        self.faults_applied += changed != line
        return changed
