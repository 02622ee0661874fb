"""The server context and app over a real store: account provisioning, the auth
policy, maildrop locks."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import pytest
import trio

from harness.net import client_ssl_context, open_connection
from harness.protocols.sasl import Challenge, ClientMechanism, Success
from harness.server.app import (
    ReferenceServer,
    RunningServer,
    ServerStartError,
    load_session_module,
    running_server,
)
from harness.server.config import AccountConfig, ServerConfig, default_config
from harness.server.context import MaildropLocks, open_server_context
from harness.targets import TLSMode

pytestmark = pytest.mark.timeout(30)

ACCOUNTS = (
    AccountConfig("alice@example.test", "alicepw"),
    AccountConfig("bob@example.test", "bobpw"),
)


def small_config(tmp_path: Path) -> ServerConfig:
    """Own accounts, so (as from a file listing them) no plaintext secrets."""
    return dataclasses.replace(
        default_config(), accounts=ACCOUNTS, data_dir=tmp_path, plaintext_secrets=False
    )


async def test_accounts_are_provisioned_once_and_survive_a_restart(tmp_path: Path) -> None:
    config = small_config(tmp_path)
    async with open_server_context(config) as ctx:
        first = await ctx.store.get_user("alice@example.test")
        assert (
            await ctx.auth.verify_password("ALICE@example.TEST", "alicepw") == "alice@example.test"
        )
        assert await ctx.auth.verify_password("alice@example.test", "wrong") is None
    async with open_server_context(config) as ctx:
        again = await ctx.store.get_user("alice@example.test")
        assert first is not None and again == first  # same verifier, salt and id: no rewrite
        assert [u.name for u in await ctx.store.list_users()] == [
            "alice@example.test",
            "bob@example.test",
        ]


async def test_a_changed_password_replaces_the_stored_verifier(tmp_path: Path) -> None:
    config = small_config(tmp_path)
    async with open_server_context(config):
        pass
    changed = dataclasses.replace(
        config, accounts=(AccountConfig("alice@example.test", "newpw"), ACCOUNTS[1])
    )
    async with open_server_context(changed) as ctx:
        assert await ctx.auth.verify_password("alice@example.test", "newpw")
        assert await ctx.auth.verify_password("alice@example.test", "alicepw") is None


async def test_plaintext_secrets_switch_cram_md5_and_apop(tmp_path: Path) -> None:
    config = small_config(tmp_path)
    async with open_server_context(config) as ctx:
        assert ctx.auth.all_mechanisms == ("SCRAM-SHA-256", "PLAIN", "LOGIN")
        assert not ctx.auth.apop_enabled
        user = await ctx.store.get_user("bob@example.test")
        assert user is not None and user.credentials.cram_secret is None
    keeping = dataclasses.replace(config, plaintext_secrets=True)
    async with open_server_context(keeping, plaintext_secrets=False) as ctx:
        assert "CRAM-MD5" not in ctx.auth.all_mechanisms  # the argument overrides the config
    async with open_server_context(keeping) as ctx:
        assert ctx.auth.all_mechanisms == ("SCRAM-SHA-256", "CRAM-MD5", "PLAIN", "LOGIN")
        assert ctx.auth.apop_enabled
        exchange = ctx.auth.new_exchange("CRAM-MD5")
        client = ClientMechanism.create("CRAM-MD5", "bob@example.test", "bobpw")
        challenge = await ctx.auth.start(exchange, None)
        assert isinstance(challenge, Challenge)
        outcome = await ctx.auth.step(exchange, client.step(challenge.data))
        assert isinstance(outcome, Success) and outcome.authcid == "bob@example.test"


async def test_tls_policy_hides_every_mechanism_before_tls(tmp_path: Path) -> None:
    async with open_server_context(small_config(tmp_path)) as ctx:
        assert ctx.auth.mechanisms(tls=False) == ()
        assert not ctx.auth.may_authenticate(tls=False)
        assert ctx.auth.mechanisms(tls=True) == ("SCRAM-SHA-256", "PLAIN", "LOGIN")
    relaxed = dataclasses.replace(small_config(tmp_path), require_tls_for_auth=False)
    async with open_server_context(relaxed) as ctx:
        assert ctx.auth.may_authenticate(tls=False)


async def test_scram_exchange_runs_from_the_stored_verifier(tmp_path: Path) -> None:
    async with open_server_context(small_config(tmp_path)) as ctx:
        exchange = ctx.auth.new_exchange("SCRAM-SHA-256")
        client = ClientMechanism.create("SCRAM-SHA-256", "alice@example.test", "alicepw")
        outcome = await ctx.auth.start(exchange, client.initial_response())
        for _ in range(4):
            if not isinstance(outcome, Challenge):
                break
            outcome = await ctx.auth.step(exchange, client.step(outcome.data))
        assert isinstance(outcome, Success)


def test_maildrop_lock_is_exclusive_and_released() -> None:
    locks = MaildropLocks()
    with locks.hold("alice@example.test") as first:
        assert first
        with locks.hold("ALICE@example.test") as second:
            assert not second
        assert locks.is_held("alice@example.test")
    assert not locks.is_held("alice@example.test")


# -- the app ------------------------------------------------------------------


async def test_app_starts_on_free_ports_and_reports_every_enabled_service(
    tmp_path: Path,
) -> None:
    config = small_config(tmp_path)
    async with trio.open_nursery() as nursery:
        server: RunningServer = await nursery.start(ReferenceServer(config).run)
        enabled = {listener.service for listener in config.enabled_listeners()}
        assert set(server.listeners) | set(server.unavailable) == enabled
        assert {"pop3", "pop3s"} <= set(server.listeners)
        for bound in server.listeners.values():
            assert bound.port > 0 and bound.host == "127.0.0.1"
            stream = await trio.open_tcp_stream(bound.host, bound.port)  # accepts
            await stream.aclose()
        target = server.target()
        assert {name: s.port for name, s in target.services.items()} == {
            name: bound.port for name, bound in server.listeners.items()
        }
        assert [(a.user, a.password) for a in target.accounts] == [
            (a.user, a.password) for a in ACCOUNTS
        ]
        nursery.cancel_scope.cancel()


def test_session_modules_are_found_by_protocol_name() -> None:
    pop3 = load_session_module("pop3")
    assert pop3 is not None and callable(pop3.handle)
    assert load_session_module("nosuchprotocol") is None


async def test_messages_and_uids_survive_a_restart_on_the_same_data_dir(tmp_path: Path) -> None:
    config = small_config(tmp_path)
    async with running_server(config) as server:
        inbox = await server.context.store.inbox("alice@example.test")
        appended = await server.context.store.append(inbox.id, b"Subject: kept\r\n\r\nx\r\n")
    async with running_server(config) as server:
        inbox = await server.context.store.inbox("alice@example.test")
        (info,) = await server.context.store.list_messages(inbox.id)
        assert (info.uid, info.uidvalidity) == (appended.uid, appended.uidvalidity)


async def test_a_port_in_use_is_a_start_error_naming_the_service(tmp_path: Path) -> None:
    taken = trio.socket.socket()
    await taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    port = taken.getsockname()[1]
    pop3 = dataclasses.replace(small_config(tmp_path).listeners["pop3"], port=port)
    config = dataclasses.replace(
        small_config(tmp_path), listeners={**small_config(tmp_path).listeners, "pop3": pop3}
    )
    with (
        taken,
        pytest.RaisesGroup(
            pytest.RaisesExc(
                ServerStartError, match=f"pop3: cannot listen on 127.0.0.1 port {port}"
            ),
            flatten_subgroups=True,
        ),
    ):
        async with running_server(config):
            pass


async def test_shutdown_mid_session_deletes_nothing_and_logs_the_session(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="harness.server.session")
    config = dataclasses.replace(small_config(tmp_path), require_tls_for_auth=False)
    async with running_server(config) as server:
        inbox = await server.context.store.inbox("alice@example.test")
        await server.context.store.append(inbox.id, b"Subject: a\r\n\r\nx\r\n")
        stream = await trio.open_tcp_stream(server.host, server.port("pop3"))
        await stream.send_all(b"USER alice@example.test\r\nPASS alicepw\r\nDELE 1\r\n")
        received = b""
        with trio.fail_after(5):
            while received.count(b"\r\n") < 4:  # greeting and three replies
                received += await stream.receive_some(4096)
        assert received.endswith(b"+OK message 1 deleted\r\n")
    # The server is gone (cancelled mid-session); the deletion was never committed.
    async with open_server_context(config) as ctx:
        inbox = await ctx.store.inbox("alice@example.test")
        assert len(await ctx.store.list_messages(inbox.id)) == 1
    await stream.aclose()
    lines = [r.getMessage() for r in caplog.records if r.name == "harness.server.session"]
    assert any(
        "service=pop3" in line and "user=alice@example.test" in line and "result=cancelled" in line
        for line in lines
    ), lines


async def test_verbose_logging_records_the_transcript(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="harness.server.session")
    caplog.set_level(logging.DEBUG, logger="harness.server.transcript")  # last: sets the handler
    async with running_server(small_config(tmp_path)) as server:
        stream = await trio.open_tcp_stream(server.host, server.port("pop3"))
        async with stream:
            await stream.send_all(b"CAPA\r\nQUIT\r\n")
            with trio.fail_after(5):
                while await stream.receive_some(4096):
                    pass
    transcript = [r.getMessage() for r in caplog.records if r.name.endswith(".transcript")]
    assert "pop3-1 C: CAPA${CRLF}" in transcript
    assert any(line.startswith("pop3-1 S: +OK") for line in transcript)
    sessions = [r.getMessage() for r in caplog.records if r.name.endswith(".session")]
    assert any("id=pop3-1" in line and "result=quit" in line for line in sessions)


async def test_tls_secrets_go_to_the_configured_key_log(tmp_path: Path) -> None:
    keylog = tmp_path / "keys.log"
    base = small_config(tmp_path)
    config = dataclasses.replace(base, tls=dataclasses.replace(base.tls, keylog=keylog))
    async with running_server(config) as server:
        context = client_ssl_context(ca_file=server.target().ca_file)
        stream = await open_connection(
            server.host,
            server.port("pop3s"),
            TLSMode.IMPLICIT,
            context,
            server_hostname="localhost",
        )
        async with stream:
            assert (await stream.receive_some(512)).startswith(b"+OK")
    assert "CLIENT_TRAFFIC_SECRET_0" in keylog.read_text()
