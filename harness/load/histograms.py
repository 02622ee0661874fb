"""Mergeable latency histograms (HdrHistogram) and the numbers read off them.

Command latencies are recorded in microseconds from 1 µs to one hour with 3
significant digits (0.1 % error at any value); delivery latencies in
milliseconds up to a day. A histogram travels as its compressed base64
encoding (the HdrHistogram interchange format), so workers can send theirs to
the master and a report keeps one that ``compare`` can merge or re-read at any
percentile. Merging is adding counts: the order of workers does not matter.
"""

from __future__ import annotations

from collections.abc import Iterable

from hdrh.histogram import HdrHistogram

COMMAND_UNIT = "us"
COMMAND_HIGHEST = 3600 * 1_000_000  # one hour, in µs
DELIVERY_UNIT = "ms"
DELIVERY_HIGHEST = 24 * 3600 * 1000  # one day, in ms
TIMELINE_HIGHEST = 600 * 1_000_000  # per-second buckets: coarser, 2 digits, up to 10 min
PERCENTILES = (50.0, 90.0, 95.0, 99.0)


def command_histogram() -> HdrHistogram:
    return HdrHistogram(1, COMMAND_HIGHEST, 3)


def delivery_histogram() -> HdrHistogram:
    return HdrHistogram(1, DELIVERY_HIGHEST, 3)


def timeline_histogram() -> HdrHistogram:
    return HdrHistogram(1, TIMELINE_HIGHEST, 2)


def record(histogram: HdrHistogram, value: float) -> None:
    """Record ``value`` clamped into the histogram's range (never lose a sample)."""
    clamped = min(max(round(value), 1), histogram.highest_trackable_value)
    histogram.record_value(clamped)


def encode(histogram: HdrHistogram) -> str:
    return histogram.encode().decode("ascii")


def decode(encoded: str) -> HdrHistogram:
    return HdrHistogram.decode(encoded.encode("ascii"))


def merged(encoded: Iterable[str], empty: HdrHistogram) -> HdrHistogram:
    """``empty`` with every encoded histogram added in."""
    for item in encoded:
        empty.add(decode(item))
    return empty


def percentile(histogram: HdrHistogram, point: float) -> int | None:
    """The value at ``point`` percent, or None for an empty histogram."""
    if histogram.get_total_count() == 0:
        return None
    return int(histogram.get_value_at_percentile(point))


def summary(histogram: HdrHistogram, scale: float) -> dict[str, float | None]:
    """p50/p90/p95/p99/max divided by ``scale`` (1000: µs -> ms).

    No mean: hdrh computes it by walking every recorded value in Python
    (tens of ms per histogram), and a mean says little about latency anyway.
    """
    if histogram.get_total_count() == 0:
        return {"p50": None, "p90": None, "p95": None, "p99": None, "max": None}
    # one pass over the counts for every percentile (the lookups are pure Python)
    at = histogram.get_percentile_to_value_dict(list(PERCENTILES))
    values: dict[str, float | None] = {
        f"p{point:g}": round(at[point] / scale, 3) for point in PERCENTILES
    }
    values["max"] = round(histogram.get_max_value() / scale, 3)
    return values
