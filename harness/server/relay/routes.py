"""Next hops: which SMTP server each recipient's mail goes to.

The route table (``[routes]`` in the server config) maps a recipient domain
to host:port and a TLS policy, and ``"*"`` to the smarthost for every other
domain; no DNS is consulted, so two servers on loopback can relay to each
other. Recipients whose domains lead to the same
host, port and TLS policy share one SMTP transaction (RFC 5321 §3.3: one
message, many RCPTs), which is also what keeps the copies identical.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from harness.server.config import Route
from harness.server.delivery import Recipient

DEFAULT_ROUTE = "*"  # the route for any domain without its own


@dataclass(frozen=True, slots=True)
class HopPlan:
    """One next hop and the recipients it gets."""

    route: Route
    recipients: tuple[Recipient, ...]

    @property
    def where(self) -> str:
        return f"{self.route.host}:{self.route.port}"


def recipient_domain(address: str) -> str:
    """The domain a route is looked up by: case-folded, without a trailing dot."""
    return address.rpartition("@")[2].lower().rstrip(".")


def plan_hops(
    recipients: Sequence[Recipient], routes: Mapping[str, Route]
) -> tuple[list[HopPlan], list[Recipient]]:
    """The hops to try, in recipient order, and the recipients with no route."""
    grouped: dict[tuple[str, int, str], list[Recipient]] = {}
    first_route: dict[tuple[str, int, str], Route] = {}
    unroutable: list[Recipient] = []
    for recipient in recipients:
        route = routes.get(recipient_domain(recipient.address)) or routes.get(DEFAULT_ROUTE)
        if route is None:
            unroutable.append(recipient)
            continue
        key = (route.host.lower(), route.port, route.tls.value)
        grouped.setdefault(key, []).append(recipient)
        first_route.setdefault(key, route)
    plans = [HopPlan(first_route[key], tuple(members)) for key, members in grouped.items()]
    return plans, unroutable
