"""ProtocolStream: a sans-IO core driven over real trio streams (memory pairs and
loopback TCP), including the mid-stream TLS upgrade and the transcript hook."""

from __future__ import annotations

import ssl

import pytest
import trio
import trio.testing

from harness.net import Direction, IdleTimeout, PeerClosed, ProtocolStream, open_connection
from harness.protocols.common import LineTooLong
from harness.targets import TLSMode
from tests.net.helpers import Closed, Line, LineCore, serve_on_loopback


class Recorder:
    """A transcript hook that keeps what it is given."""

    def __init__(self) -> None:
        self.chunks: list[tuple[Direction, bytes, float]] = []

    def __call__(self, direction: Direction, data: bytes, timestamp: float) -> None:
        self.chunks.append((direction, data, timestamp))

    def joined(self, direction: Direction) -> bytes:
        return b"".join(data for d, data, _ in self.chunks if d is direction)


async def test_pipelined_lines_become_events_then_the_close_ends_iteration() -> None:
    ours, theirs = trio.testing.memory_stream_pair()
    recorder = Recorder()
    session = ProtocolStream(LineCore(), ours, transcript=recorder, clock=lambda: 42.0)
    await theirs.send_all(b"ONE\r\nTWO\r\nTH")
    await theirs.send_all(b"REE\r\n")
    await theirs.aclose()
    events = [event async for event in session]
    assert events == [Line(b"ONE"), Line(b"TWO"), Line(b"THREE"), Closed()]
    assert recorder.joined(Direction.RECEIVED) == b"ONE\r\nTWO\r\nTHREE\r\n"
    assert {timestamp for _, _, timestamp in recorder.chunks} == {42.0}
    with pytest.raises(PeerClosed):
        await session.next_event()


async def test_reads_are_bounded_by_receive_size() -> None:
    ours, theirs = trio.testing.memory_stream_pair()
    recorder = Recorder()
    session = ProtocolStream(LineCore(), ours, receive_size=3, transcript=recorder)
    await theirs.send_all(b"abcdefgh\r\n")
    assert await session.next_event() == Line(b"abcdefgh")
    sizes = [len(data) for _, data, _ in recorder.chunks]
    assert max(sizes) <= 3 and sum(sizes) == 10


async def test_send_writes_what_the_core_serialises_and_records_it() -> None:
    ours, theirs = trio.testing.memory_stream_pair()
    recorder = Recorder()
    session = ProtocolStream(LineCore(), ours, transcript=recorder)
    await session.send(Line(b"250 OK"))
    await session.send_raw(b"")  # nothing to write, nothing to record
    await session.send_raw(b"500 raw\r\n")
    assert await theirs.receive_some(100) == b"250 OK\r\n500 raw\r\n"
    assert [d for d, _, _ in recorder.chunks] == [Direction.SENT, Direction.SENT]


async def test_silence_ends_in_idle_timeout() -> None:
    ours, _theirs = trio.testing.memory_stream_pair()
    session = ProtocolStream(LineCore(), ours, idle_timeout=0.05)
    with pytest.raises(IdleTimeout):
        await session.next_event()


async def test_a_peer_dripping_bytes_still_times_out() -> None:
    ours, theirs = trio.testing.memory_stream_pair()
    session = ProtocolStream(LineCore(), ours, idle_timeout=0.15)

    async def drip() -> None:
        for _ in range(30):  # longer than the timeout, never a whole line
            await theirs.send_all(b"x")
            await trio.sleep(0.02)

    async with trio.open_nursery() as nursery:
        nursery.start_soon(drip)
        with pytest.raises(IdleTimeout):
            await session.next_event()
        nursery.cancel_scope.cancel()


async def test_core_errors_propagate() -> None:
    ours, theirs = trio.testing.memory_stream_pair()
    session = ProtocolStream(LineCore(max_line=8), ours)
    await theirs.send_all(b"far too long a line\r\n")
    with pytest.raises(LineTooLong):
        await session.next_event()


async def starttls_server(
    stream: trio.SocketStream,
    context: ssl.SSLContext,
    seen: list[object],
    recorder: Recorder,
    done: trio.Event,
) -> None:
    try:
        await serve_line_session(stream, context, seen, recorder)
    finally:
        done.set()


async def serve_line_session(
    stream: trio.SocketStream, context: ssl.SSLContext, seen: list[object], recorder: Recorder
) -> None:
    async with ProtocolStream(LineCore(), stream, idle_timeout=5, transcript=recorder) as session:
        seen.append(await session.next_event())
        await session.send(Line(b"220 go ahead"))
        await session.start_tls(context, server_side=True)
        seen.append(session.tls)
        async for event in session:
            seen.append(event)
            if isinstance(event, Line):
                await session.send(Line(b"echo " + event.text))
        seen.append(session.ragged_eof)


@pytest.mark.parametrize("polite_close", [True, False])
async def test_starttls_upgrade_mid_stream(
    server_context: ssl.SSLContext,
    trusting_client_context: ssl.SSLContext,
    polite_close: bool,
) -> None:
    seen: list[object] = []
    recorder, done = Recorder(), trio.Event()
    with trio.fail_after(5):
        async with trio.open_nursery() as nursery:
            port = await serve_on_loopback(
                nursery, lambda s: starttls_server(s, server_context, seen, recorder, done)
            )
            await starttls_client(port, trusting_client_context, polite_close)
            await done.wait()
            nursery.cancel_scope.cancel()
    assert seen[0] == Line(b"STARTTLS")
    assert str(seen[1]).startswith("TLSv1.")
    # The plaintext pipelined behind STARTTLS was never read as a command.
    assert seen[2:] == [Line(b"after"), Closed(), not polite_close]
    assert recorder.joined(Direction.RECEIVED).endswith(b"after\r\n")  # plaintext, decrypted
    assert recorder.joined(Direction.SENT) == b"220 go ahead\r\necho after\r\n"


async def starttls_client(port: int, context: ssl.SSLContext, polite_close: bool) -> None:
    plain = await open_connection("127.0.0.1", port, TLSMode.STARTTLS)
    client = ProtocolStream(LineCore(), plain, idle_timeout=5)
    await client.send_raw(b"STARTTLS\r\nINJECTED\r\n")
    assert await client.next_event() == Line(b"220 go ahead")
    await client.start_tls(context, server_side=False, server_hostname="::1")
    assert (client.tls or "").startswith("TLSv1.")
    await client.send(Line(b"after"))
    assert await client.next_event() == Line(b"echo after")
    if polite_close:
        await client.aclose()  # close_notify first
    else:
        assert isinstance(client.stream, trio.SSLStream)
        await trio.aclose_forcefully(client.stream.transport_stream)


async def test_implicit_tls_without_a_context_is_refused_before_connecting() -> None:
    with pytest.raises(ValueError, match="ssl_context"):
        await open_connection("127.0.0.1", 9, TLSMode.IMPLICIT)
