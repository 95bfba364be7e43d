"""Log lines a client can cause, at most one per interval per kind.

A client that repeats a refused request must not grow the logs at its own pace:
the first refusal of a burst is logged, the rest are counted into the next line.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class LogThrottle:
    """Lets one log line per kind through per interval, and says how many it held back
    meanwhile: what a client sends cannot grow the logs without bound.
    """

    def __init__(self, interval: float = 60.0, clock: Callable[[], float] = time.monotonic):
        self.interval = interval
        self.clock = clock
        # Kinds are fixed strings of our code, so this stays as small as the code.
        self._next: dict[str, float] = {}
        self._suppressed: dict[str, int] = {}

    def allow(self, kind: str) -> int | None:
        """None: stay quiet. Otherwise log now; the value is how many were held back."""
        now = self.clock()
        if now < self._next.get(kind, 0.0):
            self._suppressed[kind] = self._suppressed.get(kind, 0) + 1
            return None
        self._next[kind] = now + self.interval
        return self._suppressed.pop(kind, 0)
