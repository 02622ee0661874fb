"""The server context and app over a real store: account provisioning, the auth
policy, maildrop locks."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from harness.protocols.sasl import Challenge, ClientMechanism, Success
from harness.server.config import AccountConfig, ServerConfig, default_config
from harness.server.context import MaildropLocks, open_server_context

pytestmark = pytest.mark.timeout(30)

ACCOUNTS = (
    AccountConfig("alice@example.test", "alicepw"),
    AccountConfig("bob@example.test", "bobpw"),
)


def small_config(tmp_path: Path) -> ServerConfig:
    return dataclasses.replace(default_config(), accounts=ACCOUNTS, data_dir=tmp_path)


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
    async with open_server_context(config, plaintext_secrets=True) as ctx:
        assert "CRAM-MD5" in ctx.auth.all_mechanisms and ctx.auth.apop_enabled
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
