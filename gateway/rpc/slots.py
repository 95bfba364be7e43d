"""The RPC slots: how many calls are in flight, who waits for one, who goes next.

A reconnect storm brings thousands of handshakes at once, each wanting a Connect and
then a subscribe. Were they in one queue with everything else, a connected station's
call would wait behind all of them and fail at its deadline. So handshakes have a
share of the slots of their own (`handshake_slots`); connected stations' calls keep
the rest and may borrow what handshakes leave idle, giving it back first when a
handshake waits. Within the handshakes' share a subscribe goes before a Connect: it
finishes an admission already begun. Connects wait in a bounded queue, as long as
their handshake allows; one past the bound is refused at once.

`SlotBook` decides (no I/O, no clock); `Slots` makes the asyncio waits.
"""

from __future__ import annotations

import asyncio
import enum
from collections import OrderedDict
from collections.abc import Hashable


class Kind(enum.Enum):
    CALL = "call"  # a connected station's or browser's call, a Disconnect
    SUBSCRIBE = "subscribe"  # a new station's first subscribe: finishes its admission
    CONNECT = "connect"  # a handshake's Connect: starts one


HANDSHAKES = (Kind.SUBSCRIBE, Kind.CONNECT)  # in the order they are served


class QueueFull(Exception):
    """A Connect found the queue at its bound."""


class Abandoned(Exception):
    """The client went away while its call waited."""


def handshake_slots(capacity: int, share: float) -> int:
    """Slots handshakes may hold: `share` of `capacity`, at least one, and one left for
    calls (unless there is a single slot, which calls then borrow)."""
    return max(1, min(capacity - 1, round(capacity * share)))


class SlotBook:
    """Who holds the slots and who waits, by kind.

    Invariant: after each operation no waiter could take a free slot, so a new call
    takes one only if no earlier waiter of its kind wants it (first come, first served).
    """

    def __init__(self, capacity: int, handshakes: int, connect_queue: int) -> None:
        self.capacity = capacity
        self.handshakes = handshakes
        self.connect_queue = connect_queue
        self.in_flight = 0
        self.handshakes_in_flight = 0
        # Each kind's waiters, first come first; any of them can leave at once.
        self._waiting: dict[Kind, OrderedDict[Hashable, None]] = {
            kind: OrderedDict() for kind in Kind
        }

    def waiting(self, kind: Kind) -> int:
        return len(self._waiting[kind])

    def take(self, kind: Kind) -> bool:
        """A slot for `kind` now (counted as held), or False: enqueue, or give up."""
        if not self._free_for(kind):
            return False
        self._hold(kind)
        return True

    def enqueue(self, kind: Kind, waiter: Hashable) -> None:
        """`waiter` waits for a slot (after `take` said no). Raises QueueFull for a Connect
        past the bound; a subscribe always waits (its station was admitted already)."""
        queue = self._waiting[kind]
        if kind is Kind.CONNECT and len(queue) >= self.connect_queue:
            raise QueueFull
        queue[waiter] = None

    def withdraw(self, kind: Kind, waiter: Hashable) -> None:
        """`waiter` gave up (its deadline, its client gone); nothing if it was granted."""
        self._waiting[kind].pop(waiter, None)

    def release(self, kind: Kind) -> tuple[Kind, Hashable] | None:
        """A call of `kind` is done; the waiter its slot goes to (now held), if any.

        A handshake below its share gets it first: the slot was lent to calls. Else a
        call; else (handshakes at their share) no one."""
        self.in_flight -= 1
        if kind is not Kind.CALL:
            self.handshakes_in_flight -= 1
        for candidate in (*HANDSHAKES, Kind.CALL):
            queue = self._waiting[candidate]
            if queue and self._free_for(candidate):
                self._hold(candidate)
                return candidate, queue.popitem(last=False)[0]
        return None

    def _free_for(self, kind: Kind) -> bool:
        if self.in_flight >= self.capacity:
            return False
        return kind is Kind.CALL or self.handshakes_in_flight < self.handshakes

    def _hold(self, kind: Kind) -> None:
        self.in_flight += 1
        if kind is not Kind.CALL:
            self.handshakes_in_flight += 1


class Slots:
    """`SlotBook`'s decisions on the event loop: waits that end granted, at a deadline,
    or when the client is gone."""

    def __init__(self, book: SlotBook) -> None:
        self.book = book

    def take(self, kind: Kind) -> bool:
        return self.book.take(kind)

    async def wait(
        self, kind: Kind, until: float, gone: asyncio.Future[None] | None = None
    ) -> None:
        """Wait for a slot of `kind` until loop time `until`; on return it is held.

        Raises QueueFull (a Connect past the bound), TimeoutError (not granted in time),
        Abandoned (`gone` completed first: the client closed its connection)."""
        granted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.book.enqueue(kind, granted)

        def abandon(_: asyncio.Future[None]) -> None:
            if not granted.done():
                granted.set_exception(Abandoned())

        if gone is not None:
            gone.add_done_callback(abandon)
        try:
            async with asyncio.timeout_at(until):
                await granted
        except BaseException:
            if granted.done() and not granted.cancelled() and granted.exception() is None:
                self.release(kind)  # granted in the same turn it gave up: given back
            else:
                self.book.withdraw(kind, granted)
            raise
        finally:
            if gone is not None:
                gone.remove_done_callback(abandon)

    def release(self, kind: Kind) -> None:
        granted = self.book.release(kind)
        while granted is not None:
            kind, waiter = granted
            if not waiter.done():
                waiter.set_result(None)
                return
            # It gave up in this same turn of the loop, not yet withdrawn: the next one.
            granted = self.book.release(kind)
