"""A charger from the `ocpp` package charging once, with a station password (profile 1).

python examples/charging_session.py ws://127.0.0.1:9000/ocpp CP-1 s3cret TAG-1
"""

import asyncio
import base64
import sys
from datetime import UTC, datetime, timedelta

import websockets
from ocpp.v16 import ChargePoint, call


def at(minutes: int) -> str:
    start = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
    return (start + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


def energy(wh: int, minutes: int) -> list[dict]:
    sample = {"value": str(wh), "measurand": "Energy.Active.Import.Register", "unit": "Wh"}
    return [{"timestamp": at(minutes), "sampledValue": [sample]}]


async def charge(url: str, station_id: str, password: str, id_tag: str) -> None:
    token = base64.b64encode(f"{station_id}:{password}".encode()).decode()
    async with websockets.connect(
        f"{url}/{station_id}",
        subprotocols=["ocpp1.6"],
        additional_headers={"Authorization": f"Basic {token}"},
    ) as ws:
        cp = ChargePoint(station_id, ws)
        task = asyncio.create_task(cp.start())
        boot = await cp.call(
            call.BootNotification(charge_point_model="M1", charge_point_vendor="Acme")
        )
        print("boot:", boot.status)
        await cp.call(
            call.StatusNotification(connector_id=1, error_code="NoError", status="Preparing")
        )
        auth = await cp.call(call.Authorize(id_tag=id_tag))
        print("authorize:", auth.id_tag_info["status"])
        start = await cp.call(
            call.StartTransaction(connector_id=1, id_tag=id_tag, meter_start=0, timestamp=at(0))
        )
        tx = start.transaction_id
        print("transaction:", tx)
        for minute in (1, 2, 3):
            await cp.call(
                call.MeterValues(
                    connector_id=1, transaction_id=tx, meter_value=energy(minute * 3700, minute)
                )
            )
        await cp.call(
            call.StopTransaction(
                meter_stop=14800, timestamp=at(4), transaction_id=tx, id_tag=id_tag, reason="Local"
            )
        )
        print("stopped: 14800 Wh on the meter")
        task.cancel()


if __name__ == "__main__":
    asyncio.run(charge(*sys.argv[1:5]))
