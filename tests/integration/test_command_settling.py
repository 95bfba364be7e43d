"""Every command reaches a final state after a process dies: a station's reply waits at the
gateway until rpc_app is back, and a command nobody will answer any more is ended by
rpc_app's sweep, which wakes the clients waiting for it."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta

import orjson
import pytest
import websockets
from ocpp.exceptions import InternalError
from ocpp.routing import after, on
from ocpp.v16 import ChargePoint, call_result
from ocpp.v16 import call as call16
from ocpp.v16.enums import Action
from sqlalchemy import select

from faults.system import System
from ocpp_cable.channels.domain import commands, presence, stations
from ocpp_cable.channels.domain.timeutil import now
from ocpp_cable.channels.operators.admin.command_records import publish_recorded
from ocpp_cable.channels.operators.admin.publishing import build_call
from ocpp_cable.channels.settings import Settings
from ocpp_cable.channels.storage import db
from ocpp_cable.channels.storage.models import ChargePoint as Station
from ocpp_cable.channels.storage.models import Command
from ocpp_cable.rpc_app.broadcasting import HTTPBroadcaster
from tests.support.api import bearer, make_token, served_api
from tests.support.central import central_system, operator
from tests.support.servers import Charger, charger, eventually, gateway, rpc_server, subscribed


class SlowToAnswer(ChargePoint):
    """Answers a Reset Accepted a second after it came; says when it came and went."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.received = asyncio.Event()
        self.answered = asyncio.Event()

    @on(Action.reset)
    async def on_reset(self, type, **_):
        self.received.set()
        await asyncio.sleep(1.0)
        return call_result.Reset(status="Accepted")

    @after(Action.reset)
    def after_reset(self, type, **_):
        self.answered.set()


def present(url: str, ids: list[str]) -> bool:
    with db.session_scope(url) as session:
        found = session.scalars(select(Station).where(Station.id.in_(ids))).all()
        return len(found) == len(ids) and all(presence.presence(session, found).values())


def statuses(url: str, ids: list[str]) -> dict[str, tuple[str, object]]:
    with db.session_scope(url) as session:
        found = session.scalars(select(Command).where(Command.id.in_(ids))).all()
        return {c.id: (c.status, c.response) for c in found}


async def test_replies_held_while_rpc_app_is_killed_are_recorded_when_it_is_back(
    database_url, tmp_path
):
    """kill -9 of rpc_app while every station holds its answer: each answer reaches the
    database once rpc_app is back, however long past the gateway's --rpc-timeout."""
    ids = [f"CP-{n}" for n in range(10)]
    flags = {"gateway": ("--rpc-timeout", "1", "--reply-retry-time", "30")}
    system = System(database_url, tmp_path, flags=flags)
    system.start()
    tasks, sockets = [], []
    try:
        chargers = []
        for station_id in ids:
            ws = await websockets.connect(f"{system.url}/{station_id}", subprotocols=["ocpp1.6"])
            cp = SlowToAnswer(station_id, ws)
            sockets.append(ws)
            chargers.append(cp)
            tasks.append(asyncio.create_task(cp.start()))
        await eventually(lambda: present(database_url, ids), within=10)
        settings = Settings(database_url=database_url)
        sender = HTTPBroadcaster(f"http://127.0.0.1:{system.http_port}/_broadcast")
        sent = []
        for station_id in ids:
            transmission = build_call("Reset", {"type": "Soft"})
            await asyncio.to_thread(
                publish_recorded, settings, station_id, transmission, f"ocpp:{station_id}", sender
            )
            sent.append(transmission["id"])
        await asyncio.wait_for(asyncio.gather(*(cp.received.wait() for cp in chargers)), 10)
        system.kill("rpc")
        # Every station answers while rpc_app is gone, and the gateway's first try of each
        # reply runs out (--rpc-timeout 1) before rpc_app comes back.
        await asyncio.wait_for(asyncio.gather(*(cp.answered.wait() for cp in chargers)), 10)
        await asyncio.sleep(2.0)
        assert set(s for s, _ in statuses(database_url, sent).values()) == {"sent"}
        await asyncio.to_thread(system.start_rpc)
        final = await eventually(
            lambda: (
                (found := statuses(database_url, sent))
                and all(s != "sent" for s, _ in found.values())
                and found
            ),
            within=15,
        )
        assert final == dict.fromkeys(sent, ("accepted", {"status": "Accepted"}))
    finally:
        for task in tasks:
            task.cancel()
        for ws in sockets:
            with contextlib.suppress(Exception):
                await ws.close()
        await asyncio.to_thread(system.stop)


async def test_a_station_holds_the_gateway_to_at_most_its_queue_of_replies(unused_tcp_port, record):
    """While rpc_app cannot take replies, a station's wait for it, queue_limit at most: the
    first are performed once rpc_app is back, the rest are dropped and counted."""
    port = unused_tcp_port
    async with (
        gateway(port, call_queue_limit=2, rpc_timeout=0.5, reply_retry_time=30) as node,
        rpc_server(port) as (server, _, _),
        charger(node, "CP-R", cls=Charger),
    ):
        await eventually(lambda: subscribed(node, "CP-R"))
        await server.stop(grace=None)
        sample = node.metrics.registry.get_sample_value

        def reset(n: int) -> None:
            call = {"command": "Reset", "id": f"r-{n}", "payload": {"type": "Soft"}}
            node.broadcast("ocpp:CP-R", orjson.dumps(call).decode())

        reset(1)  # answered at once; its reply cannot reach rpc_app
        labels = {"method": "Command", "code": "UNAVAILABLE"}
        await eventually(lambda: sample("ocpp_cable_gateway_rpc_errors_total", labels))
        for n in range(2, 5):  # one sent, two queued (the limit): each answered at once
            reset(n)
        # r-2's reply waits beside r-1's; r-3's and r-4's are more than two: dropped.
        await eventually(lambda: sample("ocpp_cable_gateway_replies_lost_total") == 2)
        async with rpc_server(port):
            acks = await eventually(lambda: len(record("ack", "CP-R")) == 2 and record("ack"))
        assert [a["id"] for a in acks] == ["r-1", "r-2"]
        assert sample("ocpp_cable_gateway_replies_lost_total") == 2


async def test_a_station_is_answered_while_its_reply_waits_for_rpc_app(unused_tcp_port, record):
    """A reply offered again gives the station's turn back between tries: the station's own
    CALL gets its CALLERROR at once (it keeps its message and retries), not after the
    reply's --reply-retry-time; the reply is still recorded once rpc_app is back."""
    port = unused_tcp_port
    async with (
        gateway(port, rpc_timeout=0.5, reply_retry_time=30) as node,
        rpc_server(port) as (server, _, _),
        charger(node, "CP-T", cls=Charger) as cp,
    ):
        await eventually(lambda: subscribed(node, "CP-T"))
        await server.stop(grace=None)
        sample = node.metrics.registry.get_sample_value
        reset = {"command": "Reset", "id": "r-1", "payload": {"type": "Soft"}}
        node.broadcast("ocpp:CP-T", orjson.dumps(reset).decode())
        labels = {"method": "Command", "code": "UNAVAILABLE"}
        await eventually(lambda: sample("ocpp_cable_gateway_rpc_errors_total", labels))
        status = call16.StatusNotification(connector_id=1, error_code="NoError", status="Available")
        with pytest.raises(InternalError):
            await asyncio.wait_for(cp.call(status, suppress=False), 5)
        async with rpc_server(port):
            acks = await eventually(lambda: record("ack", "CP-T"), within=10)
        assert [a["id"] for a in acks] == ["r-1"]


async def test_a_command_left_queued_by_a_dead_sender_ends_and_wakes_its_waiting_client(
    database_url,
):
    """The API died between recording a command and marking it sent: rpc_app's sweep ends it
    as NotSent once nothing could answer it any more, and a client waiting on it hears."""
    timings = {"call_timeout": 1.0, "reply_retry_time": 1.0, "rpc_timeout": 1.0}
    async with served_api(database_url, **timings) as (_, client, settings):
        waited = commands.patience(settings)
        due_in = 3.0
        with db.session_scope(database_url) as session:
            stations.add_station(session, "CP-Q")
            left = commands.record_command(session, "left-1", "CP-Q", "ClearCache", {})
            # Recorded by an API that died that long ago, and never marked sent.
            left.created_at = now() - timedelta(seconds=waited.per_call + waited.grace - due_in)
            due = waited.due(left.created_at, 0)
        token = make_token(database_url)
        response = await client.get("/api/v1/commands/left-1?wait=12", headers=bearer(token))
        assert response.status_code == 200
        body = response.json()
        assert (body["status"], body["error_code"]) == ("error", "NotSent")
        with db.session_scope(database_url) as session:
            ended = session.get(Command, "left-1").answered_at
        assert due <= ended <= due + timedelta(seconds=5)  # never early, at the next sweep


async def test_send_wait_waits_until_the_sweep_ends_a_command_whose_answer_never_comes(
    database_url, capsys
):
    """A broadcast no station got: `send --wait` waits as long as rpc_app's sweep gives the
    command (commands.patience, from the same settings), and prints the NoAnswer it ends
    with, not "no answer recorded" after a shorter time of its own."""
    timings = {"call_timeout": 1.0, "reply_retry_time": 0.0, "rpc_timeout": 1.0}
    async with central_system(database_url, **timings) as (node, _):
        with db.session_scope(database_url) as session:
            stations.add_station(session, "CP-W")
        async with charger(node, "CP-W", cls=Charger):
            await eventually(lambda: subscribed(node, "CP-W"))
            # The broker takes it for a stream no station listens on.
            flags = ("--wait", "--call-timeout", "1", "--rpc-timeout", "1",
                     "--station-stream", "nowhere:{station_id}")  # fmt: skip
            code, out, err = await operator(
                capsys, node, database_url, "send", "CP-W", "ClearCache", "{}", *flags
            )
    assert code == 1, out + err
    assert out.splitlines()[-1].startswith('error: {"code":"NoAnswer"'), out + err
