"""A charger for the AnyCable-Go Pro example: it boots with a meter serial number,
charges once, then waits for a remote command (a TriggerMessage) sent to `ev/<sn>`."""

import argparse
import asyncio

import websockets
from ocpp.routing import on
from ocpp.v16 import ChargePoint, call, call_result


class Charger(ChargePoint):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.triggered = asyncio.Event()

    @on("TriggerMessage")
    def on_trigger_message(self, requested_message, **_):
        print("TriggerMessage:", requested_message)
        self.triggered.set()
        return call_result.TriggerMessage(status="Accepted")


async def main(url: str, sn: str, wait: float) -> None:
    station_id = url.rstrip("/").rsplit("/", 1)[-1]
    async with websockets.connect(url, subprotocols=["ocpp1.6"]) as ws:
        charger = Charger(station_id, ws)
        task = asyncio.create_task(charger.start())
        boot = await charger.call(
            call.BootNotification(
                charge_point_model="Seed", charge_point_vendor="AnyCable", meter_serial_number=sn
            )
        )
        print("boot:", boot.status)
        auth = await charger.call(call.Authorize(id_tag="ABC123"))
        start = await charger.call(
            call.StartTransaction(
                connector_id=1, id_tag="ABC123", meter_start=0, timestamp="2026-12-01T10:00:00Z"
            )
        )
        await charger.call(
            call.StopTransaction(
                meter_stop=1200,
                timestamp="2026-12-01T10:30:00Z",
                transaction_id=start.transaction_id,
                id_tag="ABC123",
            )
        )
        print("authorize:", auth.id_tag_info["status"], "transaction:", start.transaction_id)
        print(f"waiting {wait:g} s for a command on ev/{sn}")
        try:
            await asyncio.wait_for(charger.triggered.wait(), wait)
        except TimeoutError:
            print("no command came")
        await asyncio.sleep(0.2)  # the answer to the command goes out
        task.cancel()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url", nargs="?", default="ws://127.0.0.1:9000/ocpp/CP-1")
    parser.add_argument("--sn", default="SN-0001", help="meterSerialNumber (default: SN-0001)")
    parser.add_argument("--wait", type=float, default=30.0, help="seconds to wait for a command")
    args = parser.parse_args()
    asyncio.run(main(args.url, args.sn, args.wait))
