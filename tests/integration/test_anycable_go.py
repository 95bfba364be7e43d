"""AnyCable-Go Pro on both edges.

1. Our rpc_app and the reference central system behind anycable-go: the requests are
   built here as anycable-go builds them (protocol/protocol.go, server/request_info.go,
   rpc/rpc.go of anycable/anycable-go; the OCPP data as its Pro documentation gives
   it), sent with the bare generated stub, not through our gateway's RPC client.
2. The example channel of that documentation (examples/anycable_pro), unchanged,
   behind our gateway in AnyCable compatibility mode, with `ocpp` package chargers.
"""

from __future__ import annotations

import asyncio
import contextlib

import grpc
import orjson
import pytest
import structlog
from ocpp.routing import on
from ocpp.v16 import ChargePoint, call, call_result
from sqlalchemy import select

from ocpp_cable import channels
from ocpp_cable.channels.domain import stations
from ocpp_cable.channels.settings import Settings
from ocpp_cable.channels.storage import db
from ocpp_cable.channels.storage.models import ChargePoint as StationRow
from ocpp_cable.channels.storage.models import Connector
from ocpp_cable.contract.pb import rpc_pb2, rpc_pb2_grpc
from ocpp_cable.rpc_app import broadcasting
from ocpp_cable.rpc_app.application import load_application
from tests.support.central import PASSWORD, basic, central_system, connected, rows, seed
from tests.support.servers import (
    BROADCAST_KEY,
    charger,
    eventually,
    gateway,
    rpc_server,
    subscribed,
)

# --- anycable-go, as its source builds the calls -------------------------------------------


class AnyCableGo:
    """One station's session as anycable-go holds it: the env of the upgrade request,
    the identifiers Connect returned, the connection state, and each channel's state."""

    def __init__(self, stub, url: str, headers: dict[str, str]) -> None:
        self.stub = stub
        self.url = url
        # DefaultHeadersExtractor: the --headers list (lower-cased by its CLI), present
        # ones only, plus REMOTE_ADDR always.
        self.headers = headers
        self.sid = "yTzPKqJ1uWnRm9f3"  # a nanoid, as FetchUID makes one
        self.identifiers = ""
        self.cstate: dict[str, str] = {}
        self.istates: dict[str, dict[str, str]] = {}

    def _metadata(self):
        return (("sid", self.sid), ("protov", "v1"))  # rpc.newContext

    def _env(self, istate: dict[str, str] | None = None) -> rpc_pb2.Env:
        env = rpc_pb2.Env(url=self.url, headers=self.headers, cstate=self.cstate)
        if istate:
            env.istate.update(istate)
        return env

    async def connect(self) -> rpc_pb2.ConnectionResponse:
        # NewConnectMessage: the env alone (no state yet).
        request = rpc_pb2.ConnectionRequest(env=rpc_pb2.Env(url=self.url, headers=self.headers))
        response = await self.stub.Connect(request, metadata=self._metadata())
        if response.status == rpc_pb2.SUCCESS:
            self.identifiers = response.identifiers
        self.cstate.update(response.env.cstate)
        return response

    async def command(self, command: str, identifier: str, data: str = ""):
        # NewCommandMessage with buildChannelEnv: this channel's state as istate.
        request = rpc_pb2.CommandMessage(
            command=command,
            env=self._env(self.istates.get(identifier)),
            identifier=identifier,
            connection_identifiers=self.identifiers,
        )
        if data:
            request.data = data
        response = await self.stub.Command(request, metadata=self._metadata())
        for key, value in response.env.cstate.items():
            self.cstate[key] = value
        self.istates.setdefault(identifier, {}).update(response.env.istate)
        return response

    async def perform(self, identifier: str, data: dict):
        return await self.command("message", identifier, orjson.dumps(data).decode())

    async def disconnect(self, subscriptions: list[str]):
        # NewDisconnectMessage with buildDisconnectEnv: every channel's state, JSON-encoded.
        env = self._env()
        for identifier in subscriptions:
            env.istate[identifier] = orjson.dumps(self.istates.get(identifier, {})).decode()
        request = rpc_pb2.DisconnectRequest(
            identifiers=self.identifiers, subscriptions=subscriptions, env=env
        )
        return await self.stub.Disconnect(request, metadata=self._metadata())


# AnyCable-Go Pro subscribes at BootNotification with the meter's serial number.
SN_IDENTIFIER = orjson.dumps({"channel": "OCPPChannel", "sn": "SN-77"}).decode()
BOOT = {
    "action": "boot_notification",
    "command": "BootNotification",
    "id": "m-1",
    "payload": {
        "chargePointVendor": "Acme",
        "chargePointModel": "X1",
        "meterSerialNumber": "SN-77",
    },
}


@contextlib.asynccontextmanager
async def reference_rpc(database_url):
    channels.setup(Settings(database_url=database_url, broadcast_key=BROADCAST_KEY))
    try:
        async with rpc_server(app=load_application("ocpp_cable.channels")) as (_, port, _):
            async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
                yield rpc_pb2_grpc.RPCStub(channel)
    finally:
        channels.config.configure(None)


def transmitted(response) -> list[dict]:
    """The transmissions' data, as anycable-go reads them (Action Cable's `message`)."""
    out = []
    for text in response.transmissions:
        message = orjson.loads(text)
        out.append(message.get("message", message))
    return out


def station_row(url: str, station_id: str = "CP-1") -> StationRow:
    with db.session_scope(url) as session:
        row = session.scalar(select(StationRow).where(StationRow.id == station_id))
        session.expunge(row)
        return row


async def test_anycable_go_drives_the_reference_central_system(database_url):
    seed(database_url)
    async with reference_rpc(database_url) as stub:
        # anycable-go --ocpp_path=/ocpp --headers=authorization, behind plain HTTP.
        go = AnyCableGo(
            stub,
            "http://charge.example.com:8080/ocpp/CP-1",
            {"authorization": basic("CP-1", PASSWORD)["Authorization"], "REMOTE_ADDR": "10.1.2.3"},
        )
        connected = await go.connect()
        assert connected.status == rpc_pb2.SUCCESS, connected.error_msg
        assert orjson.loads(connected.identifiers) == {"station_id": "CP-1"}

        subscription = await go.command("subscribe", SN_IDENTIFIER)
        assert subscription.status == rpc_pb2.SUCCESS, subscription.error_msg
        assert list(subscription.streams) == ["ocpp:CP-1"]  # the station id, not the sn
        assert station_row(database_url).connected

        booted = await go.perform(SN_IDENTIFIER, BOOT)
        assert booted.status == rpc_pb2.SUCCESS, booted.error_msg
        (ack,) = transmitted(booted)
        assert ack["command"] == "Ack" and ack["id"] == "m-1"
        assert ack["payload"]["status"] == "Accepted"
        row = station_row(database_url)
        assert (row.vendor, row.meter_serial_number) == ("Acme", "SN-77")

        authorized = await go.perform(
            SN_IDENTIFIER,
            {"action": "authorize", "command": "Authorize", "id": "m-2",
             "payload": {"idTag": "TAG-1"}},
        )  # fmt: skip
        assert transmitted(authorized)[0]["payload"] == {"idTagInfo": {"status": "Accepted"}}

        # --ocpp_granular_actions=false: no action in the data, so it goes to `receive`.
        status = {"connectorId": 1, "errorCode": "NoError", "status": "Charging"}
        received = await go.perform(
            SN_IDENTIFIER,
            {"command": "StatusNotification", "id": "m-3", "payload": status},
        )
        assert received.status == rpc_pb2.SUCCESS, received.error_msg
        assert transmitted(received) == [{"command": "Ack", "id": "m-3", "payload": {}}]
        with db.session_scope(database_url) as session:
            connector = session.scalar(select(Connector).where(Connector.connector_id == 1))
            assert connector.status == "Charging"

        gone = await go.disconnect([SN_IDENTIFIER])
        assert gone.status == rpc_pb2.SUCCESS, gone.error_msg
        assert not station_row(database_url).connected


async def test_credentials_reach_the_application_only_when_anycable_go_passes_them(
    database_url,
):
    """anycable-go's --headers default is `cookie`: a station's Basic credentials stay
    behind, and a station that must authenticate is refused, as without credentials."""
    seed(database_url)
    async with reference_rpc(database_url) as stub:
        https = "https://charge.example.com/ocpp/CP-1"
        refused = await AnyCableGo(stub, https, {"REMOTE_ADDR": "10.1.2.3"}).connect()
        assert refused.status == rpc_pb2.FAILURE
        assert orjson.loads(refused.transmissions[0])["reason"] == "unauthorized"
        headers = {"authorization": basic("CP-1", PASSWORD)["Authorization"], "REMOTE_ADDR": "::1"}
        assert (await AnyCableGo(stub, https, headers).connect()).status == rpc_pb2.SUCCESS


async def test_an_identifier_the_application_cannot_use_is_a_clear_error(database_url):
    """A connection admitted as no station (a viewer's) names none: the command fails with
    a message that says so, not a KeyError, and its Disconnect still succeeds."""
    async with reference_rpc(database_url) as stub:
        go = AnyCableGo(stub, "http://example.com/ocpp/CP-1", {"REMOTE_ADDR": "10.1.2.3"})
        go.identifiers = orjson.dumps({"viewer": "ops"}).decode()
        failed = await go.perform(SN_IDENTIFIER, BOOT)
        assert failed.status == rpc_pb2.ERROR
        assert failed.error_msg.startswith("NoStation: OCPPChannel serves stations")
        assert not failed.transmissions  # never an ack for what was not stored
        rejected = await go.command("subscribe", SN_IDENTIFIER)
        assert rejected.status == rpc_pb2.FAILURE
        garbled = ["{not json", '["a list"]', orjson.dumps({"channel": "Nope"}).decode()]
        gone = await go.disconnect([SN_IDENTIFIER, *garbled])
        assert gone.status == rpc_pb2.SUCCESS, gone.error_msg


# --- the AnyCable-Go Pro example channel behind our gateway ---------------------------------


class SeedCharger(ChargePoint):
    """Answers TriggerMessage, as the documentation's example command expects."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.triggered: list[str] = []

    @on("TriggerMessage")
    def on_trigger_message(self, requested_message, **_):
        self.triggered.append(requested_message)
        return call_result.TriggerMessage(status="Accepted")


def boot_call(sn: str | None = None) -> call.BootNotification:
    return call.BootNotification(
        charge_point_model="Seed", charge_point_vendor="AnyCable", meter_serial_number=sn
    )


TRIGGER = {"command": "TriggerMessage", "id": "t-1",
           "payload": {"requestedMessage": "BootNotification"}}  # fmt: skip


@contextlib.asynccontextmanager
async def seed_system(module: str = "examples.anycable_pro.ocpp_channel", **overrides):
    app = load_application(module)
    async with (
        rpc_server(app=app) as (_, port, counter),
        gateway(port, anycable_compat=True, **overrides) as node,
    ):
        broadcasting.configure(
            broadcasting.HTTPBroadcaster(
                f"http://127.0.0.1:{node.http_port}/_broadcast", BROADCAST_KEY
            )
        )
        try:
            yield node, app.channels["OCPPChannel"], counter
        finally:
            broadcasting.configure(None)


async def test_the_seed_channel_runs_unchanged_and_a_broadcast_reaches_one_station():
    with structlog.testing.capture_logs() as logs:
        async with seed_system() as (node, channel, _):
            async with (
                charger(node, "CP-A", cls=SeedCharger) as a,
                charger(node, "CP-B", cls=SeedCharger) as b,
                charger(node, "CP-C", cls=SeedCharger) as c,
            ):
                boot = await a.call(boot_call("SN-A"))
                # Not acked by the channel: the gateway's default, time and interval in.
                assert boot.status == "Accepted" and boot.interval == 300
                await b.call(boot_call("SN-B"))
                await c.call(boot_call())  # no meter serial number: the station id
                auth = await a.call(call.Authorize(id_tag="ABC123"))
                assert auth.id_tag_info == {"status": "Accepted"}  # its "Ack" transmission
                start = await a.call(
                    call.StartTransaction(
                        connector_id=1, id_tag="ABC123", meter_start=0,
                        timestamp="2026-12-01T10:00:00Z",
                    )
                )  # fmt: skip
                assert 0 <= start.transaction_id < 1000
                status = await a.call(
                    call.StatusNotification(connector_id=1, error_code="NoError", status="Charging")
                )
                assert status is not None  # the gateway's empty default ack

                await asyncio.to_thread(channel.broadcast_to, "ev/SN-A", TRIGGER)
                await eventually(lambda: a.triggered)
                await asyncio.to_thread(channel.broadcast_to, "ev/CP-C", TRIGGER)
                await eventually(lambda: c.triggered)
                await eventually(lambda: [e for e in logs if e["event"] == "ACK from EV"], within=5)
                await asyncio.sleep(0.3)
                assert a.triggered == ["BootNotification"] and b.triggered == []
                assert c.triggered == ["BootNotification"]
                # Nothing for the station id or the empty stream the seed would have used.
                for stream in ("ev/CP-A", "ev/"):
                    await asyncio.to_thread(channel.broadcast_to, stream, TRIGGER)
                await asyncio.sleep(0.3)
                assert a.triggered == ["BootNotification"] and b.triggered == []
    acks = [e for e in logs if e["event"] == "ACK from EV"]
    assert [(e["id"], e["status"]) for e in acks] == [("t-1", "Accepted")] * 2


async def test_a_station_that_reconnects_without_booting_is_served_by_its_id():
    """AnyCable-Go Pro subscribes at the boot only; a station that comes back without one
    (OCPP allows it) would stay out. Here it is subscribed at once, as `sn` its id."""
    async with seed_system() as (node, channel, _):
        async with charger(node, "CP-R", cls=SeedCharger) as r:
            await eventually(lambda: subscribed(node, "CP-R"))
            await r.call(call.Heartbeat())
            await asyncio.to_thread(channel.broadcast_to, "ev/CP-R", TRIGGER)
            await eventually(lambda: r.triggered)
            # Its boot then names the meter: resubscribed, reached by the serial number.
            await r.call(boot_call("SN-R"))
            station = node.stations.get("CP-R")
            assert orjson.loads(station.identifier)["sn"] == "SN-R"
            await asyncio.to_thread(channel.broadcast_to, "ev/SN-R", dict(TRIGGER, id="t-2"))
            await eventually(lambda: len(r.triggered) == 2)
            # The old subscription's stream went with it.
            await asyncio.to_thread(channel.broadcast_to, "ev/CP-R", dict(TRIGGER, id="t-3"))
            await asyncio.sleep(0.3)
            assert len(r.triggered) == 2


def trigger(message: str, message_id: str) -> dict:
    return {"command": "TriggerMessage", "id": message_id,
            "payload": {"requestedMessage": message}}  # fmt: skip


def sn_of(node, station_id: str) -> str:
    return orjson.loads(node.stations[station_id].identifier)["sn"]


async def test_a_serial_number_that_is_another_stations_id_is_refused_on_this_node():
    """CP-A claims CP-B's id as its meter serial number: it would stream from `ev/CP-B`,
    CP-B's own stream while CP-B has not booted. The claim is refused; CP-A is still
    served, by its own id."""
    async with seed_system() as (node, channel, _):
        async with (
            charger(node, "CP-A", cls=SeedCharger) as a,
            charger(node, "CP-B", cls=SeedCharger) as b,
        ):
            await eventually(lambda: subscribed(node, "CP-B"))
            with structlog.testing.capture_logs() as logs:
                boot = await a.call(boot_call("CP-B"))
            assert boot.status == "Accepted"  # served all the same
            assert sn_of(node, "CP-A") == "CP-A"
            refused = [e for e in logs if e["event"].startswith("serial number refused")]
            assert refused and refused[0]["sn"] == "CP-B" and refused[0]["log_level"] == "warning"
            await asyncio.to_thread(
                channel.broadcast_to, "ev/CP-B", trigger("BootNotification", "t-b")
            )
            await asyncio.to_thread(channel.broadcast_to, "ev/CP-A", trigger("Heartbeat", "t-a"))
            await eventually(lambda: b.triggered and a.triggered)
            # CP-B's command went out before CP-A's: had it reached CP-A, CP-A saw it first.
            assert a.triggered == ["Heartbeat"] and b.triggered == ["BootNotification"]


async def test_a_station_that_connects_takes_its_id_back_from_a_serial_number_claiming_it():
    async with seed_system() as (node, channel, _):
        async with charger(node, "CP-A", cls=SeedCharger) as a:
            await a.call(boot_call("CP-C"))  # CP-C is not connected: nothing to tell yet
            assert sn_of(node, "CP-A") == "CP-C"
            async with charger(node, "CP-C", cls=SeedCharger) as c:
                await eventually(lambda: subscribed(node, "CP-C"))
                await eventually(lambda: sn_of(node, "CP-A") == "CP-A")
                await eventually(lambda: subscribed(node, "CP-A"))
                await asyncio.to_thread(
                    channel.broadcast_to, "ev/CP-C", trigger("BootNotification", "t-c")
                )
                await asyncio.to_thread(
                    channel.broadcast_to, "ev/CP-A", trigger("Heartbeat", "t-a")
                )
                await eventually(lambda: c.triggered and a.triggered)
                assert a.triggered == ["Heartbeat"] and c.triggered == ["BootNotification"]


async def test_the_reference_system_refuses_a_serial_number_naming_another_station(database_url):
    """The application knows every station, connected or not, on any node: the
    reference system refuses a subscription whose `sn` is another station's id, and the
    gateway serves the station by its own id instead."""
    seed(database_url)
    with db.session_scope(database_url) as session:
        stations.add_station(session, "CP-2", password=PASSWORD)  # offline
    async with central_system(database_url, anycable_compat=True) as (node, _):
        async with connected(node, "CP-1") as cp:
            await eventually(lambda: subscribed(node, "CP-1"))
            with structlog.testing.capture_logs() as logs:
                boot = await cp.call(
                    call.BootNotification(
                        charge_point_model="M", charge_point_vendor="V", meter_serial_number="CP-2"
                    )
                )
                assert boot.status == "Accepted"
                assert sn_of(node, "CP-1") == "CP-1" and node.stations["CP-1"].subscribed
                await cp.call(
                    call.StatusNotification(
                        connector_id=1, error_code="NoError", status="Available"
                    )
                )
            events = [e["event"] for e in logs]
            assert "serial number refused: it is another station's id" in events  # the app
            assert "serial number refused by the application" in events  # the gateway
    assert [c.status for c in rows(database_url, Connector)] == ["Available"]


async def test_the_single_action_variant_receives_every_action():
    with structlog.testing.capture_logs() as logs:
        async with seed_system("examples.anycable_pro.single_action", granular_actions=False) as (
            node,
            _,
            _,
        ):
            async with charger(node, "CP-S", cls=SeedCharger) as s:
                boot = await s.call(boot_call("SN-S"))
                assert boot.status == "Accepted"
                await s.call(call.DataTransfer(vendor_id="acme"))  # the seed's default ack
    received = [(e["command"], e["id"]) for e in logs if e["event"] == "received"]
    assert [command for command, _ in received] == ["BootNotification", "DataTransfer"]


@pytest.mark.parametrize("compat", [False, True])
async def test_the_identifier_names_sn_only_in_compatibility_mode(compat):
    async with rpc_server() as (_, port, _), gateway(port, anycable_compat=compat) as node:
        async with charger(node, "CP-1") as cp:
            await eventually(lambda: subscribed(node, "CP-1"))
            params = orjson.loads(node.stations.get("CP-1").identifier)
            assert ("sn" in params) is compat
            assert params["station_id"] == "CP-1"
            await cp.call(boot_call("SN-1"))
            params = orjson.loads(node.stations.get("CP-1").identifier)
            assert params.get("sn") == ("SN-1" if compat else None)
