"""A Connect that takes a while, and a channel that acks: for reconnect-storm tests (the
gateway's handshake queue)."""

from __future__ import annotations

import asyncio

from ocpp_cable.rpc_app import Channel, Connection

# Seconds each Connect takes; a test sets it.
CONNECT_DELAY = {"seconds": 0.02}


class SlowConnection(Connection):
    async def connect(self):
        await asyncio.sleep(CONNECT_DELAY["seconds"])
        self.identifiers["station_id"] = self.env.station_id


class OCPPChannel(Channel):
    """Subscribes each station to its stream; the gateway's default acks answer its CALLs."""

    async def subscribed(self):
        self.stream_for(self.params["station_id"])

    async def boot_notification(self, data):
        pass

    async def meter_values(self, data):
        pass
