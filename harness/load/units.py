"""Durations ("500ms", "10s", "2m", "1h") and sizes ("4KiB", "5MiB") in profiles."""

from __future__ import annotations

import re

_DURATION = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*(ms|s|m|h)?\s*")
_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}
_SIZE = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*(B|KiB|MiB|GiB|KB|MB|GB)?\s*")
_OCTETS = {
    None: 1,
    "B": 1,
    "KiB": 1024,
    "MiB": 1024**2,
    "GiB": 1024**3,
    "KB": 1000,
    "MB": 1000**2,
    "GB": 1000**3,
}


def parse_duration(value: object) -> float:
    """Seconds from a number (seconds) or a string with a unit; ValueError otherwise."""
    if isinstance(value, bool):
        raise ValueError(f"not a duration: {value!r}")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str) and (match := _DURATION.fullmatch(value)):
        seconds = float(match[1]) * _SECONDS[match[2]]
    else:
        raise ValueError(f"not a duration: {value!r} (e.g. 500ms, 10s, 2m, 1h)")
    if seconds < 0:
        raise ValueError(f"a duration cannot be negative: {value!r}")
    return seconds


def parse_size(value: object) -> int:
    """Octets from an integer or a string with a unit; ValueError otherwise."""
    if isinstance(value, int) and not isinstance(value, bool):
        octets = value
    elif isinstance(value, str) and (match := _SIZE.fullmatch(value)):
        octets = int(float(match[1]) * _OCTETS[match[2]])
    else:
        raise ValueError(f"not a size: {value!r} (e.g. 2048, 4KiB, 5MiB)")
    if octets <= 0:
        raise ValueError(f"a size must be positive: {value!r}")
    return octets


def format_duration(seconds: float) -> str:
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{seconds / 3600:g}h"
    if seconds >= 60 and seconds % 60 == 0:
        return f"{seconds / 60:g}m"
    if seconds < 1:
        return f"{seconds * 1000:g}ms"
    return f"{seconds:g}s"
