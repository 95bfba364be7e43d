"""One perform at a time per station, the station's own messages first.

Performs run one by one, so the channel's state changes never race; but a station
that sends a message while reports about our commands wait (a flood of broadcasts
for it) is served next, not after them. Within each kind the order is kept.
"""

from __future__ import annotations

import asyncio
from collections import deque


class Turns:
    """One at a time, in order, with priority: a station's own messages go before reports
    about the commands we sent it.
    """

    __slots__ = ("_busy", "_first", "_later")

    def __init__(self) -> None:
        self._busy = False
        # Made on the first wait: most stations never wait, and every idle one counts.
        self._first: deque[asyncio.Future[None]] | None = None  # the station's own messages
        self._later: deque[asyncio.Future[None]] | None = None  # outcomes of our CALLs

    async def acquire(self, first: bool) -> None:
        if not self._busy:
            self._busy = True
            return
        if self._first is None or self._later is None:
            self._first, self._later = deque(), deque()
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        (self._first if first else self._later).append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release()  # the turn came, then the task was cancelled: pass it on
            raise

    def release(self) -> None:
        for waiting in (self._first, self._later):
            while waiting:  # (None: nobody has waited yet)
                waiter = waiting.popleft()
                if not waiter.done():
                    waiter.set_result(None)  # handed over: still busy
                    return
        self._busy = False
