"""The STLS sub-dialogue (RFC 2595 §4): nothing crosses from plaintext into TLS.

RFC 2595 §4: after "+OK" to STLS "the client MUST begin the TLS negotiation".
Anything the peer sent after the STLS line (server side) or after the +OK
line (client side) arrived in plaintext before the handshake. Processing it
after the handshake is the CVE-2011-0411 class of command (or response)
injection, so the core discards those octets and records them as evidence:
``injected_octets`` counts them, ``evidence`` keeps the first
``EVIDENCE_OCTETS``. ``start_tls()`` then resets framing for the TLS stream.
"""

from __future__ import annotations

EVIDENCE_OCTETS = 1024


class StlsGuard:
    """Collects what arrived between the STLS +OK and the TLS handshake."""

    def __init__(self) -> None:
        self.waiting = False  # +OK to STLS passed, start_tls() not yet called
        self.injected_octets = 0
        self.evidence = b""

    def begin(self, buffered: bytes) -> None:
        """+OK to STLS: what is already buffered is injection."""
        self.waiting = True
        self.discard(buffered)

    def discard(self, data: bytes) -> None:
        self.injected_octets += len(data)
        room = EVIDENCE_OCTETS - len(self.evidence)
        if room > 0:
            self.evidence += data[:room]

    def finish(self) -> None:
        self.waiting = False

    @property
    def injection_seen(self) -> bool:
        return self.injected_octets > 0
