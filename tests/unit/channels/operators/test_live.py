"""channels/operators/live.py: live events are gathered per stream, bounded and rate-limited, and
publishing them never blocks a station."""

from __future__ import annotations

import threading
import time

import orjson

from ocpp_cable.channels.operators import live


class Collector:
    def __init__(self) -> None:
        self.batches: list[list[dict]] = []
        self.arrived = threading.Event()

    def __call__(self, messages) -> None:
        self.batches.append(messages)
        self.arrived.set()

    def streams(self) -> dict[str, list[dict]]:
        """A station's stream: its events; the network view: its messages."""
        found: dict[str, list[dict]] = {}
        for batch in self.batches:
            for message in batch:
                data = orjson.loads(message["data"])
                told = data.get("events", [data])
                found.setdefault(message["stream"], []).extend(told)
        return found


def test_a_stations_events_go_out_together_and_the_network_view_says_what_changed():
    collected = Collector()
    events = live.LiveEvents(collected)
    events.publish("CP-1", "online", node="n1")
    events.publish("CP-1", "status", connector_id=1, status="Preparing")
    events.publish("CP-1", "status", connector_id=1, status="Charging")
    events.publish("CP-1", "transaction_started", transaction_id=7, connector_id=1)
    events.publish("CP-1", "meter_values", connector_id=1)
    events.publish("CP-2", "offline")
    assert collected.arrived.wait(2)
    assert len(collected.batches) == 1  # one broker message for every stream
    streams = collected.streams()
    assert [e["event"] for e in streams["live:station:CP-1"]] == [
        "online", "status", "status", "transaction_started", "meter_values",
    ]  # fmt: skip
    assert [e["event"] for e in streams["live:station:CP-2"]] == ["offline"]
    (network,) = streams["live:stations"]
    seen = network["stations"]["CP-1"].pop("seen")
    assert seen == streams["live:station:CP-1"][-1]["at"]  # its meter values, the last word
    assert network["stations"] == {
        "CP-1": {"online": True, "connectors": {"1": "Charging"}, "started": [7]},
        "CP-2": {"online": False},
    }
    status = streams["live:station:CP-1"][2]
    assert status["station_id"] == "CP-1" and status["status"] == "Charging"
    assert status["at"].endswith("Z")


def test_the_network_view_gets_at_most_one_message_a_window(monkeypatch):
    monkeypatch.setattr(live, "NETWORK_WINDOW", 0.3)
    collected = Collector()
    events = live.LiveEvents(collected)
    started = time.monotonic()
    for n in range(20):
        events.publish(f"CP-{n}", "status", status="Available")
        time.sleep(0.02)
    time.sleep(0.5)
    network = [m for b in collected.batches for m in b if m["stream"] == "live:stations"]
    elapsed = time.monotonic() - started
    assert 2 <= len(network) <= elapsed / 0.3 + 1
    assert sum(len(orjson.loads(m["data"])["stations"]) for m in network) == 20


def test_meter_values_at_most_once_a_second_per_station():
    collected = Collector()
    events = live.LiveEvents(collected)
    for _ in range(50):
        events.publish("CP-1", "meter_values", connector_id=1)
    events.publish("CP-2", "meter_values", connector_id=1)
    assert collected.arrived.wait(2)
    time.sleep(0.1)
    streams = collected.streams()
    assert len(streams["live:station:CP-1"]) == 1 and len(streams["live:station:CP-2"]) == 1


def test_full_queues_drop_and_count_instead_of_growing(monkeypatch):
    monkeypatch.setattr(live, "QUEUE_LIMIT", 6)
    blocked = threading.Event()
    events = live.LiveEvents(lambda _: blocked.wait(5))
    for n in range(10):
        events.publish(f"CP-{n}", "offline")
    assert events.dropped >= 4
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
        time.sleep(0.02)
    events.publish("CP-1", "online")  # still accepted after a failure
    assert calls and events.dropped == 0
