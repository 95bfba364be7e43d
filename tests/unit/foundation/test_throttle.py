"""foundation/throttle.py: one log line per kind and interval, with the count held back."""

from __future__ import annotations

from ocpp_cable.foundation.throttle import LogThrottle


def test_the_first_of_a_burst_passes_and_the_next_line_says_how_many_were_held_back():
    now = [100.0]
    throttle = LogThrottle(interval=10.0, clock=lambda: now[0])
    assert throttle.allow("refused") == 0
    assert [throttle.allow("refused") for _ in range(339)] == [None] * 339
    assert throttle.allow("other") == 0  # each kind on its own
    now[0] += 10.0
    assert throttle.allow("refused") == 339
    assert throttle.allow("refused") is None
