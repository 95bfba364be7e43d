"""Clients that lie, over real sockets: forged headers, broken requests, label floods.

Each test is a fault found by trying the gateway as an attacker; it keeps it fixed.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import re

import orjson
import pytest
import websockets
from sqlalchemy import select

from ocpp_cable.channels.domain import stations
from ocpp_cable.channels.storage import db
from ocpp_cable.channels.storage.models import ChargePoint, MessageLog
from tests.support.central import PASSWORD, central_system
from tests.support.handshakes import upgrade
from tests.support.servers import charger, eventually, gateway, rpc_server, subscribed


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


async def raw_request(port: int, request: bytes) -> tuple[int, str, asyncio.StreamWriter]:
    """Send a hand-written request; (status, head and body so far, the open writer)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    body = b""
    length = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
    if length:
        body = await asyncio.wait_for(reader.readexactly(int(length.group(1))), 5)
    elif not head.startswith(b"HTTP/1.1 101"):
        body = await asyncio.wait_for(reader.read(), 5)
    return int(head.split(b" ", 2)[1]), (head + body).decode("latin-1"), writer


# --- 1. the station that is authenticated is the one that is served -----------------


def two_stations(url: str) -> None:
    with db.session_scope(url) as session:
        stations.add_station(session, "VICTIM", password=PASSWORD)
        stations.add_station(session, "ATTACKER", password="attacker-pass")


@pytest.mark.parametrize("forged", ["x/ocpp/ATTACKER#", "x/ocpp/ATTACKER?", "x/ocpp/ATTACKER"])
async def test_forged_host_cannot_log_in_as_another_station(database_url, forged):
    two_stations(database_url)
    async with central_system(database_url) as (node, _):
        victim = websockets.connect(
            f"ws://127.0.0.1:{node.port}/ocpp/VICTIM",
            subprotocols=["ocpp1.6"],
            additional_headers={"Authorization": basic("VICTIM", PASSWORD)},
        )
        async with victim as victim_ws:
            await eventually(lambda: "VICTIM" in node.stations)
            request = upgrade(
                "/ocpp/VICTIM",
                ("Authorization", basic("ATTACKER", "attacker-pass")),
                host=forged,
            )
            status, text, writer = await raw_request(node.port, request)
            writer.close()
            assert status == 400, text
            assert "Host" in text
            # The victim is still served on its connection, and nobody else logged in.
            await victim_ws.send('[2,"h1","Heartbeat",{}]')
            assert orjson.loads(await victim_ws.recv())[:2] == [3, "h1"]
            with db.session_scope(database_url) as session:
                assert session.get(ChargePoint, "VICTIM").connected is True
                assert session.get(ChargePoint, "ATTACKER").connected is False
                assert not session.scalars(select(MessageLog)).all()


async def test_auto_register_cannot_be_reached_through_the_host_header(database_url):
    two_stations(database_url)
    async with central_system(database_url, auto_register=True) as (node, _):
        request = upgrade("/ocpp/VICTIM", host="x/ocpp/NEWCOMER#")
        status, _, writer = await raw_request(node.port, request)
        writer.close()
    assert status == 400
    with db.session_scope(database_url) as session:
        assert session.get(ChargePoint, "NEWCOMER") is None


async def test_connect_sees_the_routed_station_with_a_normal_host(record):
    async with rpc_server() as (_, port, _), gateway(port) as node:
        request = upgrade("/ocpp/CP-7?token=1", host=f"gw.example.com:{node.port}")
        status, _, writer = await raw_request(node.port, request)
        await eventually(lambda: record("subscribed", "CP-7"))
        writer.close()
    assert status == 101
    assert record("connect", "CP-7")


# --- 2. client errors are 400s, without a traceback ------------------------------------


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (upgrade("/ocpp/%FF"), 400),
        (upgrade("/ocpp/%C0%AF"), 400),
        (upgrade("/ocpp/CP-1", ("Host", "127.0.0.1")), 400),
        (upgrade("/ocpp/CP-1", ("Authorization", "Basic a"), ("Authorization", "Basic b")), 400),
        (upgrade("/ocpp/CP-1", host="a@b"), 400),
        (upgrade("//evil/ocpp/CP-1"), 400),
        (upgrade("/ocpp/CP\t-1"), 400),
        (upgrade("/ocpp/CP-1", ("Sec-WebSocket-Protocol", ",")), 400),
    ],
    ids=[
        "bad utf-8",
        "overlong utf-8",
        "two Host",
        "two Authorization",
        "userinfo",
        "netloc",
        "tab in path",
        "malformed subprotocol list",
    ],
)
async def test_broken_handshakes_are_client_errors(request_bytes, status, caplog, record):
    caplog.set_level(logging.WARNING)
    async with rpc_server() as (_, port, _), gateway(port) as node:
        got, text, writer = await raw_request(node.port, request_bytes)
        writer.close()
    assert got == status, text
    assert "Traceback" not in caplog.text and not [r for r in caplog.records if r.exc_info]
    assert not record("connect")


# --- 3. labels come from bounded sets ------------------------------------------------


async def test_unknown_action_names_do_not_become_metric_labels():
    async with rpc_server() as (_, port, _), gateway(port) as node:
        async with charger(node, "CP-L") as cp:
            for n in range(200):
                await cp._connection.send(
                    orjson.dumps([2, f"u{n}", f"Fly{n:03}" * 100, {}]).decode()
                )
                assert orjson.loads(await cp._connection.recv())[2] == "NotImplemented"
            text = node.metrics.render().decode()
    assert "Fly" not in text
    assert 'action="unknown",type="CALL"} 200.0' in text
    assert len(text) < 20_000


# --- 5. what the public port shows ------------------------------------------------------


async def test_public_health_is_a_plain_answer():
    async with rpc_server() as (_, port, _), gateway(port) as node:
        async with charger(node, "CP-H"):
            status, text, writer = await raw_request(
                node.port, b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            )
            writer.close()
    assert status == 200
    head, body = text.split("\r\n\r\n", 1)
    assert body == "ok\n"
    assert head.lower().count("content-type") == 1
    assert "stations" not in text and "rpc" not in text


async def test_monitoring_endpoints_take_the_operator_token():
    async with rpc_server() as (_, port, _), gateway(port, monitoring_token="mon-1") as node:
        base = f"127.0.0.1:{node.http_port}"
        results = {}
        for path in ("/metrics", "/health"):
            for name, headers in (
                ("none", ""),
                ("wrong", "Authorization: Bearer nope\r\n"),
                ("right", "Authorization: Bearer mon-1\r\n"),
            ):
                request = (
                    f"GET {path} HTTP/1.1\r\nHost: {base}\r\n{headers}Connection: close\r\n\r\n"
                )
                status, text, _ = await raw_request(node.http_port, request.encode())
                results[path, name] = status
                assert "mon-1" not in text
    assert results == {
        ("/metrics", "none"): 401,
        ("/metrics", "wrong"): 401,
        ("/metrics", "right"): 200,
        ("/health", "none"): 401,
        ("/health", "wrong"): 401,
        ("/health", "right"): 200,
    }


async def test_rejected_broadcasts_are_logged_once_per_burst(capsys):
    async with rpc_server() as (_, port, _), gateway(port) as node:
        for _ in range(50):
            request = (
                "POST /_broadcast HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer wrong\r\n"
                "Content-Length: 2\r\nConnection: close\r\n\r\n{}"
            )
            status, _, _ = await raw_request(node.http_port, request.encode())
            assert status == 401
    lines = [line for line in capsys.readouterr().out.splitlines() if "broadcast refused" in line]
    assert len(lines) == 1, lines
    assert "wrong" not in lines[0]


# --- 15. a flood of commands for one station -----------------------------------------------


async def test_a_command_flood_neither_floods_the_application_nor_delays_the_station(record):
    async with rpc_server() as (_, port, _), gateway(port, call_queue_limit=10) as node:
        async with websockets.connect(
            f"ws://127.0.0.1:{node.port}/ocpp/CP-F", subprotocols=["ocpp1.6"]
        ) as ws:  # a station that never answers our CALLs
            await eventually(lambda: subscribed(node, "CP-F"))
            for n in range(2000):
                node.broadcast("ocpp:CP-F", f'{{"command":"ClearCache","id":"f{n}"}}')
            started = asyncio.get_running_loop().time()
            status = {"connectorId": 1, "errorCode": "NoError", "status": "Available"}
            await ws.send(orjson.dumps([2, "own-1", "StatusNotification", status]).decode())
            while True:
                frame = orjson.loads(await asyncio.wait_for(ws.recv(), 5))
                if frame[0] == 3 and frame[1] == "own-1":
                    break
            waited = asyncio.get_running_loop().time() - started
            await asyncio.sleep(0.5)  # the reports that were made have arrived
            reports = [e for e in record("error", "CP-F") if e["code"] == "QueueFull"]
            dropped = node.metrics.registry.get_sample_value(
                "ocpp_cable_gateway_calls_unreported_total"
            )
    assert waited < 1.0, f"the station's own message waited {waited:.1f} s"
    assert 10 <= len(reports) <= 20, len(reports)  # about one queue's worth, not 1,989
    assert len(reports) + dropped == 2000 - 1 - 10  # one sent, ten queued


# --- a station that reconnects while its old connection is half dead ----------------------


async def test_a_reconnect_is_served_though_the_old_connection_never_closes():
    async with rpc_server() as (_, port, _), gateway(port) as node:
        # The old connection: upgraded, then silent; it will never answer a close frame.
        status, _, old = await raw_request(node.port, upgrade("/ocpp/CP-Z"))
        assert status == 101
        await eventually(lambda: "CP-Z" in node.stations)
        started = asyncio.get_running_loop().time()
        async with websockets.connect(
            f"ws://127.0.0.1:{node.port}/ocpp/CP-Z", subprotocols=["ocpp1.6"]
        ) as ws:
            await ws.send('[2,"h1","Heartbeat",{}]')
            reply = orjson.loads(await asyncio.wait_for(ws.recv(), 10))
        waited = asyncio.get_running_loop().time() - started
        old.close()
    assert reply[:2] == [3, "h1"]
    assert waited < 3, f"the new connection waited {waited:.1f} s for the old one"


async def test_a_close_completes_while_the_peer_keeps_sending():
    async with rpc_server() as (_, port, _), gateway(port) as node:
        async with websockets.connect(
            f"ws://127.0.0.1:{node.port}/ocpp/CP-B", subprotocols=["ocpp1.6"], max_queue=None
        ) as ws:
            await eventually(lambda: "CP-B" in node.stations)
            await ws.send(b"[2]")  # binary: the gateway closes with 1003...
            for n in range(20):  # ...while the station, not yet aware, goes on
                with contextlib.suppress(websockets.ConnectionClosed):
                    await ws.send(f'[2,"x{n}","Heartbeat",{{}}]')
            await asyncio.wait_for(ws.wait_closed(), 5)
        assert ws.close_code == 1003
        await eventually(lambda: "CP-B" not in node.stations, within=5)


async def test_a_station_that_closes_amid_its_own_calls_is_let_go_at_once():
    async with rpc_server() as (_, port, _), gateway(port) as node:
        ws = await websockets.connect(
            f"ws://127.0.0.1:{node.port}/ocpp/CP-C", subprotocols=["ocpp1.6"], max_queue=None
        )
        await eventually(lambda: "CP-C" in node.stations)
        for n in range(30):  # each one is answered: the answers cannot all go out in time
            await ws.send(f'[2,"u{n}","FlyToTheMoon",{{}}]')
        started = asyncio.get_running_loop().time()
        await ws.close()
        await eventually(lambda: "CP-C" not in node.stations, within=5)
        took = asyncio.get_running_loop().time() - started
    assert took < 2, f"the gateway held the closed connection {took:.1f} s"
