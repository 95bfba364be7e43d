"""When a handshake refused for a full queue should come back: its Retry-After.

The queue drains at the pace rpc_app answers Connect, so the wait is the queue's
length over the rate Connects finished at lately. Each refusal gets that wait spread
by up to as much again, so chargers refused together do not all return in the same
second and fill the queue again; clamped, so none is told to come back at once or
to stay away for long.
"""

from __future__ import annotations

import math
import random
import time
from collections import deque
from collections.abc import Callable

SHORTEST, LONGEST = 1, 60  # seconds a Retry-After says


class ConnectPace:
    """Connects finished per second over the last `window` seconds, counted by second.

    Args:
        window: seconds of history the rate is taken over.
        clock: monotonic seconds.
        spread: a number in [0, 1): how much of the wait is added to this refusal's.
    """

    def __init__(
        self,
        window: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
        spread: Callable[[], float] = random.random,
    ) -> None:
        self.window = window
        self._clock = clock
        self._spread = spread
        self._seconds: deque[list[int]] = deque()  # [second, Connects finished in it]
        self._counted = 0

    def finished(self) -> None:
        """A Connect was answered (whatever it decided) or failed."""
        second = int(self._clock())
        if self._seconds and self._seconds[-1][0] == second:
            self._seconds[-1][1] += 1
        else:
            self._seconds.append([second, 1])
        self._counted += 1

    def rate(self) -> float:
        """Connects a second lately (0.0: none in the window)."""
        now = self._clock()
        while self._seconds and self._seconds[0][0] <= now - self.window - 1:
            self._counted -= self._seconds.popleft()[1]
        if not self._seconds:
            return 0.0
        span = min(self.window, max(1.0, now - self._seconds[0][0]))
        return self._counted / span

    def retry_after(self, queued: int) -> int:
        """Seconds a handshake refused behind `queued` others should wait."""
        rate = self.rate()
        if rate <= 0:  # nothing answered lately: rpc_app is stuck or gone
            return LONGEST
        wait = (queued + 1) / rate * (1 + self._spread())
        return min(LONGEST, max(SHORTEST, math.ceil(wait)))
