"""Stream hub: stream name -> the local sessions subscribed to it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol


class StreamListener(Protocol):
    """A connection as the hub sees it: something a broadcast's data is delivered to."""

    def deliver(self, data: str) -> None: ...


class StreamHub:
    """Stream name -> the local listeners (connections) subscribed to it.

    Both maps shrink as listeners leave: a stream nobody holds is forgotten.
    """

    def __init__(self) -> None:
        self._streams: dict[str, set[StreamListener]] = {}
        self._by_subscriber: dict[StreamListener, set[str]] = {}

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
        """Deliver `data` to the stream's local subscribers; returns how many got it."""
        holders = self._streams.get(stream)
        if not holders:
            return 0
        delivered = 0
        for subscriber in tuple(holders):  # a listener may leave while it receives
            subscriber.deliver(data)
            delivered += 1
        return delivered
