"""Reads of one kind by many callers at once, answered by one query in the store.

Under a reboot storm thousands of Connects each look up one station. Each lookup
on its own costs the store's writer a round trip to the database, one after the
other. Here a lookup joins the read that is waiting for the writer, and the writer,
when it gets to that read, asks for every key gathered by then in one query.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from ocpp_cable.channels.storage.store import Store, Unit

K = TypeVar("K")
V = TypeVar("V")
MAX_KEYS = 1000  # per query: a bound on the statement's size


@dataclass(eq=False, slots=True)
class _Round(Generic[K, V]):
    keys: dict[K, None] = field(default_factory=dict)  # in order, each once
    taken: list[K] | None = None  # what the writer asked for: fixed at its first run
    result: asyncio.Future[dict[K, V]] | None = None


class SharedRead(Generic[K, V]):
    """`fetch(unit, keys)` returns what it found for `keys`; `get` one key's share of it."""

    def __init__(self, fetch: Callable[[Unit, list[K]], dict[K, V]]) -> None:
        self._fetch = fetch
        self._lock = threading.Lock()  # the writer thread closes a round
        self._open: dict[tuple[Store, asyncio.AbstractEventLoop], _Round[K, V]] = {}

    async def get(self, store: Store, key: K) -> V | None:
        """What `fetch` found for `key` (None: nothing), read after everything committed
        before the call."""
        slot = (store, asyncio.get_running_loop())
        with self._lock:
            round_ = self._open.get(slot)
            if round_ is None or round_.taken is not None or len(round_.keys) >= MAX_KEYS:
                round_ = self._open[slot] = _Round()
                round_.result = asyncio.ensure_future(store.run(self._unit(round_)))
                round_.result.add_done_callback(lambda result: self._close(slot, round_, result))
            round_.keys[key] = None
        # Shielded: one caller giving up does not cancel the others' read.
        found = await asyncio.shield(round_.result)
        return found.get(key)

    def _unit(self, round_: _Round[K, V]) -> Callable[[Unit], dict[K, V]]:
        def read(unit: Unit) -> dict[K, V]:
            with self._lock:
                if round_.taken is None:  # a rerun (its batch was rolled back) asks again
                    round_.taken = list(round_.keys)
            return self._fetch(unit, round_.taken)

        return read

    def _close(self, slot: tuple, round_: _Round[K, V], result: asyncio.Future) -> None:
        with self._lock:
            if self._open.get(slot) is round_:
                del self._open[slot]
        # Every caller may have gone (cancelled): the read's error is theirs, not the loop's.
        if not result.cancelled():
            result.exception()
