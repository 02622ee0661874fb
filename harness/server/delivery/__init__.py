"""Delivery: what happens to a message the SMTP server has accepted.

``deliver_message`` (``deliver``) prepends the trace fields (``trace``), runs
each local recipient's filing rules (``filing``), and commits every local
copy and the relay queue entry in one durable store write (``commit``).
``MailEnvelope`` / ``Recipient`` (``envelope``) describe the transaction;
``split_trace`` recovers the message exactly as sent from a stored copy.
"""

from harness.server.delivery.commit import Committed, RelayRequest
from harness.server.delivery.deliver import deliver_message
from harness.server.delivery.envelope import MailEnvelope, Recipient
from harness.server.delivery.filing import Filing, FilingRules, filing_rules
from harness.server.delivery.trace import (
    TraceInfo,
    received_field,
    return_path_field,
    split_trace,
    with_protocol,
)

__all__ = [
    "Committed",
    "Filing",
    "FilingRules",
    "MailEnvelope",
    "Recipient",
    "RelayRequest",
    "TraceInfo",
    "deliver_message",
    "filing_rules",
    "received_field",
    "return_path_field",
    "split_trace",
    "with_protocol",
]
