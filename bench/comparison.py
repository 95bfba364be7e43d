"""The comparison: a central system written the common Python way.

The `ocpp` package's ChargePoint per connection on a `websockets` server,
handling the same actions as bench/minimal_channels.py, plus a tiny HTTP
endpoint that sends one command to every connected charger (the broadcast).

    python -m bench.comparison --port 9500 --control-port 9501
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
from datetime import UTC, datetime

import websockets
from aiohttp import web
from ocpp.routing import on
from ocpp.v16 import ChargePoint, call, call_result
from ocpp.v16.enums import Action

CHARGERS: dict[str, ChargePoint] = {}
_background: set[asyncio.Task] = set()


def now() -> str:
    return datetime.now(UTC).isoformat()


class CentralSystemChargePoint(ChargePoint):
    @on(Action.boot_notification)
    async def on_boot(self, charge_point_vendor, charge_point_model, **_):
        return call_result.BootNotification(current_time=now(), interval=300, status="Accepted")

    @on(Action.heartbeat)
    async def on_heartbeat(self):
        return call_result.Heartbeat(current_time=now())

    @on(Action.status_notification)
    async def on_status(self, connector_id, error_code, status, **_):
        return call_result.StatusNotification()

    @on(Action.meter_values)
    async def on_meter_values(self, connector_id, meter_value, **_):
        return call_result.MeterValues()

    @on(Action.authorize)
    async def on_authorize(self, id_tag):
        return call_result.Authorize(id_tag_info={"status": "Accepted"})

    @on(Action.start_transaction)
    async def on_start(self, connector_id, id_tag, meter_start, timestamp, **_):
        return call_result.StartTransaction(transaction_id=1, id_tag_info={"status": "Accepted"})

    @on(Action.stop_transaction)
    async def on_stop(self, meter_stop, timestamp, transaction_id, **_):
        return call_result.StopTransaction()


async def on_connect(websocket) -> None:
    station_id = websocket.request.path.rsplit("/", 1)[-1]
    charger = CentralSystemChargePoint(station_id, websocket)
    CHARGERS[station_id] = charger
    try:
        await charger.start()
    except websockets.ConnectionClosed:
        pass
    finally:
        if CHARGERS.get(station_id) is charger:
            del CHARGERS[station_id]


async def broadcast(_request: web.Request) -> web.Response:
    for charger in list(CHARGERS.values()):
        task = asyncio.create_task(charger.call(call.ClearCache()))
        _background.add(task)
        task.add_done_callback(_background.discard)
    return web.Response(status=201, text=str(len(CHARGERS)))


async def main(port: int, control_port: int) -> None:
    logging.getLogger("ocpp").setLevel(logging.WARNING)
    app = web.Application()
    app.router.add_post("/broadcast", broadcast)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", control_port).start()
    async with websockets.serve(
        on_connect, "127.0.0.1", port, subprotocols=["ocpp1.6"], backlog=4096
    ) as server:
        await server.serve_forever()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=9500)
    parser.add_argument("--control-port", type=int, default=9501)
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main(args.port, args.control_port))
