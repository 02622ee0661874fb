"""POP3 AUTH (RFC 5034) against the server, with the sans-IO SASL clients."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.protocols.pop3 import (
    AUTH,
    Auth,
    AuthChallenge,
    AuthLine,
    Capa,
    Capability,
    Err,
    Ok,
    Stat,
)
from harness.protocols.sasl import ClientMechanism
from tests.server.pop3.helpers import ALICE, BOB, RawPop3, pop3_server, seed

pytestmark = pytest.mark.timeout(30)

MESSAGE = b"Subject: x\r\n\r\nx\r\n"


async def authenticate(
    client: RawPop3, mechanism: str, user: str, password: str, *, initial: bool = True
) -> Ok | Err:
    """Run one AUTH exchange to its final status line (bounded round trips)."""
    sasl = ClientMechanism.create(mechanism, user, password)
    first = sasl.initial_response() if initial else None
    await client.send(Auth(mechanism, first))
    for _ in range(10):
        event = await client.session.next_event()
        if isinstance(event, Ok):
            sasl.finish()
            return event
        if isinstance(event, Err):
            return event
        assert isinstance(event, AuthChallenge), event
        await client.send(AuthLine(sasl.step(event.data)))
    raise AssertionError("AUTH did not finish in 10 round trips")


@pytest.mark.parametrize(
    ("mechanism", "initial"),
    [("PLAIN", True), ("PLAIN", False), ("LOGIN", False), ("SCRAM-SHA-256", True)],
)
async def test_each_offered_mechanism_logs_in(
    tmp_path: Path, mechanism: str, initial: bool
) -> None:
    async with pop3_server(tmp_path) as server:
        await seed(server, ALICE[0], MESSAGE)
        async with RawPop3.connect(server) as client:
            await client.stls(server)
            status = await authenticate(client, mechanism, *ALICE, initial=initial)
            stat = await client.command(Stat())
        assert isinstance(status, Ok), status
        assert stat.status.text == f"1 {len(MESSAGE)}"


async def test_cram_md5_only_when_plaintext_secrets_are_kept(tmp_path: Path) -> None:
    async with pop3_server(tmp_path / "a") as server, RawPop3.connect(server) as client:
        await client.stls(server)
        refused = await authenticate(client, "CRAM-MD5", *BOB, initial=False)
        assert isinstance(refused, Err) and "not offered" in refused.text
    async with (
        pop3_server(tmp_path / "b", plaintext_secrets=True) as server,
        RawPop3.connect(server) as client,
    ):
        await client.stls(server)
        capa = await client.command(Capa())
        status = await authenticate(client, "CRAM-MD5", *BOB, initial=False)
        assert Capability("SASL", ("SCRAM-SHA-256", "CRAM-MD5", "PLAIN", "LOGIN")) in capa.parts
        assert isinstance(status, Ok)


async def test_wrong_password_and_unknown_user_fail_with_auth_code(tmp_path: Path) -> None:
    async with pop3_server(tmp_path) as server, RawPop3.connect(server) as client:
        await client.stls(server)
        wrong = await authenticate(client, "SCRAM-SHA-256", ALICE[0], "wrong")
        unknown = await authenticate(client, "PLAIN", "nobody@example.test", "x")
        right = await authenticate(client, "PLAIN", *ALICE)
    assert isinstance(wrong, Err) and wrong.code == AUTH
    assert isinstance(unknown, Err) and unknown.code == AUTH
    assert isinstance(right, Ok)


async def test_cancel_and_bad_base64_end_the_exchange_with_err(tmp_path: Path) -> None:
    async with pop3_server(tmp_path) as server:
        async with RawPop3.connect(server) as client:
            await client.stls(server)
            await client.send(Auth("LOGIN"))
            assert isinstance(await client.session.next_event(), AuthChallenge)
            await client.send(AuthLine(cancelled=True))
            cancelled = await client.session.next_event()
            await client.send(Auth("PLAIN"))
            assert isinstance(await client.session.next_event(), AuthChallenge)
            await client.session.send_raw(b"not base64!!\r\n")
            undecodable = await client.session.next_event()
        assert isinstance(cancelled, Err)
        assert isinstance(undecodable, Err) and "base64" in undecodable.text
        async with RawPop3.connect(server) as again:  # the server serves on
            assert isinstance(await authenticate(again, "PLAIN", *ALICE), Err)  # no TLS yet


async def test_auth_before_tls_is_refused_when_tls_is_required(tmp_path: Path) -> None:
    async with pop3_server(tmp_path) as server, RawPop3.connect(server) as client:
        status = await authenticate(client, "SCRAM-SHA-256", *ALICE)
    assert isinstance(status, Err) and status.code == AUTH and "STLS" in status.text


async def test_auth_on_implicit_tls(tmp_path: Path) -> None:
    async with pop3_server(tmp_path) as server, RawPop3.connect(server, "pop3s") as client:
        status = await authenticate(client, "PLAIN", *BOB)
    assert isinstance(status, Ok)
