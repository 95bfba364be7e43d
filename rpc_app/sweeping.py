"""The application's `sweep()`, run every few seconds for as long as rpc_app serves.

Some work only time finishes: the reference system ends the commands nobody will
answer any more (their sender died, their answer was lost). rpc_app is the process
that always runs, so it calls the application's `sweep` hook on a timer: sync code
in a worker thread, async code on the loop, one run at a time. A failing run is
logged (once per streak of failures, not every few seconds) and the next one comes
as planned. Every replica sweeps: the hook must be safe in several processes at once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

import structlog

log = structlog.get_logger("rpc_app.sweep")

EVERY = 2.0  # seconds between two runs of the hook


class Sweeper:
    """Runs `hook` through `invoke` every `every` seconds until stopped."""

    def __init__(
        self,
        hook: Callable[[], Any],
        invoke: Callable[..., Awaitable[Any]],
        every: float = EVERY,
    ) -> None:
        self.hook = hook
        self.invoke = invoke
        self.every = every
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="application-sweep")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        failing = False
        while True:
            await asyncio.sleep(self.every)
            try:
                await self.invoke(self.hook)
            except Exception:
                if not failing:
                    log.exception("sweep failed; trying again on schedule")
                failing = True
                continue
            if failing:
                log.info("sweep works again")
            failing = False
