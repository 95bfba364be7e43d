"""The in-process broadcaster (`up`): what /_broadcast would have taken, handed to the
gateway's loop in order, from the loop or any thread; refused once the loop is gone."""

from __future__ import annotations

import asyncio
import threading

import orjson
import pytest

from ocpp_cable.rpc_app import broadcasting


async def test_broadcasts_reach_the_loop_in_order_from_the_loop_and_from_threads():
    got: list[bytes] = []
    loop = asyncio.get_running_loop()
    broadcaster = broadcasting.InProcessBroadcaster(loop, got.append)
    broadcaster.publish([broadcasting.message("s", {"n": 1})])
    thread = threading.Thread(
        target=broadcaster.publish,
        args=([broadcasting.message("s", {"n": 2}), broadcasting.message("t", "{}")],),
    )
    thread.start()
    thread.join()
    assert got == []  # on the loop's turn, never inside the caller's
    await asyncio.sleep(0.01)
    assert [orjson.loads(body) for body in got] == [
        {"stream": "s", "data": '{"n":1}'},
        [{"stream": "s", "data": '{"n":2}'}, {"stream": "t", "data": "{}"}],
    ]


def test_a_broadcast_after_the_gateways_loop_closed_is_refused():
    loop = asyncio.new_event_loop()
    broadcaster = broadcasting.InProcessBroadcaster(loop, lambda body: None)
    loop.close()
    with pytest.raises(broadcasting.BroadcastError, match="has stopped"):
        broadcaster.publish([broadcasting.message("s", "{}")])
