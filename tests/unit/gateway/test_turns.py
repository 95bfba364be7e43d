"""Turns: one perform at a time, the station's own messages before reports about ours."""

from __future__ import annotations

import asyncio

from ocpp_cable.gateway.turns import Turns


async def test_one_at_a_time_own_messages_first_order_kept_within_each_kind():
    turns, order, running = Turns(), [], []

    async def perform(name: str, first: bool) -> None:
        await turns.acquire(first)
        try:
            running.append(name)
            assert len(running) == 1
            await asyncio.sleep(0.01)
            order.append(name)
        finally:
            running.remove(name)
            turns.release()

    tasks = [asyncio.create_task(perform("report-0", False))]
    await asyncio.sleep(0)  # report-0 has the turn
    tasks += [asyncio.create_task(perform(f"report-{n}", False)) for n in (1, 2)]
    tasks += [asyncio.create_task(perform(f"own-{n}", True)) for n in (1, 2)]
    await asyncio.gather(*tasks)
    assert order == ["report-0", "own-1", "own-2", "report-1", "report-2"]


async def test_a_cancelled_waiter_does_not_keep_the_turn():
    turns = Turns()
    await turns.acquire(True)
    waiting = asyncio.create_task(turns.acquire(False))
    await asyncio.sleep(0)
    waiting.cancel()
    turns.release()
    await asyncio.wait_for(turns.acquire(True), 1)  # free again


async def test_a_failing_background_task_is_logged_not_lost():
    from ocpp_cable.gateway.tasks import TaskSet

    logged = []

    class Log:
        def error(self, event, **kw):
            logged.append((event, kw))

    tasks = TaskSet(Log())

    async def broken():
        raise RuntimeError("a bug")

    await asyncio.wait([tasks.spawn(broken())])
    assert len(tasks) == 0
    assert logged[0][0] == "background task failed"
    assert isinstance(logged[0][1]["exc_info"], RuntimeError)
