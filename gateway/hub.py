"""Stream hub: stream name -> the local sessions subscribed to it.

A broadcast to more holders than a slice is delivered a slice at a time, the loop
running other work (chargers' calls) between slices; broadcasts are delivered in the
order they came, so no holder gets two of them swapped.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Iterable
from typing import Protocol

import structlog

log = structlog.get_logger("gateway")

# Holders delivered to before the loop runs other work: a delivery is a few µs (a frame
# written to a socket), so a slice holds the loop for a few ms.
SLICE = 250
# Broadcasts that may wait for those before them to fan out.
BACKLOG = 64


class StreamListener(Protocol):
    """A connection as the hub sees it: something a broadcast's data is delivered to."""

    def deliver(self, data: str) -> None: ...


class StreamHub:
    """Stream name -> the local listeners (connections) subscribed to it.

    Both maps shrink as listeners leave: a stream nobody holds is forgotten.
    """

    def __init__(self, slice_size: int = SLICE, backlog: int = BACKLOG) -> None:
        self._streams: dict[str, set[StreamListener]] = {}
        self._by_subscriber: dict[StreamListener, set[str]] = {}
        self._slice = slice_size
        self._most_waiting = backlog
        # Broadcasts not yet delivered to all, (stream, data, holders then), the first
        # one under way: its holders up to `_position` have it.
        self._backlog: deque[tuple[str, str, tuple[StreamListener, ...]]] = deque()
        self._position = 0
        self._sender: asyncio.Task[None] | None = None

    def subscribe(self, subscriber: StreamListener, streams: Iterable[str]) -> None:
        mine = self._by_subscriber.setdefault(subscriber, set())
        for stream in streams:
            self._streams.setdefault(stream, set()).add(subscriber)
            mine.add(stream)

    def unsubscribe(self, subscriber: StreamListener, streams: Iterable[str]) -> None:
        mine = self._by_subscriber.get(subscriber)
        if mine is None:
            return
        for stream in streams:
            mine.discard(stream)
            holders = self._streams.get(stream)
            if holders is not None:
                holders.discard(subscriber)
                if not holders:
                    del self._streams[stream]

    def remove(self, subscriber: StreamListener) -> None:
        self.unsubscribe(subscriber, list(self._by_subscriber.get(subscriber, ())))
        self._by_subscriber.pop(subscriber, None)

    def follow(
        self,
        listener: StreamListener,
        stop_all: bool,
        stopped: Iterable[str],
        started: Iterable[str],
    ) -> None:
        """What a Command answered for `listener`'s streams, in AnyCable's order: stop
        them all, stop some, then start new ones."""
        if stop_all:
            self.remove(listener)
        if stopped:
            self.unsubscribe(listener, stopped)
        if started:
            self.subscribe(listener, started)

    def broadcast(self, stream: str, data: str) -> int:
        """Deliver `data` to the stream's local subscribers; returns how many it goes to.
        A broadcast that fits a slice, with no fan-out under way, is delivered at once;
        others are delivered in slices by a task, in the order they came."""
        holders = self._streams.get(stream)
        if not holders:
            return 0
        listeners = tuple(holders)  # a listener may leave while it receives
        if not self._backlog and len(listeners) <= self._slice:
            self._deliver(stream, data, listeners)
            return len(listeners)
        self._backlog.append((stream, data, listeners))
        if len(self._backlog) > self._most_waiting:
            # Broadcasts come faster than they fan out: deliver them all now, holding the
            # loop (and so whoever sends them) instead of holding them without bound.
            log.warning("broadcasts delivered at once", waiting=len(self._backlog))
            self._deliver_backlog()
        elif self._sender is None or self._sender.done():
            self._sender = asyncio.create_task(self._send_backlog(), name="hub-fan-out")
        return len(listeners)

    def _deliver(self, stream: str, data: str, listeners: Iterable[StreamListener]) -> None:
        """`data` to each of `listeners` that still holds `stream`."""
        held = self._by_subscriber.get
        for listener in listeners:
            if stream in held(listener, ()):
                try:
                    listener.deliver(data)
                except Exception:
                    # A listener's failure is its own: the others still get the broadcast.
                    log.exception("broadcast delivery failed", stream=stream)

    async def _send_backlog(self) -> None:
        step = self._slice
        while self._backlog:
            under_way = self._backlog[0]
            stream, data, listeners = under_way
            while self._position < len(listeners):
                start = self._position
                self._position += step
                self._deliver(stream, data, listeners[start : start + step])
                await asyncio.sleep(0)
                if not self._backlog or self._backlog[0] is not under_way:
                    break  # delivered at once meanwhile (`_deliver_backlog`)
            else:
                self._backlog.popleft()
                self._position = 0

    def _deliver_backlog(self) -> None:
        while self._backlog:
            stream, data, listeners = self._backlog.popleft()
            start, self._position = self._position, 0
            self._deliver(stream, data, listeners[start:])

    async def delivered(self) -> None:
        """Wait until every broadcast so far has been delivered."""
        while self._sender is not None and not self._sender.done():
            await asyncio.shield(self._sender)

    async def close(self) -> None:
        """Stop delivering: the node is going away."""
        self._backlog.clear()
        self._position = 0
        if self._sender is not None:
            self._sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sender
