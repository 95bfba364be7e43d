"""The browsers this node holds, and the pings that keep their connections alive."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

from gateway.cable.session import PING_INTERVAL, ping_frame

if TYPE_CHECKING:
    from gateway.cable.socket import CableSocket


class Browsers:
    """Every browser connection of this node. One ticker pings them all every
    PING_INTERVAL seconds: one frame built per tick, not a timer per browser."""

    def __init__(self) -> None:
        self._held: set[CableSocket] = set()
        self._ticker: asyncio.Task[None] | None = None

    def __len__(self) -> int:
        return len(self._held)

    def __iter__(self) -> Iterator[CableSocket]:
        return iter(list(self._held))

    def add(self, browser: CableSocket) -> None:
        self._held.add(browser)
        if self._ticker is None or self._ticker.done():
            self._ticker = asyncio.create_task(self._ping(), name="cable-pings")

    def discard(self, browser: CableSocket) -> None:
        self._held.discard(browser)

    async def _ping(self) -> None:
        while self._held:
            await asyncio.sleep(PING_INTERVAL)
            frame = ping_frame(time.time())
            for browser in list(self._held):
                browser.push(frame)

    async def close(self, within: float) -> None:
        """Tell every browser to come back later (`server_restart`), and wait for them."""
        held = list(self._held)
        if held:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(within):
                    await asyncio.gather(
                        *(b.close("server_restart", reconnect=True) for b in held),
                        return_exceptions=True,
                    )
            for browser in held:
                if not browser.finished.is_set():
                    browser.ws.transport.abort()
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
