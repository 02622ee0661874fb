"""examples/relay-two-domains: the two configs load and route to each other.

(The example itself uses fixed ports, so tests start their own servers on
free ports instead; test_two_domains.py runs the same path.)"""

from __future__ import annotations

from pathlib import Path

from harness.server.config import RouteTLS, load_server_config

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "relay-two-domains"


def test_each_server_routes_the_other_domain_to_its_mx() -> None:
    a = load_server_config(EXAMPLE / "a.toml")
    b = load_server_config(EXAMPLE / "b.toml")
    assert (a.domains, b.domains) == (("a.test",), ("b.test",))
    assert a.routes["b.test"].port == b.listeners["smtp"].port
    assert b.routes["a.test"].port == a.listeners["smtp"].port
    assert a.routes["b.test"].tls is RouteTLS.OPPORTUNISTIC
    assert [acc.user for acc in a.accounts] == ["alice@a.test"]
    assert [acc.user for acc in b.accounts] == ["bob@b.test"]
    ports = [lst.port for cfg in (a, b) for lst in cfg.enabled_listeners()]
    assert len(ports) == len(set(ports))  # both can run at once
