"""Messages, recorders and merging: what travels between processes adds up exactly."""

from __future__ import annotations

import random
from typing import Any

from harness.load import histograms
from harness.load.aggregate import SWEEP, Aggregator
from harness.load.clients import CommandFailed
from harness.load.messages import MessageFactory, make_id, read_id, run_of, with_id
from harness.load.metrics import Recorder
from harness.mail.integrity import verify
from harness.mail.sizes import SizeBand, message_of_size

RUN = "r1"


def test_a_load_message_carries_its_id_and_a_valid_hash() -> None:
    template = message_of_size(3, 5000).raw
    message = with_id(template, make_id(RUN, "u7", 42))
    assert verify(message)
    assert read_id(message) == "load-r1/u7-42" and run_of("load-r1/u7-42") == RUN
    assert read_id(b"Subject: x\r\n\r\nX-Mailharness-Id: body only\r\n") is None
    assert run_of("seed-3/0001-sized-5000") is None


def test_the_factory_follows_the_size_mix_and_repeats_for_a_seed() -> None:
    bands = (SizeBand(1.0, 3000, 3100), SizeBand(1.0, 20_000, 21_000))
    one, two = MessageFactory(5, bands, pool=8), MessageFactory(5, bands, pool=8)
    assert one.sizes == two.sizes
    assert all(3000 <= size <= 3100 or 20_000 <= size <= 21_000 for size in one.sizes)
    rng = random.Random(1)
    messages = [one.message(make_id(RUN, "u1", n), rng) for n in range(20)]
    assert all(verify(m) for m in messages)
    assert len({read_id(m) for m in messages}) == 20


def recorded(times_ms: list[float], failures: int = 0) -> dict[str, Any]:
    recorder = Recorder()
    for index, value in enumerate(times_ms):
        failure = CommandFailed("550 5.1.1") if index < failures else None
        recorder.on_request("SMTP", "SMTP RCPT", value, 0, failure)
    return recorder.drain()


def test_merged_snapshots_equal_one_recorder_that_saw_everything() -> None:
    rng = random.Random(9)
    values = [rng.uniform(0.1, 80.0) for _ in range(2000)]
    whole = Aggregator(RUN)
    whole.merge(recorded(values, failures=3))
    parts = Aggregator(RUN)
    parts.merge(recorded(values[1000:]))
    parts.merge(recorded(values[:1000], failures=3))
    a, b = whole.commands["SMTP RCPT"], parts.commands["SMTP RCPT"]
    assert (a.requests, a.failures, dict(a.errors)) == (b.requests, b.failures, dict(b.errors))
    assert dict(b.errors) == {"550 5.1.1": 3}
    assert histograms.summary(a.histogram, 1000) == histograms.summary(b.histogram, 1000)
    p99 = histograms.percentile(b.histogram, 99) / 1000
    assert abs(p99 - sorted(values)[int(0.99 * len(values))]) < 0.2


def test_a_recorder_starts_afresh_after_a_drain() -> None:
    recorder = Recorder()
    recorder.on_request("IMAP", "IMAP LOGIN", 3.0, 0)
    recorder.message_acknowledged("load-r1/u1-1", ["a@x"], 100.0)
    assert recorder.drain()["acks"] and recorder.drain() == Recorder().drain()


def test_deliveries_match_in_any_order_and_give_latency() -> None:
    aggregator = Aggregator(RUN)
    aggregator.see("load-r1/u1-1", "a@x", "imap:INBOX:7:1", 101.5, True, "imap")  # before its ack
    aggregator.acknowledge("load-r1/u1-1", "a@x", 100.0)
    aggregator.acknowledge("load-r1/u1-2", "a@x", 100.0)
    assert aggregator.outstanding == {("load-r1/u1-2", "a@x")}
    assert histograms.percentile(aggregator.delivery, 50) == 1500
    aggregator.see("load-r1/u1-2", "a@x", "pop3:17", 130.0, True, SWEEP)
    assert not aggregator.outstanding and aggregator.found_by(SWEEP) == 1
    assert aggregator.delivery.get_total_count() == 1  # the sweep gives no latency


def test_duplicates_corruption_strangers_and_other_runs() -> None:
    aggregator = Aggregator(RUN)
    for n in (1, 2, 3):
        aggregator.acknowledge(f"load-r1/u1-{n}", "a@x", 100.0)
    aggregator.see("load-r1/u1-1", "a@x", "imap:INBOX:7:1", 101.0, True, "imap")
    aggregator.see("load-r1/u1-1", "a@x", "imap:INBOX:7:1", 105.0, True, SWEEP)  # read twice
    aggregator.see("load-r1/u1-2", "a@x", "imap:INBOX:7:2", 101.0, True, "imap")
    aggregator.see("load-r1/u1-2", "a@x", "imap:INBOX:7:9", 102.0, True, "imap")  # a 2nd copy
    aggregator.see("load-r1/u1-3", "a@x", "pop3:abc", 101.0, False, "pop3")
    aggregator.see("load-r1/u9-9", "a@x", "pop3:zzz", 101.0, True, "pop3")  # never acked
    aggregator.see("load-old/u1-1", "a@x", "pop3:old", 101.0, True, "pop3")  # another run
    assert aggregator.duplicated() == [("load-r1/u1-2", "a@x")]
    assert aggregator.corrupted() == [("load-r1/u1-3", "a@x")]
    assert aggregator.unexpected() == [("load-r1/u9-9", "a@x")]
    assert len(aggregator.delivered_keys) == 3 and not aggregator.outstanding
