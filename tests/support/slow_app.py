"""A channel whose DataTransfer takes a while: for drain, concurrency and retry tests."""

from __future__ import annotations

import asyncio
import threading

from ocpp_cable.rpc_app import Channel

_lock = threading.Lock()
IN_FLIGHT = {"now": 0, "max": 0, "done": 0}


class OCPPChannel(Channel):
    async def data_transfer(self, data):
        with _lock:
            IN_FLIGHT["now"] += 1
            IN_FLIGHT["max"] = max(IN_FLIGHT["max"], IN_FLIGHT["now"])
        try:
            await asyncio.sleep(float(data["payload"].get("data") or 0.3))
        finally:
            with _lock:
                IN_FLIGHT["now"] -= 1
                IN_FLIGHT["done"] += 1
        self.transmit_ack(data["id"], status="Accepted")
