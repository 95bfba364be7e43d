"""A station's reply to one of our CALLs, offered to rpc_app until it takes it.

The reply (performed as `ack` or `error`) is the only copy of the station's answer:
the station will not send it again. When rpc_app cannot take it (killed,
restarting, overloaded: the RPC fails UNAVAILABLE, RESOURCE_EXHAUSTED or
DEADLINE_EXCEEDED), it is offered again with backoff, outside the RPC client's
slots, until a deadline (--reply-retry-time after the reply arrived, or the end of
the node's drain). A try that rpc_app served without our hearing of it is safe to
repeat: the application records an answer once (its records only move forward).
Any other outcome is final, as for every other perform.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from ocpp_cable.gateway.rpc import RPCError

T = TypeVar("T")

# The RPC could not reach the application, or the application could not serve in time.
RETRIED = frozenset({"UNAVAILABLE", "RESOURCE_EXHAUSTED", "DEADLINE_EXCEEDED"})
FIRST_BACKOFF, MAX_BACKOFF = 0.1, 2.0


async def offer(
    attempt: Callable[[], Awaitable[T]],
    deadline: Callable[[], float],
    retrying: Callable[[RPCError], None],
) -> T:
    """`attempt()` until it answers; RPCError once it failed for good.

    Args:
        attempt: one RPC call.
        deadline: the loop time after which no try starts (asked before each: a drain
            that begins meanwhile brings it forward).
        retrying: told of each failure that is tried again.
    """
    loop = asyncio.get_running_loop()
    backoff = FIRST_BACKOFF
    while True:
        try:
            return await attempt()
        except RPCError as exc:
            if exc.code not in RETRIED or loop.time() + backoff > deadline():
                raise
            retrying(exc)
        await asyncio.sleep(backoff)
        backoff = min(backoff * 2, MAX_BACKOFF)
