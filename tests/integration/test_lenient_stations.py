"""Lenient stations on the reference central system: an operator names the schema rules a
station may break; its messages are repaired, counted, kept raw, and answered."""

from __future__ import annotations

import orjson
import pytest
import websockets
from sqlalchemy import select

from ocpp_cable.channels.domain import stations
from ocpp_cable.channels.storage import db
from ocpp_cable.channels.storage.models import ChargePoint, Connector, MessageLog
from ocpp_cable.channels.storage.store import dispose
from tests.support.admin import run_admin_line
from tests.support.api import bearer, make_token, served_api
from tests.support.central import basic, central_system, seed
from tests.support.servers import eventually, station_url

PASSWORD = "s3cret-pass"


async def exchange(ws, *frames) -> list:
    answers = []
    for frame in frames:
        await ws.send(orjson.dumps(frame).decode())
        answers.append(orjson.loads(await ws.recv()))
    return answers


def lenient_cli(url: str, *argv: str) -> int:
    return run_admin_line(url, "stations", "lenient", *argv)[0]


BOOT = {"chargePointVendor": "A vendor whose name is too long", "chargePointModel": "M",
        "vendorExtension": {"x": 1}}  # fmt: skip
STATUS = {"connectorId": 1, "errorCode": "NoError", "status": "charging",
          "timestamp": "2026-12-01 10:00:00"}  # fmt: skip


async def test_a_lenient_stations_violations_are_repaired_counted_and_kept_raw(database_url):
    seed(database_url, tags=())
    async with central_system(database_url) as (node, _):
        # Strict, as every station is by default: each breaks the schema, each refused.
        async with websockets.connect(
            station_url(node, "CP-1"), subprotocols=["ocpp1.6"],
            additional_headers=basic("CP-1", PASSWORD),
        ) as ws:  # fmt: skip
            refused = await exchange(ws, [2, "b1", "BootNotification", BOOT])
        assert refused[0][:3] == [4, "b1", "PropertyConstraintViolation"]  # the long name

        code = lenient_cli(database_url, "CP-1", "--tolerate", "additionalProperties,maxLength")
        assert code == 0
        assert lenient_cli(database_url, "CP-1", "--tolerate", "enum,format,maxLength") == 0
        assert lenient_cli(database_url, "CP-1", "--tolerate", "maxlength") == 2  # a typo
        with db.session_scope(database_url) as session:
            stations.set_tolerated_rules(
                session, "CP-1", ["additionalProperties", "maxLength", "enum", "format"]
            )
        async with websockets.connect(
            station_url(node, "CP-1"), subprotocols=["ocpp1.6"],
            additional_headers=basic("CP-1", PASSWORD),
        ) as ws:  # fmt: skip
            boot, status, wrong_type = await exchange(
                ws,
                [2, "b2", "BootNotification", BOOT],
                [2, "s1", "StatusNotification", STATUS],
                [2, "s2", "StatusNotification", {**STATUS, "connectorId": "1"}],  # not tolerated
            )
        assert boot[:2] == [3, "b2"] and boot[2]["status"] == "Accepted"
        assert status == [3, "s1", {}]
        assert wrong_type[:3] == [4, "s2", "TypeConstraintViolation"]

        with db.session_scope(database_url) as session:
            station = session.get(ChargePoint, "CP-1")
            assert station.vendor == "A vendor whose name "  # CiString20: cut at 20
            assert station.tolerated_count == 2
            connector = session.scalar(select(Connector).where(Connector.connector_id == 1))
            assert connector.status == "Charging"
            logged = {
                row.message_id: row.payload
                for row in session.scalars(select(MessageLog).where(MessageLog.direction == "in"))
            }
        assert logged["b2"] == BOOT and logged["s1"] == STATUS  # as the station sent them
        metrics = node.metrics.render().decode()
        for rule, count in (("additionalProperties", 1), ("maxLength", 1), ("enum", 1),
                            ("format", 1)):  # fmt: skip
            line = f'ocpp_cable_gateway_violations_tolerated_total{{rule="{rule}"}} {count:.1f}'
            assert line in metrics, rule


async def test_leniency_is_set_over_the_http_api(tmp_path):
    url = f"sqlite:///{tmp_path}/api.db"
    db.upgrade(url)
    seed(url, tags=())
    token = make_token(url)
    async with served_api(url) as (_, client, _):
        put = await client.put(
            "/api/v1/stations/CP-1/leniency", json={"tolerate": ["enum", "maxLength"]},
            headers=bearer(token),
        )  # fmt: skip
        assert put.status_code == 200, put.text
        assert put.json()["tolerate"] == ["enum", "maxLength"]
        assert put.json()["tolerated_count"] == 0
        bad = await client.put(
            "/api/v1/stations/CP-1/leniency", json={"tolerate": ["required"]},
            headers=bearer(token),
        )  # fmt: skip
        assert bad.status_code == 422
        missing = await client.put(
            "/api/v1/stations/CP-9/leniency", json={"tolerate": []}, headers=bearer(token)
        )
        assert missing.status_code == 404
        strict = await client.put(
            "/api/v1/stations/CP-1/leniency", json={"tolerate": []}, headers=bearer(token)
        )
        assert strict.json()["tolerate"] == []


@pytest.mark.parametrize("argv", [["--strict"], ["--tolerate", "type"]])
def test_the_cli_refuses_an_unknown_station(tmp_path, argv):
    url = f"sqlite:///{tmp_path}/cli.db"
    db.upgrade(url)
    assert lenient_cli(url, "CP-X", *argv) == 1
    dispose(url)


async def test_the_rules_reach_the_gateway_at_connect(database_url):
    seed(database_url, tags=())
    with db.session_scope(database_url) as session:
        stations.set_tolerated_rules(session, "CP-1", ["enum"])
    async with central_system(database_url) as (node, _):
        async with websockets.connect(
            station_url(node, "CP-1"), subprotocols=["ocpp1.6"],
            additional_headers=basic("CP-1", PASSWORD),
        ):  # fmt: skip
            station = await eventually(lambda: node.stations.get("CP-1"))
            assert station.session.tolerated_rules == {"enum"}
