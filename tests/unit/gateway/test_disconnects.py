"""The Disconnect queue without sockets: order, retries, the drain deadline, no waiter left."""

from __future__ import annotations

import asyncio

import structlog

from ocpp_cable.gateway.disconnects import DisconnectQueue
from ocpp_cable.gateway.rpc import RPCError

log = structlog.get_logger("test")


async def test_delivers_in_order_and_retries_transport_failures():
    queue, delivered, failures = DisconnectQueue(workers=1), [], {"b": 2}

    def call(name):
        async def disconnect(within):
            if failures.get(name):
                failures[name] -= 1
                raise RPCError("UNAVAILABLE", "rpc_app restarting")
            delivered.append(name)

        return disconnect

    results = await asyncio.gather(*(queue.deliver(call(n), log) for n in "abc"))
    await queue.close()
    assert results == [True, True, True]
    assert delivered == ["a", "b", "c"]


async def test_retries_end_at_the_drain_deadline():
    queue = DisconnectQueue(workers=2)
    queue.drain_by(asyncio.get_running_loop().time() + 0.3)

    async def never(within):
        assert within is not None and within <= 0.3
        raise RPCError("DEADLINE_EXCEEDED", "rpc_app hangs")

    assert await asyncio.wait_for(queue.deliver(never, log), 2) is False
    assert queue.failed == 1
    await queue.close()


async def test_no_waiter_is_left_when_the_workers_are_cancelled():
    queue, started = DisconnectQueue(workers=1), asyncio.Event()

    async def slow(within):
        started.set()
        await asyncio.sleep(30)

    first = asyncio.ensure_future(queue.deliver(slow, log))
    second = asyncio.ensure_future(queue.deliver(slow, log))
    await started.wait()
    await queue.close()
    assert await asyncio.wait_for(asyncio.gather(first, second), 1) == [False, False]
    assert await queue.deliver(slow, log) is False  # stopped: nothing waits


async def test_a_broken_call_does_not_stop_the_queue():
    queue = DisconnectQueue(workers=1)

    async def broken(within):
        raise KeyError("a bug")

    async def fine(within):
        return None

    assert await queue.deliver(broken, log) is False
    assert await queue.deliver(fine, log) is True
    await queue.close()
