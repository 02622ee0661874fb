"""A key log beside the pcap lets tshark read the IMAP commands of an IMAPS capture.

A small implicit-TLS IMAP server (trio) and a client whose SSL context writes
its secrets to ``keylog_path(pcap)``; tcpdump captures; tshark decrypts with
the key log and must show the client's commands. The client's transcript is
then checked against the capture: plaintext cannot be compared through TLS,
so the record layer is.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import trio

from harness.capture import TcpdumpCapture, check_completeness, keylog_path, pcap_path
from harness.net import client_ssl_context, ensure_self_signed, server_ssl_context, start_tls
from harness.transcript import Direction, Endpoint, Recorder, Transcript
from tests.capture.conftest import needs_capture, needs_tshark

COMMANDS = [b"a1 LOGIN alice secret\r\n", b"a2 NOOP\r\n", b"a3 LOGOUT\r\n"]


def test_the_keylog_sits_beside_the_pcap(tmp_path: Path) -> None:
    pcap = pcap_path(tmp_path, "IMAP-LOGIN/with space")
    assert pcap == tmp_path / "IMAP-LOGIN_with_space.pcap"
    assert keylog_path(pcap) == tmp_path / "IMAP-LOGIN_with_space.keys"


async def imaps_server(stream: trio.SocketStream, certs_dir: Path) -> None:
    paths = ensure_self_signed(certs_dir)
    tls = await start_tls(stream, server_ssl_context(paths.cert, paths.key), server_side=True)
    await tls.send_all(b"* OK [CAPABILITY IMAP4rev1] ready\r\n")
    pending = b""
    while not pending.startswith(b"a3 "):
        pending = b""
        while not pending.endswith(b"\n"):
            pending += await tls.receive_some(4096)
        tag = pending.split(b" ", 1)[0]
        await tls.send_all(tag + b" OK done\r\n")
    await tls.aclose()


async def imaps_client(port: int, keylog: Path) -> Transcript:
    stream = await trio.open_tcp_stream("127.0.0.1", port)
    here, there = stream.socket.getsockname(), stream.socket.getpeername()
    recorder = Recorder("c1", "imaps", client=Endpoint(*here[:2]), server=Endpoint(*there[:2]))
    recorder.tls_started()
    context = client_ssl_context(verify=False, keylog_filename=keylog)
    tls = await start_tls(stream, context, server_side=False)
    recorder.record(Direction.SERVER, await tls.receive_some(4096))
    for command in COMMANDS:
        await tls.send_all(command)
        recorder.record(Direction.CLIENT, command)
        recorder.record(Direction.SERVER, await tls.receive_some(4096))
    await tls.aclose()
    return recorder.transcript


@needs_capture("tcpdump")
@needs_tshark
async def test_tshark_decrypts_an_imaps_capture_with_the_keylog(tmp_path: Path) -> None:
    pcap = pcap_path(tmp_path, "IMAPS-KEYLOG")
    listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
    port = listeners[0].socket.getsockname()[1]
    capture = TcpdumpCapture(pcap, ports=[port])
    await trio.to_thread.run_sync(capture.start)
    try:
        with trio.fail_after(20):
            async with trio.open_nursery() as nursery:

                async def accept_one() -> None:
                    await imaps_server(await listeners[0].accept(), tmp_path / "certs")

                nursery.start_soon(accept_one)
                transcript = await imaps_client(port, keylog_path(pcap))
    finally:
        await trio.to_thread.run_sync(capture.stop)
        await listeners[0].aclose()
    assert "CLIENT_HANDSHAKE_TRAFFIC_SECRET" in keylog_path(pcap).read_text()
    assert tshark_requests(pcap, port) == ["a1 LOGIN alice secret", "a2 NOOP", "a3 LOGOUT"]
    without_keys = tshark_requests(pcap, port, keylog=False)
    assert without_keys == []  # the capture itself is encrypted
    (check,) = check_completeness(pcap, [transcript]).checks
    assert check.status.value == "complete" and check.tls, check.detail


def tshark_requests(pcap: Path, port: int, keylog: bool = True) -> list[str]:
    tshark = shutil.which("tshark")
    assert tshark is not None
    options = ["-o", f"tls.keylog_file:{keylog_path(pcap)}"] if keylog else []
    decode_as = ["-d", f"tcp.port=={port},imap", "-Y", "imap"]
    fields = ["-T", "fields", "-e", "imap.request"]
    done = subprocess.run(
        [tshark, "-r", str(pcap), *options, *decode_as, *fields],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return [line for line in done.stdout.splitlines() if line]
