"""A charger from the `ocpp` package talking to ocpp-cable."""

import asyncio
import sys

import websockets
from ocpp.routing import on
from ocpp.v16 import ChargePoint, call, call_result
from ocpp.v16.enums import Action


class Charger(ChargePoint):
    @on(Action.get_configuration)
    def on_get_configuration(self, key=None, **_):
        return call_result.GetConfiguration(
            configuration_key=[{"key": "HeartbeatInterval", "readonly": False, "value": "300"}]
        )


async def main(url: str) -> None:
    async with websockets.connect(url, subprotocols=["ocpp1.6"]) as ws:
        charger = Charger("CP-1", ws)
        task = asyncio.create_task(charger.start())
        boot = await charger.call(
            call.BootNotification(charge_point_model="Hello", charge_point_vendor="World")
        )
        print("boot:", boot.status, "interval", boot.interval)
        auth = await charger.call(call.Authorize(id_tag="ABC123"))
        print("authorize:", auth.id_tag_info["status"])
        await asyncio.sleep(0.5)  # time for the GetConfiguration round trip
        task.cancel()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "ws://127.0.0.1:9000/ocpp/CP-1"))
