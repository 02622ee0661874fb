"""TLS over real loopback sockets: generated certificates, verification, implicit
TLS and the STARTTLS-style upgrade of an open stream, and key logs."""

from __future__ import annotations

import ipaddress
import ssl
from pathlib import Path

import pytest
import trio
from cryptography import x509

from harness.net import (
    CertificatePaths,
    client_ssl_context,
    describe_tls,
    ensure_self_signed,
    open_connection,
    server_ssl_context,
    start_tls,
)
from harness.targets import TLSMode
from tests.net.helpers import keylog_lines, serve_on_loopback


async def tls_echo_once(stream: trio.SocketStream, context: ssl.SSLContext) -> None:
    """Accept TLS on a fresh connection, echo one chunk, close politely."""
    tls = await start_tls(stream, context, server_side=True)
    data = await tls.receive_some(1024)
    await tls.send_all(b"echo:" + data)
    await tls.aclose()


def test_certificate_is_cached_and_names_every_loopback_form(tmp_path: Path) -> None:
    first = ensure_self_signed(tmp_path)
    pem = first.cert.read_bytes()
    second = ensure_self_signed(tmp_path)
    assert second == first
    assert second.cert.read_bytes() == pem  # reused, not regenerated
    assert first.key.stat().st_mode & 0o077 == 0  # the private key is private
    san = x509.load_pem_x509_certificate(pem).extensions.get_extension_for_class(
        x509.SubjectAlternativeName
    )
    assert san.value.get_values_for_type(x509.DNSName) == ["localhost"]
    assert set(san.value.get_values_for_type(x509.IPAddress)) == {
        ipaddress.ip_address("127.0.0.1"),
        ipaddress.ip_address("::1"),
    }


def test_damaged_cached_certificate_is_regenerated(tmp_path: Path) -> None:
    paths = ensure_self_signed(tmp_path)
    paths.cert.write_text("not a certificate")
    regenerated = ensure_self_signed(tmp_path)
    x509.load_pem_x509_certificate(regenerated.cert.read_bytes())  # parses again


@pytest.mark.parametrize("server_hostname", ["127.0.0.1", "localhost", "::1"])
async def test_implicit_tls_verifies_against_the_generated_certificate(
    server_context: ssl.SSLContext,
    trusting_client_context: ssl.SSLContext,
    server_hostname: str,
) -> None:
    async with trio.open_nursery() as nursery:
        port = await serve_on_loopback(nursery, lambda s: tls_echo_once(s, server_context))
        stream = await open_connection(
            "127.0.0.1",
            port,
            TLSMode.IMPLICIT,
            trusting_client_context,
            server_hostname=server_hostname,
        )
        assert (describe_tls(stream) or "").startswith("TLSv1.")
        await stream.send_all(b"hi")
        assert await stream.receive_some(1024) == b"echo:hi"
        await stream.aclose()
        nursery.cancel_scope.cancel()


async def test_verifying_client_refuses_an_untrusted_certificate(
    server_context: ssl.SSLContext,
) -> None:
    async with trio.open_nursery() as nursery:

        async def server(stream: trio.SocketStream) -> None:
            with pytest.raises(trio.BrokenResourceError):
                await tls_echo_once(stream, server_context)

        port = await serve_on_loopback(nursery, server)
        with pytest.raises(trio.BrokenResourceError) as failure:
            await open_connection("127.0.0.1", port, TLSMode.IMPLICIT, client_ssl_context())
        assert isinstance(failure.value.__cause__, ssl.SSLCertVerificationError)
        nursery.cancel_scope.cancel()


async def test_verify_off_accepts_a_self_signed_server(server_context: ssl.SSLContext) -> None:
    async with trio.open_nursery() as nursery:
        port = await serve_on_loopback(nursery, lambda s: tls_echo_once(s, server_context))
        context = client_ssl_context(verify=False)
        stream = await open_connection("127.0.0.1", port, TLSMode.IMPLICIT, context)
        await stream.send_all(b"x")
        assert await stream.receive_some(1024) == b"echo:x"
        await stream.aclose()
        nursery.cancel_scope.cancel()


async def test_upgrade_of_a_stream_that_already_carried_plaintext(
    server_context: ssl.SSLContext, trusting_client_context: ssl.SSLContext
) -> None:
    async def server(stream: trio.SocketStream) -> None:
        assert await stream.receive_some(1024) == b"STARTTLS\r\n"
        await stream.send_all(b"220 go ahead\r\n")
        await tls_echo_once(stream, server_context)

    async with trio.open_nursery() as nursery:
        port = await serve_on_loopback(nursery, server)
        plain = await open_connection("127.0.0.1", port, TLSMode.STARTTLS)
        await plain.send_all(b"STARTTLS\r\n")
        assert await plain.receive_some(1024) == b"220 go ahead\r\n"
        tls = await start_tls(
            plain, trusting_client_context, server_side=False, server_hostname="localhost"
        )
        await tls.send_all(b"secret")
        assert await tls.receive_some(1024) == b"echo:secret"
        await tls.aclose()
        nursery.cancel_scope.cancel()


@pytest.mark.parametrize(
    ("version", "secret_label"),
    [
        (ssl.TLSVersion.TLSv1_3, "CLIENT_HANDSHAKE_TRAFFIC_SECRET"),
        (ssl.TLSVersion.TLSv1_2, "CLIENT_RANDOM"),
    ],
)
async def test_both_sides_write_an_nss_key_log(
    tmp_path: Path, certs: CertificatePaths, version: ssl.TLSVersion, secret_label: str
) -> None:
    server_log, client_log = tmp_path / "server.keys", tmp_path / "client.keys"
    server_context = server_ssl_context(certs.cert, certs.key, keylog_filename=server_log)
    client_context = client_ssl_context(ca_file=certs.cert, keylog_filename=client_log)
    client_context.maximum_version = version
    async with trio.open_nursery() as nursery:
        port = await serve_on_loopback(nursery, lambda s: tls_echo_once(s, server_context))
        stream = await open_connection("127.0.0.1", port, TLSMode.IMPLICIT, client_context)
        await stream.send_all(b"k")
        assert await stream.receive_some(1024) == b"echo:k"
        await stream.aclose()
        nursery.cancel_scope.cancel()
    for log in (server_log, client_log):
        secrets = [line for line in keylog_lines(log) if not line.startswith("#")]
        assert any(line.startswith(secret_label + " ") for line in secrets), secrets
        # NSS format: label, 32-byte client random in hex, secret in hex.
        assert all(len(line.split(" ")[1]) == 64 for line in secrets)


def test_contexts_refuse_anything_older_than_tls_1_2(certs: CertificatePaths) -> None:
    # Asserted on the contexts: a TLS 1.1 peer cannot be built to test against,
    # since OpenSSL 3 refuses TLS 1.1 on the client side by itself.
    server = server_ssl_context(certs.cert, certs.key)
    client = client_ssl_context(verify=False)
    assert server.minimum_version is ssl.TLSVersion.TLSv1_2
    assert client.minimum_version is ssl.TLSVersion.TLSv1_2
    assert client.verify_mode is ssl.CERT_NONE
    assert client_ssl_context().verify_mode is ssl.CERT_REQUIRED
