"""Retry-After for a handshake refused for a full queue: from the queue's length and the
rate Connects finished at lately, spread, and clamped."""

from __future__ import annotations

from ocpp_cable.gateway.pacing import LONGEST, SHORTEST, ConnectPace


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def pace(clock: Clock, spread: float = 0.0) -> ConnectPace:
    return ConnectPace(window=10.0, clock=clock, spread=lambda: spread)


def test_the_rate_is_what_finished_over_the_window():
    clock = Clock()
    p = pace(clock)
    for _ in range(10):
        for _ in range(50):
            p.finished()
        clock.now += 1.0
    assert p.rate() == 50.0


def test_the_rate_forgets_what_is_older_than_the_window():
    clock = Clock()
    p = pace(clock)
    for _ in range(1000):
        p.finished()
    clock.now += 30.0
    assert p.rate() == 0.0


def test_a_young_pace_counts_from_its_first_second():
    clock = Clock()
    p = pace(clock)
    for _ in range(200):
        p.finished()
    clock.now += 2.0
    assert p.rate() == 100.0


def test_retry_after_is_the_time_the_queue_takes_to_drain():
    clock = Clock()
    p = pace(clock)
    for _ in range(10):
        for _ in range(100):
            p.finished()
        clock.now += 1.0
    assert p.retry_after(queued=1_999) == 20  # 2,000 ahead at 100 a second


def test_retry_after_is_spread_so_refused_chargers_do_not_return_together():
    clock = Clock()
    early, late = pace(clock, spread=0.0), pace(clock, spread=0.999)
    for _ in range(10):
        for _ in range(100):
            early.finished()
            late.finished()
        clock.now += 1.0
    assert early.retry_after(queued=999) == 10
    assert late.retry_after(queued=999) == 20


def test_retry_after_is_clamped():
    clock = Clock()
    p = pace(clock)
    assert p.retry_after(queued=10) == LONGEST  # nothing finished: rpc_app is stuck
    for _ in range(10_000):
        p.finished()
    clock.now += 1.0
    assert p.retry_after(queued=0) == SHORTEST
    assert p.retry_after(queued=10_000_000) == LONGEST
