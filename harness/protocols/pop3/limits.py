"""Bounds on what a POP3 core buffers: every one is configurable.

RFC 2449 §4: "Keywords and arguments ... The maximum length of a command is
increased from 47 characters ... to 255 octets, including the terminating
CRLF." and "... the maximum length of the first line of a response to 512
octets, including the terminating CRLF." AUTH continuation lines have no limit
in RFC 5034; ``max_sasl_line`` bounds them anyway.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class POP3Limits:
    """Line caps in octets, CRLF included."""

    max_command_line: int = 255  # RFC 2449 §4
    max_response_line: int = 512  # RFC 2449 §4: status lines and listing lines
    max_sasl_line: int = 8192  # AUTH continuation lines, both directions
