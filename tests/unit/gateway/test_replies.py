"""A station's reply offered to rpc_app without sockets: what is tried again, and until when."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from ocpp_cable.gateway import replies
from ocpp_cable.gateway.rpc import RPCError


def failing(*codes: str):
    """An attempt that fails with `codes` in turn, then answers "taken"; and its tries."""
    tries: list[float] = []

    async def attempt() -> str:
        tries.append(asyncio.get_running_loop().time())
        if len(tries) <= len(codes):
            raise RPCError(codes[len(tries) - 1], "")
        return "taken"

    return attempt, tries


async def test_offered_again_while_rpc_app_cannot_take_it():
    attempt, tries = failing("UNAVAILABLE", "DEADLINE_EXCEEDED", "RESOURCE_EXHAUSTED")
    told: list[str] = []
    far = asyncio.get_running_loop().time() + 60
    answer = await replies.offer(attempt, lambda: far, lambda exc: told.append(exc.code))
    assert answer == "taken"
    assert told == ["UNAVAILABLE", "DEADLINE_EXCEEDED", "RESOURCE_EXHAUSTED"]
    gaps = [later - earlier for earlier, later in itertools.pairwise(tries)]
    assert gaps[0] >= replies.FIRST_BACKOFF and gaps[1] >= 2 * replies.FIRST_BACKOFF


@pytest.mark.parametrize("code", ["INTERNAL", "UNAUTHENTICATED", "UNIMPLEMENTED"])
async def test_other_failures_are_final(code):
    attempt, tries = failing(code)
    far = asyncio.get_running_loop().time() + 60
    with pytest.raises(RPCError) as raised:
        await replies.offer(attempt, lambda: far, lambda exc: None)
    assert raised.value.code == code and len(tries) == 1


async def test_no_try_starts_past_the_deadline_and_a_drain_brings_it_forward():
    loop = asyncio.get_running_loop()
    attempt, tries = failing(*["UNAVAILABLE"] * 100)
    deadline = [loop.time() + 60]

    def retrying(exc):
        if len(tries) == 2:
            deadline[0] = loop.time() + 0.5  # the node began to drain

    started = loop.time()
    with pytest.raises(RPCError):
        await replies.offer(attempt, lambda: deadline[0], retrying)
    assert loop.time() - started < 1.5
    assert all(at <= deadline[0] for at in tries)
