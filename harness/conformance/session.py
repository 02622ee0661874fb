"""One connection of a case: a real socket, the decoder, the transcript.

A ``Session`` sends the script's bytes as they are, decodes what the server
sends into whole responses (``decoders``), and keeps the responses that no
expectation has consumed yet. Every byte, the TLS start and each close go
into the session's Transcript. Timeouts are the caller's cancel scopes; the
session itself never waits unboundedly on its own.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass

import trio

from harness.conformance.decoders import IMAPDecoder, ResponseDecoder, SMTPDecoder
from harness.conformance.pop3_decoder import POP3Decoder
from harness.conformance.response import Response
from harness.net import Direction as WireDirection
from harness.net import PeerClosed, ProtocolStream, open_connection
from harness.targets import Service, Target, TLSMode
from harness.transcript import Direction, Endpoint, Recorder, Transcript

MAX_UNCONSUMED = 256 << 20  # octets of responses no expectation took: a flood past this fails
GRACEFUL_CLOSE_S = 1.0


class ConnectFailed(Exception):
    """The harness could not reach the service (the case's verdict is error)."""


class Flooded(Exception):
    """The server sent more than MAX_UNCONSUMED octets that nothing asked for."""


def new_decoder(protocol: str, *, tls: bool) -> ResponseDecoder:
    if protocol == "smtp":
        return SMTPDecoder()
    if protocol == "pop3":
        return POP3Decoder(tls=tls)
    if protocol == "imap":
        return IMAPDecoder()
    raise ValueError(f"no decoder for protocol {protocol!r}")


@dataclass
class Session:
    name: str
    service: Service
    account: int  # 1-based, as scripts number accounts
    stream: ProtocolStream
    decoder: ResponseDecoder
    recorder: Recorder
    host: str
    responses: list[Response]
    server_closed: bool = False
    client_closed: bool = False
    write_error: str | None = None  # why the last send did not reach the server

    @property
    def protocol(self) -> str:
        return self.service.protocol

    @property
    def transcript(self) -> Transcript:
        return self.recorder.transcript

    @property
    def tls_active(self) -> bool:
        return self.stream.tls is not None

    # --- bytes out --------------------------------------------------------------

    async def send(self, data: bytes) -> None:
        """Write ``data`` in one call. A server that hung up is noted, not raised:
        the expectations that follow say what was missing."""
        self.decoder.note_sent(data)
        try:
            await self.stream.send_raw(data)
        except (trio.BrokenResourceError, trio.ClosedResourceError) as error:
            self.write_error = f"the write failed: {error or type(error).__name__}"

    # --- bytes in -----------------------------------------------------------------

    async def receive(self) -> bool:
        """Wait for one more whole response; False once the server has closed."""
        if self.server_closed or self.client_closed:
            return False
        try:
            event = await self.stream.next_event()
        except PeerClosed:
            self._note_server_close()
            return False
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            # A reset is a close; bytes of a half response are still judged.
            self.decoder.receive_data(b"")
            self._note_server_close()
            event = self.decoder.next_event()
            if not isinstance(event, Response):
                return False
        assert isinstance(event, Response)
        self.responses.append(event)
        if sum(len(response.raw) for response in self.responses) > MAX_UNCONSUMED:
            raise Flooded(f"{self.name}: over {MAX_UNCONSUMED} octets nobody asked for")
        return True

    def _note_server_close(self) -> None:
        if not self.server_closed:
            self.server_closed = True
            self.recorder.closed(Direction.SERVER)

    def take(self, count: int) -> list[Response]:
        """Remove the first ``count`` responses (an expectation consumed them)."""
        taken, self.responses[:count] = self.responses[:count], []
        return taken

    # --- TLS and closing -----------------------------------------------------------

    async def start_tls(self, context: ssl.SSLContext) -> None:
        """The TLS handshake after STARTTLS/STLS; the caller bounds the time."""
        self.recorder.tls_started()
        await self.stream.start_tls(context, server_side=False, server_hostname=self.host)

    async def aclose(self) -> None:
        if self.client_closed:
            return
        self.client_closed = True
        with trio.move_on_after(GRACEFUL_CLOSE_S) as scope:
            await self.stream.aclose()
        if scope.cancelled_caught:
            await trio.aclose_forcefully(self.stream.stream)
        if not self.server_closed:
            self.recorder.closed(Direction.CLIENT)


async def connect(
    target: Target,
    service_name: str,
    *,
    name: str,
    account: int,
    connection_id: str,
    context: ssl.SSLContext,
) -> Session:
    """Open a TCP connection (and implicit TLS) to one service; the caller bounds the time."""
    service = target.service(service_name)
    recorder = Recorder(connection_id, service_name, server=Endpoint(target.host, service.port))
    implicit = service.tls is TLSMode.IMPLICIT
    if implicit:
        recorder.tls_started()
    try:
        stream = await open_connection(
            target.host, service.port, service.tls, context, server_hostname=target.host
        )
    except ssl.SSLCertVerificationError as error:
        raise ConnectFailed(f"{service_name}: certificate not trusted: {error}") from None
    except (OSError, trio.BrokenResourceError) as error:
        where = f"{service_name} at {target.host}:{service.port}"
        raise ConnectFailed(f"cannot connect to {where}: {_describe(error)}") from None

    _note_endpoints(recorder.transcript, stream)

    def record(direction: WireDirection, data: bytes, timestamp: float) -> None:
        sender = Direction.CLIENT if direction is WireDirection.SENT else Direction.SERVER
        recorder.record(sender, data)

    decoder = new_decoder(service.protocol, tls=implicit)
    protocol_stream = ProtocolStream(decoder, stream, transcript=record)
    return Session(
        name, service, account, protocol_stream, decoder, recorder, target.host, responses=[]
    )


def _note_endpoints(transcript: Transcript, stream: trio.abc.Stream) -> None:
    """Both ends as the socket sees them: a capture is matched to the transcript by them."""
    transport = stream.transport_stream if isinstance(stream, trio.SSLStream) else stream
    if not isinstance(transport, trio.SocketStream):
        return
    here, there = transport.socket.getsockname(), transport.socket.getpeername()
    transcript.client = Endpoint(here[0], here[1])
    transcript.server = Endpoint(there[0], there[1])


def _describe(error: BaseException) -> str:
    """The root cause in a few words: "connection refused", "TLS handshake failed: ..."."""
    cause = error.__cause__
    if isinstance(error, trio.BrokenResourceError) and cause is not None:
        return f"TLS handshake failed: {cause}"
    if isinstance(cause, BaseExceptionGroup) and cause.exceptions:
        return _describe(cause.exceptions[0])  # trio: "all attempts to connect ... failed"
    if isinstance(error, OSError) and error.strerror:
        return error.strerror.lower()
    return str(error) or type(error).__name__
