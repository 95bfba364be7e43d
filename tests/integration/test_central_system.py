"""The reference central system end to end: a real charger, gateway, rpc_app and database."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import timedelta

import grpc
import orjson
import pytest
import websockets
from ocpp.v16 import call
from websockets.exceptions import InvalidStatus

from ocpp_cable import channels
from ocpp_cable.channels.domain import commands, stations
from ocpp_cable.channels.domain.timeutil import now
from ocpp_cable.channels.handlers.ocpp_channel import OCPPChannel
from ocpp_cable.channels.settings import Settings
from ocpp_cable.channels.storage import db
from ocpp_cable.channels.storage.models import (
    ChargePoint,
    Command,
    Connector,
    MessageLog,
    MeterValue,
    StationNotification,
    Transaction,
)
from ocpp_cable.contract.pb import rpc_pb2, rpc_pb2_grpc
from tests.support.central import PASSWORD, basic, central_system, connected, rows, seed
from tests.support.processes import ROOT
from tests.support.servers import (
    BROADCAST_KEY,
    eventually,
    station_url,
    subscribed,
)

T0 = "2026-11-21T10:00:00Z"


def sampled(energy_wh: int, timestamp: str) -> list[dict]:
    return [
        {
            "timestamp": timestamp,
            "sampledValue": [
                {
                    "value": str(energy_wh),
                    "measurand": "Energy.Active.Import.Register",
                    "unit": "Wh",
                },
                {"value": "7200", "measurand": "Power.Active.Import", "unit": "W"},
                {"value": "230.5", "measurand": "Voltage", "unit": "V", "phase": "L1-N"},
            ],
        }
    ]


async def test_full_charging_session_is_stored(database_url):
    seed(database_url)
    async with central_system(database_url, heartbeat_interval=120) as (node, _):
        async with connected(node) as cp:
            boot = await cp.call(
                call.BootNotification(
                    charge_point_model="Wallbox X",
                    charge_point_vendor="Acme",
                    charge_point_serial_number="SN-1",
                    firmware_version="1.2.3",
                    iccid="8931",
                    imsi="2620",
                    meter_type="AC",
                    meter_serial_number="M-9",
                )
            )
            await cp.call(
                call.StatusNotification(connector_id=1, error_code="NoError", status="Preparing")
            )
            auth = await cp.call(call.Authorize(id_tag="TAG-1"))
            start = await cp.call(
                call.StartTransaction(
                    connector_id=1, id_tag="TAG-1", meter_start=1000, timestamp=T0
                )
            )
            tx = start.transaction_id
            for minute, energy in ((1, 1500), (2, 2100)):
                await cp.call(
                    call.MeterValues(
                        connector_id=1,
                        transaction_id=tx,
                        meter_value=sampled(energy, f"2026-11-21T10:0{minute}:00Z"),
                    )
                )
            stop = await cp.call(
                call.StopTransaction(
                    meter_stop=2600,
                    timestamp="2026-11-21T10:03:00Z",
                    transaction_id=tx,
                    id_tag="TAG-1",
                    reason="EVDisconnected",
                    transaction_data=sampled(2600, "2026-11-21T10:03:00Z"),
                )
            )
            (station,) = rows(database_url, ChargePoint)
            assert station.connected
        await eventually(lambda: not rows(database_url, ChargePoint)[0].connected)

    assert boot.status == "Accepted" and boot.interval == 120
    assert auth.id_tag_info["status"] == "Accepted"
    assert start.id_tag_info["status"] == "Accepted"
    assert stop.id_tag_info["status"] == "Accepted"
    (station,) = rows(database_url, ChargePoint)
    assert (station.vendor, station.model, station.charge_point_serial_number) == (
        "Acme",
        "Wallbox X",
        "SN-1",
    )
    assert (station.firmware_version, station.iccid, station.imsi) == ("1.2.3", "8931", "2620")
    assert (station.meter_type, station.meter_serial_number) == ("AC", "M-9")
    assert station.boot_status == "Accepted" and station.last_seen is not None
    (connector,) = rows(database_url, Connector)
    assert (connector.connector_id, connector.status, connector.error_code) == (
        1,
        "Preparing",
        "NoError",
    )
    (transaction,) = rows(database_url, Transaction)
    assert transaction.id == tx
    assert (transaction.meter_start, transaction.meter_stop, transaction.energy_wh) == (
        1000,
        2600,
        1600,
    )
    assert transaction.stop_reason == "EVDisconnected"
    readings = rows(database_url, MeterValue, MeterValue.transaction_id == tx)
    assert len(readings) == 9  # three sampled values in each of two MeterValues and the stop
    energy = sorted(
        int(r.value) for r in readings if r.measurand == "Energy.Active.Import.Register"
    )
    assert energy == [1500, 2100, 2600]
    assert {r.phase for r in readings if r.measurand == "Voltage"} == {"L1-N"}
    log = rows(database_url, MessageLog)
    calls_in = [m.action for m in log if m.direction == "in" and m.message_type == "CALL"]
    assert calls_in == [
        "BootNotification",
        "StatusNotification",
        "Authorize",
        "StartTransaction",
        "MeterValues",
        "MeterValues",
        "StopTransaction",
    ]
    assert sum(m.direction == "out" for m in log) == len(calls_in)  # every one answered


async def test_retried_messages_create_no_duplicates(database_url):
    seed(database_url)
    async with central_system(database_url) as (node, _):
        async with connected(node) as cp:
            start = call.StartTransaction(
                connector_id=1, id_tag="TAG-1", meter_start=5, timestamp=T0
            )
            first = await cp.call(start)
            again = await cp.call(start)  # same message, new message id: a retry
            meter = call.MeterValues(
                connector_id=1,
                transaction_id=first.transaction_id,
                meter_value=sampled(50, "2026-11-21T10:01:00Z"),
            )
            await cp.call(meter)
            await cp.call(meter)
            stop = call.StopTransaction(
                meter_stop=80, timestamp="2026-11-21T10:02:00Z", transaction_id=first.transaction_id
            )
            await cp.call(stop)
            await cp.call(stop)
    assert first.transaction_id == again.transaction_id
    assert again.id_tag_info["status"] == "Accepted"  # not ConcurrentTx with itself
    assert len(rows(database_url, Transaction)) == 1
    assert len(rows(database_url, MeterValue)) == 3
    (transaction,) = rows(database_url, Transaction)
    assert transaction.energy_wh == 75


async def test_station_authentication(database_url):
    seed(database_url)
    async with central_system(database_url) as (node, _):
        for station_id, headers, status in [
            # Unknown or without credentials: 401 alike, so the answer tells no one which
            # station ids exist.
            ("CP-UNKNOWN", {}, 401),
            ("CP-1", basic("CP-1", "wrong"), 401),
            ("CP-1", basic("CP-2", PASSWORD), 401),  # username must be the station id
            ("CP-1", {}, 401),  # no credentials at all: refused without saying why
        ]:
            with pytest.raises(InvalidStatus) as refused:
                await websockets.connect(
                    station_url(node, station_id),
                    subprotocols=["ocpp1.6"],
                    additional_headers=headers,
                )
            response = refused.value.response
            assert response.status_code == status, (station_id, headers)
            assert response.headers["WWW-Authenticate"] == 'Basic realm="OCPP", charset="UTF-8"'
        async with connected(node) as cp:
            assert (await cp.call(call.Heartbeat())).current_time


async def test_auto_registration(database_url):
    async with central_system(database_url, auto_register=True) as (node, _):
        async with connected(node, "CP-NEW", password=None) as cp:
            await cp.call(call.BootNotification(charge_point_model="M", charge_point_vendor="V"))
    (station,) = rows(database_url, ChargePoint)
    assert station.id == "CP-NEW" and station.vendor == "V" and station.password_hash is None


async def test_id_tags_blocked_expired_unknown_and_concurrent(database_url):
    yesterday = now() - timedelta(days=1)
    seed(
        database_url,
        tags=(
            ("GOOD", "Accepted", None),
            ("BLOCKED", "Blocked", None),
            ("OLD", "Accepted", yesterday),
        ),
    )
    async with central_system(database_url) as (node, _):
        async with connected(node) as cp:
            statuses = {
                tag: (await cp.call(call.Authorize(id_tag=tag))).id_tag_info["status"]
                for tag in ("GOOD", "BLOCKED", "OLD", "NOBODY")
            }
            blocked_start = await cp.call(
                call.StartTransaction(connector_id=1, id_tag="BLOCKED", meter_start=0, timestamp=T0)
            )
            await cp.call(
                call.StartTransaction(connector_id=2, id_tag="GOOD", meter_start=0, timestamp=T0)
            )
            concurrent = await cp.call(call.Authorize(id_tag="GOOD"))
    assert statuses == {
        "GOOD": "Accepted",
        "BLOCKED": "Blocked",
        "OLD": "Expired",
        "NOBODY": "Invalid",
    }
    assert blocked_start.id_tag_info["status"] == "Blocked"  # recorded, but the charger must stop
    assert concurrent.id_tag_info["status"] == "ConcurrentTx"


async def test_data_transfer_and_notifications(database_url):
    seed(database_url)

    @OCPPChannel.data_transfer_handler("com.acme")
    def acme(channel, data):
        return {"status": "Accepted", "data": data["payload"].get("data", "").upper()}

    try:
        async with central_system(database_url) as (node, _):
            async with connected(node) as cp:
                unknown = await cp.call(call.DataTransfer(vendor_id="com.other"))
                acme_reply = await cp.call(call.DataTransfer(vendor_id="com.acme", data="hi"))
                await cp.call(call.FirmwareStatusNotification(status="Installed"))
                await cp.call(call.DiagnosticsStatusNotification(status="Uploaded"))
                await cp.call(
                    call.SecurityEventNotification(
                        type="FirmwareUpdated", timestamp=T0, tech_info="v2"
                    )
                )
    finally:
        OCPPChannel.vendor_handlers.pop("com.acme", None)
    assert unknown.status == "UnknownVendorId"
    assert (acme_reply.status, acme_reply.data) == ("Accepted", "HI")
    (station,) = rows(database_url, ChargePoint)
    assert (station.firmware_status, station.diagnostics_status) == ("Installed", "Uploaded")
    actions = sorted(n.action for n in rows(database_url, StationNotification))
    assert actions == [
        "DiagnosticsStatusNotification",
        "FirmwareStatusNotification",
        "SecurityEventNotification",
    ]


async def run_cli(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "ocpp_cable.cli",
        *args,
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode, out.decode(), err.decode()


async def test_send_wait_prints_the_station_answer(database_url):
    seed(database_url)
    async with central_system(database_url) as (node, _):
        env = {
            "OCPP_CABLE_DATABASE_URL": database_url,
            "OCPP_CABLE_BROADCAST_URL": f"http://127.0.0.1:{node.http_port}/_broadcast",
            "OCPP_CABLE_BROADCAST_KEY": BROADCAST_KEY,
        }
        async with connected(node):
            await eventually(lambda: subscribed(node, "CP-1"))
            code, out, err = await run_cli(
                "send", "CP-1", "RemoteStartTransaction", '{"idTag": "TAG-1"}', "--wait", env=env
            )
        await eventually(lambda: not rows(database_url, ChargePoint)[0].connected)
        offline_code, _, offline_err = await run_cli("send", "CP-1", "ClearCache", env=env)
    assert code == 0, err
    assert 'accepted: {"status":"Accepted"}' in out
    (command,) = rows(database_url, Command)
    assert (command.action, command.status, command.response) == (
        "RemoteStartTransaction",
        "accepted",
        {"status": "Accepted"},
    )
    assert command.sent_at is not None and command.answered_at is not None
    assert offline_code == 1 and "CP-1 is not connected" in offline_err


async def test_command_timeout_is_recorded(database_url):
    """A station that never answers: the command ends as timeout."""
    seed(database_url)
    async with central_system(database_url, call_timeout=0.5) as (node, _):
        ws = await websockets.connect(
            station_url(node, "CP-1"),
            subprotocols=["ocpp1.6"],
            additional_headers=basic("CP-1", PASSWORD),
        )
        try:
            await eventually(lambda: rows(database_url, ChargePoint)[0].connected)
            # The channel records the connection before the gateway holds the stream.
            await eventually(lambda: subscribed(node, "CP-1"))
            with db.session_scope(database_url) as session:
                commands.record_command(session, "cmd-1", "CP-1", "ClearCache", {})
            await asyncio.to_thread(
                OCPPChannel.broadcast_to,
                "CP-1",
                {"command": "ClearCache", "id": "cmd-1", "payload": {}},
            )
            assert (await asyncio.wait_for(ws.recv(), 5)).startswith('[2,"cmd-1"')
            await eventually(lambda: rows(database_url, Command)[0].status == "timeout")
        finally:
            await ws.close()


def test_late_disconnect_of_an_older_connection_keeps_station_connected(database_url):
    with db.session_scope(database_url) as session:
        stations.add_station(session, "CP-1")
        stations.mark_connected(session, "CP-1", "old")
        stations.mark_connected(session, "CP-1", "new")
        stations.mark_disconnected(session, "CP-1", "old")
    assert rows(database_url, ChargePoint)[0].connected
    with db.session_scope(database_url) as session:
        stations.mark_disconnected(session, "CP-1", "new")
    assert not rows(database_url, ChargePoint)[0].connected


def test_migrations_match_the_models(database_url):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from ocpp_cable.channels.storage.models import Base

    engine = db.session_factory(database_url).kw["bind"]
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == [], "models changed without a migration"


def test_passwords_are_salted_and_checked():
    from ocpp_cable.channels.domain.passwords import hash_password, verify_password

    password = "correct horse battery staple"  # too long to turn up in a hash by chance
    first, second = hash_password(password), hash_password(password)
    assert first != second and password not in first
    assert verify_password(password, first) and not verify_password(password.upper(), first)
    assert not verify_password("pw", "garbage")


async def test_certificate_subject_authenticates_a_station(database_url):
    """Security profile 3: a verified certificate with CN=<station id> needs no password."""
    from ocpp_cable.channels.handlers.connection import StationConnection
    from ocpp_cable.rpc_app import Rejected, RequestEnv

    seed(database_url)
    channels.config.configure(Settings(database_url=database_url))
    try:
        url = "wss://gw/ocpp/CP-1"
        good = StationConnection(RequestEnv(url, {"tls-client-subject": "CN=CP-1,O=Acme"}))
        await good.connect()
        assert good.identifiers == {"station_id": "CP-1"}
        for subject in ("CN=CP-2,O=Acme", "O=Acme,CN=CP-1"):
            with pytest.raises(Rejected):
                await StationConnection(RequestEnv(url, {"tls-client-subject": subject})).connect()
    finally:
        channels.config.configure(None)


async def test_a_browser_is_no_station_and_cannot_pose_as_one(database_url):
    """/cable serves browsers, but the reference system's stations are chargers at their
    own path: a browser is refused (even with auto-registration on) and registers nothing,
    and a subscription naming another station than the connection's is rejected."""
    seed(database_url)
    async with central_system(database_url, auto_register=True) as (node, _):
        async with websockets.connect(f"ws://127.0.0.1:{node.port}/cable") as ws:
            goodbye = orjson.loads(await asyncio.wait_for(ws.recv(), 5))
        forged = orjson.dumps({"channel": "OCPPChannel", "station_id": "CP-1"}).decode()
        async with grpc.aio.insecure_channel(node.settings.rpc_host) as channel:
            answer = await rpc_pb2_grpc.RPCStub(channel).Command(
                rpc_pb2.CommandMessage(
                    command="subscribe",
                    identifier=forged,
                    connection_identifiers='{"station_id":"CP-2"}',
                    env=rpc_pb2.Env(url="ws://h/ocpp/CP-2"),
                ),
                metadata=(("protov", "v1"), ("sid", "s1")),
            )
    assert goodbye == {"type": "disconnect", "reason": "unauthorized", "reconnect": False}
    assert [s.id for s in rows(database_url, ChargePoint)] == ["CP-1"]
    assert answer.status == rpc_pb2.FAILURE
    assert orjson.loads(answer.transmissions[-1])["type"] == "reject_subscription"


async def test_a_browser_is_no_station_even_at_a_cable_path_under_the_station_prefix(database_url):
    async with central_system(database_url, auto_register=True, cable_path="/ocpp/cable") as (
        node,
        _,
    ):
        async with websockets.connect(f"ws://127.0.0.1:{node.port}/ocpp/cable") as ws:
            goodbye = orjson.loads(await asyncio.wait_for(ws.recv(), 5))
    assert goodbye["reason"] == "unauthorized"
    assert rows(database_url, ChargePoint) == []
