"""The relay's config keys: route TLS policies and the [relay] retry settings."""

from __future__ import annotations

import pytest

from harness.server.config import (
    ConfigError,
    RelaySettings,
    RouteTLS,
    default_config,
    parse_server_config,
)


def test_defaults_follow_rfc_5321_retry_strategy() -> None:
    relay = default_config().relay
    assert relay == RelaySettings()
    assert relay.retry_interval >= 30 * 60  # §4.5.4.1: at least 30 minutes
    assert relay.give_up_after >= 4 * 86400  # §4.5.4.1: at least 4-5 days


def test_route_string_and_table_forms() -> None:
    config = parse_server_config(
        {
            "routes": {
                "B.test": "127.0.0.1:2526",
                "c.test": {"host": "::1", "port": 465, "tls": "implicit"},
            }
        },
        source="t.toml",
    )
    assert config.routes["b.test"].tls is RouteTLS.OPPORTUNISTIC
    assert (config.routes["b.test"].host, config.routes["b.test"].port) == ("127.0.0.1", 2526)
    assert config.routes["c.test"].tls is RouteTLS.IMPLICIT
    assert (config.routes["c.test"].host, config.routes["c.test"].port) == ("::1", 465)


def test_relay_settings_are_read() -> None:
    config = parse_server_config(
        {"relay": {"retry_interval": 0.05, "give_up_after": 2, "max_parallel": 3}},
        source="t.toml",
    )
    assert config.relay.retry_interval == 0.05
    assert config.relay.give_up_after == 2.0
    assert config.relay.max_parallel == 3


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"relay": {"retry_intervall": 1.0}}, "relay.retry_intervall"),
        ({"relay": {"connect_timeout": 0}}, "relay.connect_timeout"),
        ({"relay": {"retry_backoff": 0.5}}, "relay.retry_backoff"),
        ({"routes": {"b.test": {"host": "h", "port": 25, "tls": "maybe"}}}, "routes.b.test.tls"),
        ({"routes": {"b.test": {"host": "h"}}}, "routes.b.test.port"),
    ],
)
def test_bad_relay_keys_name_the_key(data: dict[str, object], key: str) -> None:
    with pytest.raises(ConfigError, match=key.replace(".", "\\.")):
        parse_server_config(data, source="t.toml")
