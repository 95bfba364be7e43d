"""channels/live.py: live events are batched, bounded and rate-limited, never blocking."""

from __future__ import annotations

import threading

import orjson

from channels import live


class Collector:
    def __init__(self) -> None:
        self.batches: list[list[dict]] = []
        self.arrived = threading.Event()

    def __call__(self, messages) -> None:
        self.batches.append(messages)
        self.arrived.set()


def test_events_go_to_both_streams_in_one_batch():
    collected = Collector()
    events = live.LiveEvents(collected)
    events.publish("CP-1", "status", connector_id=1, status="Charging")
    events.publish("CP-2", "offline")
    assert collected.arrived.wait(2)
    (batch,) = collected.batches
    assert [m["stream"] for m in batch] == [
        "live:stations", "live:station:CP-1", "live:stations", "live:station:CP-2",
    ]  # fmt: skip
    event = orjson.loads(batch[0]["data"])
    assert event["event"] == "status" and event["station_id"] == "CP-1"
    assert event["status"] == "Charging" and event["at"].endswith("Z")


def test_meter_values_at_most_once_a_second_per_station():
    collected = Collector()
    events = live.LiveEvents(collected)
    for _ in range(50):
        events.publish("CP-1", "meter_values", connector_id=1)
    events.publish("CP-2", "meter_values", connector_id=1)
    assert collected.arrived.wait(2)
    sent = [orjson.loads(m["data"])["station_id"] for b in collected.batches for m in b]
    assert sent.count("CP-1") == 2 and sent.count("CP-2") == 2  # one event, two streams


def test_a_full_queue_drops_and_counts_instead_of_growing(monkeypatch):
    monkeypatch.setattr(live, "QUEUE_LIMIT", 6)
    blocked = threading.Event()
    events = live.LiveEvents(lambda _: blocked.wait(5))
    for n in range(10):
        events.publish(f"CP-{n}", "offline")
    assert events.dropped >= 7
    blocked.set()


def test_a_broker_that_fails_costs_the_events_not_the_publisher():
    calls = []

    def failing(messages):
        calls.append(len(messages))
        raise OSError("broker down")

    events = live.LiveEvents(failing)
    events.publish("CP-1", "offline")
    for _ in range(100):
        if calls:
            break
        threading.Event().wait(0.02)
    events.publish("CP-1", "online")  # still accepted after a failure
    assert calls and events.dropped == 0
