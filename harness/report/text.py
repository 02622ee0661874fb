"""Text hygiene shared by the renderers: reasons and transcripts may hold any character."""

from __future__ import annotations

import re

# C0 controls other than TAB/LF/CR, DEL and C1 controls: invisible or harmful on
# a terminal (they can move the cursor) and in CI comments.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# XML 1.0 cannot carry these at all, even escaped.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _hex(match: re.Match[str]) -> str:
    return f"\\x{ord(match.group()):02x}"


def visible(text: str) -> str:
    """``text`` with control characters written as ``\\xNN``."""
    return _CONTROL.sub(_hex, text)


def xml_safe(text: str) -> str:
    """``text`` with every character XML 1.0 forbids written as ``\\xNN``."""
    return _NOT_XML.sub(_hex, text)
