"""``ServerExchange``: the SASL sub-dialogue as a small phase object.

A server mechanism says *what* to answer; a protocol's SASL profile says *how*
that travels. Two profile rules are the same in SMTP, POP3 and IMAP4rev1:

* Additional data with success (SCRAM's server-final-message) cannot ride on
  the success reply, so it goes out as one more challenge, and the client must
  answer it with an empty response (RFC 4422 §5 item 7; RFC 4954 §4, RFC 5034
  §4). ``success_data_in_challenge=False`` is for profiles that can carry it
  (IMAP4rev2 ``OK [SASL ...]`` style); then ``Success.data`` is left to the core.
* A cancel ("*") or an undecodable line ends the exchange with a failure
  (RFC 5034 §4: "it MUST reject the AUTH command by sending an -ERR reply").

The exchange also bounds the number of round trips, so a client cannot keep a
session in the SASL phase forever.
"""

from __future__ import annotations

from harness.protocols.common.errors import LocalProtocolError
from harness.protocols.sasl.base import ServerMechanism
from harness.protocols.sasl.framing import Base64Error, decode_payload, is_cancel
from harness.protocols.sasl.outcomes import Challenge, Failure, FailureKind, Outcome, Success

DEFAULT_MAX_STEPS = 8


class ServerExchange:
    """Runs one server mechanism under a protocol profile (see the module doc)."""

    def __init__(
        self,
        mechanism: ServerMechanism,
        *,
        success_data_in_challenge: bool = True,
        max_steps: int = DEFAULT_MAX_STEPS,
    ) -> None:
        self.mechanism = mechanism
        self.success_data_in_challenge = success_data_in_challenge
        self.max_steps = max_steps
        self._steps = 0
        self._pending_success: Success | None = None
        self.outcome: Success | Failure | None = None

    @property
    def done(self) -> bool:
        return self.outcome is not None

    def start(self, initial_response: bytes | None) -> Outcome:
        """Begin with the (decoded) initial response, or None if the client sent none."""
        return self._frame(self.mechanism.start(initial_response))

    def step(self, response: bytes) -> Outcome:
        """Feed the client's decoded answer to the last challenge."""
        if self.done:
            raise LocalProtocolError("SASL exchange already finished")
        self._steps += 1
        if self._pending_success is not None:
            return self._confirm(response)
        if self._steps > self.max_steps:
            return self._end(Failure(FailureKind.MALFORMED, "too many SASL round trips"))
        return self._frame(self.mechanism.step(response))

    def step_line(self, line: bytes) -> Outcome:
        """Feed a raw client line (base64 or "*", without CRLF), for cores that pass text."""
        if is_cancel(line):
            return self.cancel()
        try:
            return self.step(decode_payload(line))
        except Base64Error as exc:
            return self._end(Failure(FailureKind.MALFORMED, str(exc)))

    def cancel(self) -> Failure:
        """The client sent "*"."""
        if self.done:
            raise LocalProtocolError("SASL exchange already finished")
        if not self.mechanism.done:
            self.mechanism.cancel()
        failure = Failure(FailureKind.CANCELLED, "client cancelled the exchange")
        self._end(failure)
        return failure

    def _frame(self, outcome: Outcome) -> Outcome:
        if isinstance(outcome, Challenge):
            return outcome
        if isinstance(outcome, Success) and outcome.data and self.success_data_in_challenge:
            self._pending_success = Success(outcome.authcid, outcome.authzid, None)
            return Challenge(outcome.data)
        return self._end(outcome)

    def _confirm(self, response: bytes) -> Success | Failure:
        if response:
            return self._end(Failure(FailureKind.MALFORMED, "expected an empty final response"))
        success = self._pending_success
        assert success is not None
        return self._end(success)

    def _end(self, outcome: Success | Failure) -> Success | Failure:
        self.outcome = outcome
        return outcome
