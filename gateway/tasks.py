"""Background tasks, kept until done and never failing in silence.

A task is referenced until it ends (asyncio keeps only a weak reference), and one
that raises is logged at once, through the owner's logger (station id bound),
instead of as "Task exception was never retrieved" whenever it is collected.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterator
from typing import Any


class TaskSet:
    """Background tasks that are kept referenced until done, and whose failures are logged
    instead of lost.
    """

    __slots__ = ("_tasks", "log")

    def __init__(self, log: Any) -> None:
        self.log = log
        # None while nothing runs: an idle station holds no set (a set never shrinks).
        self._tasks: set[asyncio.Future[Any]] | None = None

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Future[Any]:
        task = asyncio.ensure_future(coro)
        if self._tasks is None:
            self._tasks = set()
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Future[Any]) -> None:
        if self._tasks is not None:
            self._tasks.discard(task)
            if not self._tasks:
                self._tasks = None
        if not task.cancelled() and task.exception() is not None:
            self.log.error("background task failed", exc_info=task.exception())

    def __len__(self) -> int:
        return len(self._tasks) if self._tasks else 0

    def __iter__(self) -> Iterator[asyncio.Future[Any]]:
        return iter(list(self._tasks or ()))


class Finished:
    """A one-time event: asyncio.Event's interface where only set/is_set/wait are needed,
    at the cost of one future instead of an Event's waiter deque (held by every station)."""

    __slots__ = ("_future",)

    def __init__(self) -> None:
        self._future: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def set(self) -> None:
        if not self._future.done():
            self._future.set_result(None)

    def is_set(self) -> bool:
        return self._future.done()

    async def wait(self) -> None:
        # Shielded: a waiter that is cancelled must not cancel the event for the others.
        await asyncio.shield(self._future)
