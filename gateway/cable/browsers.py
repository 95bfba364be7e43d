"""The browsers this node holds, the pings that keep their connections alive, and the
remote disconnects that end them."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

from ocpp_cable.gateway.cable.session import PING_INTERVAL, outgoing, ping_frame

if TYPE_CHECKING:
    from ocpp_cable.gateway.broadcasts import RemoteDisconnect
    from ocpp_cable.gateway.cable.socket import CableSocket


class Browsers:
    """Every browser connection of this node, also by the identifiers Connect gave it
    (what a remote disconnect names). One ticker pings them all every PING_INTERVAL
    seconds: one frame built per tick, not a timer per browser."""

    def __init__(self) -> None:
        self._held: set[CableSocket] = set()
        self._by_identifiers: dict[str, set[CableSocket]] = {}
        self._ticker: asyncio.Task[None] | None = None
        self._closing: set[asyncio.Task[None]] = set()

    def __len__(self) -> int:
        return len(self._held)

    def __iter__(self) -> Iterator[CableSocket]:
        return iter(list(self._held))

    def add(self, browser: CableSocket) -> None:
        self._held.add(browser)
        self._by_identifiers.setdefault(browser.identifiers, set()).add(browser)
        if self._ticker is None or self._ticker.done():
            self._ticker = asyncio.create_task(self._ping(), name="cable-pings")

    def discard(self, browser: CableSocket) -> None:
        self._held.discard(browser)
        same = self._by_identifiers.get(browser.identifiers)
        if same is not None:
            same.discard(browser)
            if not same:
                del self._by_identifiers[browser.identifiers]

    def disconnect(self, command: RemoteDisconnect) -> int:
        """Tell the browsers `command` names goodbye (its reason) and close them; returns
        how many. The goodbyes go out in tasks of their own: a broker's reader never waits
        on a browser."""
        named = list(self._by_identifiers.get(command.identifiers, ()))
        for browser in named:
            task = asyncio.create_task(
                browser.end(command.reason, command.reconnect), name=f"cable-end-{browser.sid}"
            )
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)
        return len(named)

    async def _ping(self) -> None:
        while self._held:
            await asyncio.sleep(PING_INTERVAL)
            frame = outgoing(ping_frame(time.time()))
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
