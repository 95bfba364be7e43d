"""The node's lease on the application, renewed every third of its time to live.

While the lease holds, the application counts this node's stations as connected.
A node that dies without a goodbye stops renewing, and within the lease's time its
stations are seen as gone; a node that drains gives its lease up at the end.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

import structlog

from ocpp_cable.foundation.throttle import LogThrottle
from ocpp_cable.gateway.rpc import RPCClient, RPCError

log = structlog.get_logger("gateway.lease")


class LeaseKeeper:
    """Renews this node's lease on the application every third of its ttl.

    The lease names the stations the node holds, so a node killed without a goodbye has
    its stations seen as gone once the lease runs out. An RPC server without the
    Presence service turns it off (presence then rests on Disconnect alone).
    """

    def __init__(
        self, rpc: RPCClient, node: str, ttl: float, stations: Callable[[], list[str]]
    ) -> None:
        self.rpc = rpc
        self.node = node
        self.ttl = ttl
        self.stations = stations
        self.supported = True  # until the RPC server says it has no Presence service
        self._task: asyncio.Task[None] | None = None
        self._throttle = LogThrottle()

    @property
    def active(self) -> bool:
        """Does the application see this node by its lease? (Else presence rests on Disconnect.)"""
        return self.ttl > 0 and self.supported

    def start(self) -> None:
        if self.ttl > 0:
            self._task = asyncio.create_task(self._run(), name="node-lease")

    async def _run(self) -> None:
        while self.supported:
            await self.renew(self.ttl)
            await asyncio.sleep(self.ttl / 3)

    async def renew(self, ttl: float, within: float | None = None) -> bool:
        try:
            await self.rpc.renew(self.node, ttl, self.stations() if ttl else [], within)
        except RPCError as exc:
            if exc.code == "UNIMPLEMENTED":
                self.supported = False
                log.info("the RPC server keeps no leases: stations' presence rests on Disconnect")
                return False
            held_back = self._throttle.allow("renew")
            if held_back is not None:
                log.warning("lease not renewed", error=str(exc), since_last=held_back)
            return False
        return True

    async def release(self, within: float) -> None:
        """Give the lease up (in `within` seconds at most): the application sweeps whatever
        this node still held. Past that, the lease lapses by itself."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self.ttl > 0 and self.supported and within > 0:
            await self.renew(0, within)
