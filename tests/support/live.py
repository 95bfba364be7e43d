"""A person's browser watching the network live at /cable, in a test: every frame it got."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import orjson
import websockets

from tests.support.servers import eventually

NETWORK = {"channel": "StationsChannel"}


def station_view(station_id: str) -> dict[str, str]:
    return {"channel": "StationChannel", "station_id": station_id}


@contextlib.asynccontextmanager
async def watching(node, token: str, *station_ids: str) -> AsyncIterator[list[str]]:
    """A browser with `token` at `node`'s /cable, subscribed to the network view and to
    these stations' streams: the frames it receives (as text), gathered until the block
    ends. The subscriptions are confirmed before the block starts."""
    frames: list[str] = []
    url = f"ws://127.0.0.1:{node.port}/cable?token={token}"
    async with websockets.connect(url) as browser:
        identifiers = [NETWORK, *(station_view(s) for s in station_ids)]
        for identifier in identifiers:
            command = {"command": "subscribe", "identifier": orjson.dumps(identifier).decode()}
            await browser.send(orjson.dumps(command).decode())

        async def gather() -> None:
            async for frame in browser:
                frames.append(frame if isinstance(frame, str) else frame.decode())

        task = asyncio.create_task(gather())
        try:
            await eventually(
                lambda: sum('"confirm_subscription"' in f for f in frames) == len(identifiers)
            )
            yield frames
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
