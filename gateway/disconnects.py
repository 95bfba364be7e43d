"""Disconnect calls in one queue, delivered in order by a few workers, retried until done.

When thousands of stations leave at once (a shutdown, a network cut), each one's
Disconnect waits here, not in the RPC client: its deadline starts when the call
is made, so none times out while queued. A call the transport fails (rpc_app
restarting, a deadline) is tried again; AnyCable's disconnect queue does the same.
Retries end at the drain deadline when the node is shutting down.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

import structlog

from ocpp_cable.gateway.rpc import RPCError

log = structlog.get_logger("gateway.disconnects")

FIRST_BACKOFF, MAX_BACKOFF = 0.1, 1.0

# One Disconnect call; its argument caps the call's time (None: the RPC timeout).
Delivery = Callable[[float | None], Awaitable[Any]]


class DisconnectQueue:
    """Delivers Disconnect calls with a bounded number of workers, retrying an RPCError.

    When thousands of stations leave at once, their Disconnects queue here instead of
    taking every RPC slot: stations coming back still get through to Connect. On
    shutdown, `drain_by(deadline)` stops retries at the deadline; `failed` counts the
    calls that never went through.
    """

    def __init__(self, workers: int) -> None:
        self._queue: asyncio.Queue[tuple[Delivery, Any, asyncio.Future[bool]]] = asyncio.Queue()
        self._workers_wanted = workers
        self._workers: list[asyncio.Task[None]] = []
        self._deadline: float | None = None  # loop time: retries stop here (shutdown)
        self.failed = 0

    def __len__(self) -> int:
        return self._queue.qsize()

    async def deliver(self, call: Delivery, log_as: Any) -> bool:
        """Run `call` (one Disconnect) in turn; True once it went through."""
        if not self._workers:
            self._workers = [
                asyncio.create_task(self._work(), name=f"disconnects-{n}")
                for n in range(self._workers_wanted)
            ]
        if all(worker.done() for worker in self._workers):
            return False  # stopped: no one would deliver it
        done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((call, log_as, done))
        return await done

    def drain_by(self, deadline: float) -> None:
        """Shutting down: retry no later than `deadline` (loop time)."""
        self._deadline = deadline

    async def close(self) -> None:
        for worker in self._workers:
            worker.cancel()
        for worker in self._workers:
            with contextlib.suppress(asyncio.CancelledError):
                await worker

    async def _work(self) -> None:
        done: asyncio.Future[bool] | None = None
        try:
            while True:
                call, log_as, done = await self._queue.get()
                await self._deliver(call, log_as, done)
        finally:
            # Cancelled (the node stops, the loop ends): nobody may wait on us for ever.
            if done is not None:
                _settle(done, False)
            while not self._queue.empty():
                *_, waiting = self._queue.get_nowait()
                _settle(waiting, False)

    async def _deliver(self, call: Delivery, log_as: Any, done: asyncio.Future[bool]) -> None:
        loop = asyncio.get_running_loop()
        backoff = FIRST_BACKOFF
        while True:
            within = None if self._deadline is None else self._deadline - loop.time()
            if within is not None and within <= 0:
                self.failed += 1
                log_as.error("disconnect not delivered: the drain is over")
                _settle(done, False)
                return
            try:
                await call(within)
            except RPCError as exc:
                late = self._deadline is not None and loop.time() + backoff > self._deadline
                if late:
                    self.failed += 1
                    log_as.error("disconnect not delivered", error=str(exc))
                    _settle(done, False)
                    return
                log_as.warning("disconnect call failed, retrying", error=str(exc))
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
                continue
            except Exception:  # a bug, not the transport: no retry, and the queue goes on
                log_as.exception("disconnect call broke")
                _settle(done, False)
                return
            _settle(done, True)
            return


def _settle(done: asyncio.Future[bool], delivered: bool) -> None:
    if not done.done():  # the station's task may have been cancelled meanwhile
        done.set_result(delivered)
