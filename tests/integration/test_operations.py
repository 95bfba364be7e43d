"""Running it like a service: health, metrics, logs, TLS, graceful shutdown, RPC robustness."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import functools
import os
import signal
import socket
import ssl
import subprocess
import time

import aiohttp
import grpc
import orjson
import pytest
import trustme
import websockets
from grpc_health.v1 import health_pb2, health_pb2_grpc
from ocpp.v16 import call
from prometheus_client.parser import text_string_to_metric_families

from ocpp_cable.gateway.rpc import client as rpc_client
from ocpp_cable.gateway.rpc import endpoints
from ocpp_cable.gateway.rpc.endpoints import Endpoints, host_name, resolve_targets
from ocpp_cable.rpc_app.application import Application
from ocpp_cable.rpc_app.metrics import RPCMetrics
from ocpp_cable.rpc_app.server import start_rpc_server
from tests.support import servers, slow_app
from tests.support.processes import CLI, ROOT, free_port, wait_for_port
from tests.support.servers import charger, eventually, gateway, rpc_server, station_url


async def get(url: str, **kw) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(url, **kw) as response:
        return response.status, await response.text()


def samples(text: str) -> dict[tuple[str, tuple], float]:
    """Prometheus text -> {(sample name, sorted labels): value}."""
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


# --- health ----------------------------------------------------------------------------


async def test_health_ok_on_http_and_charger_ports():
    async with rpc_server() as (_, port, _), gateway(port) as node:
        status, body = await get(f"http://127.0.0.1:{node.http_port}/health")
        ws_status, ws_body = await get(f"http://127.0.0.1:{node.port}/health")
    assert status == 200 and ws_status == 200
    assert orjson.loads(body) == {
        "status": "ok",
        "rpc": "ok",
        "brokers": {},
        "stations": 0,
        "browsers": 0,
    }
    assert ws_body == "ok\n"  # the public port: a plain answer, no details


async def test_health_503_when_rpc_or_broker_unreachable():
    async with gateway(free_port()) as node:
        status, body = await get(f"http://127.0.0.1:{node.http_port}/health")
    assert status == 503 and orjson.loads(body)["rpc"] == "unavailable"
    async with (
        rpc_server() as (_, port, _),
        gateway(
            port, broadcast_adapter="redis", redis_url=f"redis://127.0.0.1:{free_port()}/0"
        ) as node,
    ):
        status, body = await get(f"http://127.0.0.1:{node.http_port}/health")
    assert status == 503
    assert orjson.loads(body)["brokers"] == {"redis": "unavailable"}
    assert orjson.loads(body)["rpc"] == "ok"


async def test_rpc_app_serves_grpc_health():
    async with rpc_server() as (_, port, _):
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            overall = await stub.Check(health_pb2.HealthCheckRequest())
            rpc = await stub.Check(health_pb2.HealthCheckRequest(service="anycable.RPC"))
    assert overall.status == rpc.status == health_pb2.HealthCheckResponse.SERVING


# --- metrics ---------------------------------------------------------------------------


async def test_gateway_metrics(record):
    async with rpc_server() as (_, port, _), gateway(port, call_timeout=0.3) as node:
        async with charger(node, "CP-M") as cp:
            await cp.call(call.BootNotification(charge_point_model="M", charge_point_vendor="V"))
            await cp.call(call.Heartbeat())
            node.broadcast("ocpp:nobody", "{}")
            # A CALL the station (an ocpp ChargePoint without a ClearCache handler) won't ack.
            node.broadcast("ocpp:CP-M", '{"command":"ClearCache","id":"c1"}')
            with pytest.raises(websockets.InvalidStatus):
                await websockets.connect(station_url(node, "reject-me"), subprotocols=["ocpp1.6"])
            await eventually(lambda: record("error", "CP-M") or record("ack", "CP-M"))
            status, text = await get(f"http://127.0.0.1:{node.http_port}/metrics")
    assert status == 200
    m = samples(text)
    p = "ocpp_cable_gateway_"
    assert m[(f"{p}stations_connected", ())] == 1
    assert m[(f"{p}frames_received_total", (("action", "Heartbeat"), ("type", "CALL")))] == 1
    assert m[(f"{p}frames_sent_total", (("action", "Heartbeat"), ("type", "CALLRESULT")))] == 1
    assert m[(f"{p}frames_sent_total", (("action", "ClearCache"), ("type", "CALL")))] == 1
    assert m[(f"{p}rpc_calls_total", (("method", "Connect"), ("status", "SUCCESS")))] == 1
    assert m[(f"{p}rpc_calls_total", (("method", "Connect"), ("status", "FAILURE")))] == 1
    assert m[(f"{p}rpc_duration_seconds_count", (("method", "Command"),))] >= 2
    assert m[(f"{p}broadcasts_received_total", ())] == 2
    assert m[(f"{p}broadcasts_delivered_total", ())] == 1
    assert m[(f"{p}broadcasts_dropped_total", ())] == 1
    assert m[(f"{p}connect_rejections_total", (("status", "401"),))] == 1
    assert (f"{p}call_queue_depth", ()) in m
    assert (f"{p}call_timeouts_total", ()) in m


async def test_rpc_app_metrics_on_their_port():
    metrics = RPCMetrics()
    port = free_port()
    server, _thread = metrics.serve("127.0.0.1", port)
    try:
        async with rpc_server(metrics=metrics) as (_, rpc_port, _), gateway(rpc_port) as node:
            async with charger(node) as cp:
                await cp.call(call.Authorize(id_tag="T"))
            status, text = await get(f"http://127.0.0.1:{port}/metrics")
    finally:
        server.shutdown()
    m = samples(text)
    assert status == 200
    assert m[("ocpp_cable_rpc_requests_total", (("method", "Connect"), ("status", "SUCCESS")))] == 1
    assert m[("ocpp_cable_rpc_requests_total", (("method", "Command"), ("status", "SUCCESS")))] >= 2
    assert m[("ocpp_cable_rpc_request_duration_seconds_count", (("method", "Command"),))] >= 2
    assert ("ocpp_cable_rpc_requests_in_flight", ()) in m


# --- logs ------------------------------------------------------------------------------


def test_logs_are_json_lines_with_station_id_and_no_secrets(tmp_path):
    env = {**os.environ, "OCPP_CABLE_DATABASE_URL": f"sqlite:///{tmp_path}/logs.db"}
    subprocess.run(
        [*CLI, "stations", "add", "CP-L", "--password", "hunter2-secret"],
        cwd=ROOT, env=env, check=True, capture_output=True,
    )  # fmt: skip
    port = free_port()
    server = subprocess.Popen(
        [*CLI, "up", "--port", str(port), "--http-port", str(free_port()),
         "--rpc-host", f"127.0.0.1:{free_port()}", "--rpc-metrics-port", str(free_port()),
         "--api-port", str(free_port()), "--log-format", "json"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    tokens = []
    try:
        wait_for_port(port, server)

        async def attempts():
            for password in ("hunter2-secret", "wrong-guess"):
                token = base64.b64encode(f"CP-L:{password}".encode()).decode()
                tokens.append(token)
                try:
                    ws = await websockets.connect(
                        f"ws://127.0.0.1:{port}/ocpp/CP-L",
                        subprotocols=["ocpp1.6"],
                        additional_headers={"Authorization": f"Basic {token}"},
                    )
                except websockets.InvalidStatus:
                    continue
                await ws.send('[2,"m1","Authorize",{"idTag":"T"}]')
                await ws.recv()
                await ws.close()

        asyncio.run(attempts())
    finally:
        server.send_signal(signal.SIGTERM)
        _, logs = server.communicate(timeout=20)
    lines = [orjson.loads(line) for line in logs.splitlines() if line.startswith("{")]
    assert len(lines) == len(logs.strip().splitlines()), "every log line is one JSON event"
    # `up`'s gateway calls rpc_app in its own process (and says so), not over gRPC.
    [started] = [e for e in lines if e["event"] == "gateway started"]
    assert started["rpc"] == "in this process"
    station_events = [e for e in lines if e.get("station_id") == "CP-L"]
    assert {"connected", "station connected", "station authentication failed"} <= {
        e["event"] for e in station_events
    }
    for secret in ("hunter2-secret", "wrong-guess", *tokens):
        assert secret not in logs


# --- TLS -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """A CA, a server certificate for 127.0.0.1 and a charger certificate (CN=CP-TLS)."""
    base = tmp_path_factory.mktemp("pki")
    ca = trustme.CA()
    server = ca.issue_cert("127.0.0.1")
    client = ca.issue_cert("cp-tls.example", common_name="CP-TLS", organization_name="Acme")
    paths = {name: base / f"{name}.pem" for name in ("ca", "server", "client")}
    ca.cert_pem.write_to_path(paths["ca"])
    server.private_key_and_cert_chain_pem.write_to_path(paths["server"])
    client.private_key_and_cert_chain_pem.write_to_path(paths["client"])
    return paths


def tls_settings(pki, **extra):
    return {
        "tls_cert": str(pki["server"]),
        "tls_key": str(pki["server"]),
        "tls_client_ca": str(pki["ca"]),
        **extra,
    }


def client_context(pki, with_cert: bool, maximum=None) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(pki["ca"]))
    if with_cert:
        context.load_cert_chain(str(pki["client"]))
    if maximum is not None:
        context.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
        context.maximum_version = maximum
    return context


@pytest.mark.parametrize("subprotocol", ["ocpp1.6", "ocpp2.0.1"])
async def test_tls_with_and_without_client_certificate(pki, record, subprotocol):
    # Security profiles 2 and 3 are the handshake's: the same for every OCPP version.
    async with rpc_server() as (_, port, _), gateway(port, **tls_settings(pki)) as node:
        url = f"wss://127.0.0.1:{node.port}/ocpp"
        for station_id, with_cert in (("CP-PLAIN", False), ("CP-TLS", True)):
            ws = await websockets.connect(
                f"{url}/{station_id}",
                subprotocols=[subprotocol],
                ssl=client_context(pki, with_cert),
            )
            assert ws.subprotocol == subprotocol
            await ws.send('[2,"h","Heartbeat",{}]')
            assert orjson.loads(await ws.recv())[0] == 3
            await ws.close()
    (plain,) = record("connect", "CP-PLAIN")
    (verified,) = record("connect", "CP-TLS")
    assert "tls-client-subject" not in plain["headers"]
    subject = verified["headers"]["tls-client-subject"]
    assert subject.startswith("CN=CP-TLS,OU=Testing cert ") and subject.endswith(",O=Acme")


@pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1_1 is deprecated")
async def test_tls_client_certificate_required_and_old_tls_refused(pki):
    settings = tls_settings(pki, tls_client_cert_required=True)
    async with rpc_server() as (_, port, _), gateway(port, **settings) as node:
        url = f"wss://127.0.0.1:{node.port}/ocpp/CP-TLS"
        with pytest.raises((ssl.SSLError, OSError, websockets.InvalidHandshake)):
            ws = await websockets.connect(url, ssl=client_context(pki, with_cert=False))
            await ws.recv()
        with pytest.raises((ssl.SSLError, OSError)):
            await websockets.connect(
                url, ssl=client_context(pki, with_cert=True, maximum=ssl.TLSVersion.TLSv1_1)
            )
        ws = await websockets.connect(
            url, subprotocols=["ocpp1.6"], ssl=client_context(pki, with_cert=True)
        )
        assert ws.subprotocol == "ocpp1.6"
        await ws.close()


# --- graceful shutdown -----------------------------------------------------------------


async def test_sigterm_drains_gateway_with_1001_and_disconnects(unused_tcp_port, record):
    async with rpc_server() as (_, rpc_port, _):
        port = free_port()
        process = subprocess.Popen(
            [*CLI, "gateway", "--port", str(port), "--http-port", str(free_port()),
             "--rpc-host", f"127.0.0.1:{rpc_port}", "--broadcast-auth", "false",
             "--shutdown-timeout", "5", "--log-format", "json"],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        await asyncio.to_thread(wait_for_port, port, process)
        sockets = [
            await websockets.connect(f"ws://127.0.0.1:{port}/ocpp/CP-{i}", subprotocols=["ocpp1.6"])
            for i in range(3)
        ]
        await eventually(lambda: len(record("subscribed")) == 3)
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        for ws in sockets:
            with pytest.raises(websockets.ConnectionClosed):
                await asyncio.wait_for(ws.recv(), 5)
        code = await asyncio.to_thread(process.wait, 10)
        elapsed = time.monotonic() - started
        await eventually(lambda: len(record("disconnect")) == 3)
    assert [ws.close_code for ws in sockets] == [1001, 1001, 1001]
    assert code == 0 and elapsed < 5 + 2
    with pytest.raises(OSError):
        await websockets.connect(f"ws://127.0.0.1:{port}/ocpp/CP-9")


async def test_sigterm_lets_rpc_app_finish_calls_in_flight():
    from ocpp_cable.contract.pb import rpc_pb2, rpc_pb2_grpc

    port, secret = free_port(), "the-gateway-s-secret"
    process = subprocess.Popen(
        [*CLI, "rpc", "--rpc-host", f"127.0.0.1:{port}", "--channels-module",
         "tests.support.slow_app",
         "--rpc-metrics-port", str(free_port()), "--shutdown-timeout", "5"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "OCPP_CABLE_RPC_SECRET": secret},
    )  # fmt: skip
    await asyncio.to_thread(wait_for_port, port, process)
    data = {"action": "data_transfer", "command": "DataTransfer", "id": "m1",
            "payload": {"vendorId": "v", "data": "1.5"}}  # fmt: skip
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = rpc_pb2_grpc.RPCStub(channel)
        request = rpc_pb2.CommandMessage(
            command="message",
            identifier='{"channel":"OCPPChannel","station_id":"CP-1"}',
            connection_identifiers='{"station_id":"CP-1"}',
            data=orjson.dumps(data).decode(),
        )
        metadata = (("authorization", f"Bearer {secret}"),)  # as the gateway calls
        in_flight = asyncio.ensure_future(stub.Command(request, timeout=10, metadata=metadata))
        await asyncio.sleep(0.5)
        process.send_signal(signal.SIGTERM)
        response = await in_flight
    code = await asyncio.to_thread(process.wait, 10)
    assert response.status == rpc_pb2.SUCCESS
    assert orjson.loads(response.transmissions[0])["message"]["command"] == "Ack"
    assert code == 0


# --- RPC client robustness -------------------------------------------------------------


@pytest.fixture
def slow():
    slow_app.IN_FLIGHT.update(now=0, max=0, done=0)
    return Application.of([slow_app.OCPPChannel])


async def run_chargers(node, count: int, delay: str) -> list:
    async def one(i):
        async with charger(node, f"CP-{i}") as cp:
            return await cp.call(call.DataTransfer(vendor_id="v", data=delay))

    return await asyncio.gather(*(one(i) for i in range(count)))


async def test_rpc_concurrency_limit(slow):
    async with rpc_server(app=slow) as (_, port, _), gateway(port, rpc_concurrency=2) as node:
        replies = await run_chargers(node, 6, "0.2")
    assert [r.status for r in replies] == ["Accepted"] * 6
    assert slow_app.IN_FLIGHT["max"] <= 2


async def test_rpc_resource_exhausted_is_retried_within_the_deadline(slow):
    async with (
        rpc_server(app=slow, maximum_concurrent_rpcs=1) as (_, port, _),
        gateway(port, rpc_timeout=10, rpc_batch=False) as node,  # unary calls get refused
    ):
        replies = await run_chargers(node, 4, "0.2")
        retried = samples(node.metrics.render().decode())
    assert [r.status for r in replies] == ["Accepted"] * 4
    retries = sum(
        v for (name, labels), v in retried.items() if name == "ocpp_cable_gateway_rpc_retries_total"
    )
    assert retries > 0


class FakeTransport:
    def __init__(self, cert):
        self.cert = cert

    def get_extra_info(self, name):
        return self.cert if name == "peercert" else None


def test_client_subject_is_rfc4514_escaped():
    from ocpp_cable.gateway.tls import client_subject

    cert = {
        "subject": (
            (("countryName", "DE"),),
            (("organizationName", "Acme, Inc."),),
            (("commonName", "CP-1"),),
        )
    }
    assert client_subject(FakeTransport(cert)) == "CN=CP-1,O=Acme\\, Inc.,C=DE"
    assert client_subject(FakeTransport({})) is None
    assert client_subject(None) is None


async def test_client_cannot_spoof_the_certificate_subject_header(record):
    async with (
        rpc_server() as (_, port, _),
        gateway(port, headers="authorization,tls-client-subject") as node,
    ):
        async with charger(node, "CP-S", additional_headers={"tls-client-subject": "CN=CP-S"}):
            await eventually(lambda: record("subscribed", "CP-S"))
    (connect,) = record("connect", "CP-S")
    assert "tls-client-subject" not in connect["headers"]


async def keep_calling(node, station_id: str, stop: asyncio.Event, log: dict) -> None:
    """Authorize after Authorize until `stop`; each failure and the slowest call go in `log`."""
    async with charger(node, station_id) as cp:
        while not stop.is_set():
            started = time.monotonic()
            try:
                await cp.call(call.Authorize(id_tag="T"), suppress=False)
                log["done"] += 1
            except Exception as exc:  # InternalError when the RPC failed, or a timeout
                log["failed"].append(repr(exc))
            log["slowest"] = max(log["slowest"], time.monotonic() - started)
            await asyncio.sleep(0.005)


@contextlib.asynccontextmanager
async def calling(node, chargers: int):
    """Chargers calling without pause while the block runs; yields their log."""
    stop = asyncio.Event()
    log = {"done": 0, "failed": [], "slowest": 0.0}
    tasks = [asyncio.create_task(keep_calling(node, f"CP-{i}", stop, log)) for i in range(chargers)]
    try:
        yield log
    finally:
        stop.set()
        for result in await asyncio.gather(*tasks, return_exceptions=True):
            if isinstance(result, BaseException):
                log["failed"].append(repr(result))


def commands(counter) -> int:
    return counter.served().get("Command", 0)


async def both_serve(a, b, least: int, within: float = 5.0) -> None:
    """Wait until replicas `a` and `b` have served `least` Commands each."""
    try:
        await eventually(lambda: commands(a) >= least and commands(b) >= least, within)
    except AssertionError:
        raise AssertionError(f"Commands per replica: {commands(a)} / {commands(b)}") from None


async def served_next(a, b, seconds: float = 1.0) -> tuple[int, int]:
    """The Commands each replica serves in the next `seconds`."""
    start_a, start_b = commands(a), commands(b)
    await asyncio.sleep(seconds)
    return commands(a) - start_a, commands(b) - start_b


def replicas(*ports: int) -> str:
    return "ipv4:" + ",".join(f"127.0.0.1:{port}" for port in ports)


BATCHED_OR_UNARY = pytest.mark.parametrize("batch", [True, False], ids=["batched", "unary"])


@pytest.mark.parametrize(
    ("target", "endpoints"),
    [
        ("ipv4:10.0.0.1:50051,10.0.0.2:50051", ["ipv4:10.0.0.1:50051", "ipv4:10.0.0.2:50051"]),
        ("ipv6:[::1]:50051,[::2]:50051", ["ipv6:[::1]:50051", "ipv6:[::2]:50051"]),
        ("rpc-1:50051, rpc-2:50051", ["rpc-1:50051", "rpc-2:50051"]),
        ("rpc:50051", ["rpc:50051"]),  # a name: resolved by Endpoints itself, see below
        ("dns:///rpc:50051", ["dns:///rpc:50051"]),
    ],
)
def test_rpc_target_gives_one_endpoint_per_replica(target, endpoints):
    from ocpp_cable.gateway.rpc.endpoints import split_target

    assert split_target(target) == endpoints


@BATCHED_OR_UNARY
async def test_calls_spread_over_rpc_replicas(batch):
    """Two rpc_app replicas behind one target: each serves a fair share of the calls."""
    chargers, calls = 6, 30
    async with rpc_server() as (_, port_a, a), rpc_server() as (_, port_b, b):
        async with gateway(port_a, rpc_host=replicas(port_a, port_b), rpc_batch=batch) as node:

            async def one(i):
                async with charger(node, f"CP-{i}") as cp:
                    for _ in range(calls):
                        await cp.call(call.Authorize(id_tag="T"), suppress=False)

            await asyncio.gather(*(one(i) for i in range(chargers)))
        served_a, served_b = commands(a), commands(b)
    assert served_a + served_b == chargers * (calls + 1)  # a subscribe and the Authorizes
    share = min(served_a, served_b) / (served_a + served_b)
    assert share >= 0.3, f"Commands per replica: {served_a} / {served_b}"


@BATCHED_OR_UNARY
async def test_rpc_replica_added_gets_a_fair_share(batch):
    """A replica started while the gateway is busy with the others gets calls."""
    port_b = free_port()
    async with rpc_server() as (_, port_a, a):
        async with (
            gateway(port_a, rpc_host=replicas(port_a, port_b), rpc_batch=batch) as node,
            calling(node, chargers=4) as log,
        ):
            await eventually(lambda: commands(a) > 20)
            async with rpc_server(port_b) as (_, _, b):
                await both_serve(a, b, 1)
                added = await served_next(a, b)
            # B stops here with the chargers still calling: its calls under way are retried.
    assert log["failed"] == [], log["failed"][:3]
    assert min(added) >= 0.3 * sum(added), f"Commands per replica once added: {added}"


@BATCHED_OR_UNARY
async def test_rpc_replica_gone_moves_its_calls_and_back_gets_them_again(batch):
    chargers = 4
    async with rpc_server() as (_, port_a, a), rpc_server() as (server_b, port_b, b):
        async with (
            gateway(port_a, rpc_host=replicas(port_a, port_b), rpc_batch=batch) as node,
            calling(node, chargers) as log,
        ):
            await both_serve(a, b, 20)
            await server_b.stop(grace=None)
            # Every call completed from here on was served by replica A.
            served_a, done = commands(a), log["done"]
            await asyncio.sleep(2)
            gone = (commands(a) - served_a, log["done"] - done)
            async with rpc_server(port_b) as (_, _, b_again):
                await both_serve(a, b_again, 1)  # back within the reconnect backoff
                back = await served_next(a, b_again)
    assert log["failed"] == [], log["failed"][:3]  # the calls under way at the stop: retried
    assert log["slowest"] < 3.0  # the gateway's RPC timeout in tests
    served_by_a, completed = gone
    assert completed > 20 and served_by_a >= completed - chargers, gone
    assert min(back) >= 0.3 * sum(back), f"Commands per replica once back: {back}"


@pytest.mark.parametrize(
    ("target", "name"),
    [
        ("rpc:50051", ("rpc", 50051)),
        ("dns:///rpc:50051", ("rpc", 50051)),
        ("dns:rpc.svc.cluster.local:50051", ("rpc.svc.cluster.local", 50051)),
        ("localhost:50051", ("localhost", 50051)),
        ("dns://10.0.0.53/rpc:50051", None),  # its own DNS server: gRPC's resolver asks it
        ("127.0.0.1:50051", None),
        ("[::1]:50051", None),
        ("ipv4:10.0.0.1:50051", None),
        ("unix:/run/rpc.sock", None),
        ("unix:rpc:50051", None),
        ("rpc-1:50051,rpc-2:50051", None),
        ("rpc", None),
    ],
)
def test_rpc_target_that_is_one_host_name_is_resolved_by_the_gateway(target, name):
    assert host_name(target) == name


class FakeDNS:
    """getaddrinfo for one made-up name; what it resolves to may change under way."""

    def __init__(self, name: str, *addresses: str) -> None:
        self.name = name
        self.addresses = list(addresses)

    async def __call__(self, host: str, port: int, **_) -> list[tuple]:
        if host != self.name:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, kind, 0, "", (a, port))
            for a in self.addresses
            for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM)  # one per socket type
        ]


async def test_resolved_addresses_count_once_and_ipv6_keeps_its_brackets():
    dns = FakeDNS("rpc", "10.0.0.1", "fd00::1", "10.0.0.1", "fe80::1%eth0")
    assert await resolve_targets(dns, "rpc", 50051) == [
        "ipv4:10.0.0.1:50051",
        "ipv6:[fd00::1]:50051",
        "ipv6:[fe80::1%25eth0]:50051",
    ]


def targets(pool: Endpoints) -> list[str]:
    return [endpoint.target for endpoint in pool.all]


class FakeLog:
    def __init__(self) -> None:
        self.lines: list[tuple[str, str, dict]] = []

    def __getattr__(self, level: str):
        return lambda event, **kw: self.lines.append((level, event, kw))


async def test_rpc_name_endpoints_follow_its_addresses(monkeypatch):
    """An address gone closes its endpoint once its calls are done; a failed lookup keeps
    the endpoints, with one warning until the name resolves again."""
    monkeypatch.setattr(endpoints, "RETIRE_GRACE", 0.01)
    monkeypatch.setattr(endpoints, "log", fake_log := FakeLog())
    dns = FakeDNS("rpc.test", "10.0.0.1", "10.0.0.2")
    pool = Endpoints("rpc.test:50051", batch=True, batch_streams=4, resolve=dns, every=0.05)
    both = ["ipv4:10.0.0.1:50051", "ipv4:10.0.0.2:50051"]
    try:
        assert targets(pool) == ["rpc.test:50051"]  # until resolved: gRPC resolves the name
        await eventually(lambda: targets(pool) == both, 2)
        assert len(pool.batches) == 4  # the streams shared out: two per replica
        leaving = pool.all[1]
        closed, close = asyncio.Event(), leaving.close

        async def closing():
            closed.set()
            await close()

        leaving.close = closing
        with leaving:  # a call under way on it
            dns.addresses = ["10.0.0.1"]
            await eventually(lambda: targets(pool) == both[:1], 2)
            await asyncio.sleep(0.2)
            assert not closed.is_set()
        await asyncio.wait_for(closed.wait(), 1)
        dns.addresses = ["10.0.0.2", "10.0.0.1"]
        await eventually(lambda: targets(pool) == both, 2)  # the ones kept keep their turn

        dns.name = "elsewhere.test"
        await asyncio.sleep(0.3)
        dns.name, dns.addresses = "rpc.test", []
        await asyncio.sleep(0.3)
        assert targets(pool) == both
        warnings = [line for line in fake_log.lines if line[0] == "warning"]
        assert len(warnings) == 1, warnings
        assert warnings[0][2] == {
            "host": "rpc.test",
            "error": "[Errno -2] Name or service not known",
        }
        dns.addresses = ["10.0.0.1"]
        await eventually(lambda: targets(pool) == both[:1], 2)
        assert ("info", "rpc host resolves again") in [line[:2] for line in fake_log.lines]
    finally:
        await pool.close()


async def test_a_hung_name_lookup_does_not_stop_the_watch(monkeypatch):
    """A DNS server that never answers: the lookup times out, the endpoints stay, and the
    next lookup that answers is followed."""
    monkeypatch.setattr(endpoints, "RESOLVE_TIMEOUT", 0.1)
    monkeypatch.setattr(endpoints, "log", fake_log := FakeLog())
    dns, hung = FakeDNS("rpc.test", "10.0.0.1"), asyncio.Event()
    answer = dns.__call__

    async def sometimes_hangs(host, port, **kw):
        if not hung.is_set():
            hung.set()
            await asyncio.Event().wait()  # never answers
        return await answer(host, port, **kw)

    pool = Endpoints(
        "rpc.test:50051", batch=False, batch_streams=1, resolve=sometimes_hangs, every=0.05
    )
    try:
        await eventually(lambda: targets(pool) == ["ipv4:10.0.0.1:50051"], 3)
        assert ("warning", "rpc host did not resolve; its endpoints stay") in [
            line[:2] for line in fake_log.lines
        ]
        assert fake_log.lines[0][2]["error"] == "TimeoutError"
    finally:
        await pool.close()


@contextlib.asynccontextmanager
async def replica_at(host: str, port: int):
    """An rpc_app replica listening on `host` (any 127.x.y.z is loopback on Linux)."""
    counter = servers.RPCCounter()
    rpc = await start_rpc_server(
        servers.test_app(), f"{host}:{port}", 4, [counter], metrics=counter.metrics
    )
    try:
        yield counter
    finally:
        await rpc.server.stop(grace=None)


@BATCHED_OR_UNARY
async def test_rpc_name_resolving_to_replicas_shares_the_calls_and_follows_them(batch, monkeypatch):
    """A name that resolves to two replicas (a Docker service, a Kubernetes headless
    service): each serves a fair share; one the name drops loses its calls within seconds,
    and gets its share back once the name resolves to it again."""
    port = free_port()
    dns = FakeDNS("rpc.test", "127.0.0.1", "127.0.0.2")
    looked_up = functools.partial(Endpoints, resolve=dns, every=0.5)
    monkeypatch.setattr(rpc_client, "Endpoints", looked_up)
    async with replica_at("127.0.0.1", port) as a, replica_at("127.0.0.2", port) as b:
        async with (
            gateway(port, rpc_host=f"rpc.test:{port}", rpc_batch=batch) as node,
            calling(node, chargers=4) as log,
        ):
            await both_serve(a, b, 20)
            shared = await served_next(a, b)
            dns.addresses = ["127.0.0.1"]
            await asyncio.sleep(1.0)  # the next lookup; B's calls under way are served
            dropped = await served_next(a, b)
            dns.addresses = ["127.0.0.1", "127.0.0.2"]
            await both_serve(a, b, commands(b) + 1)
            back = await served_next(a, b)
    assert log["failed"] == [], log["failed"][:3]
    assert min(shared) >= 0.3 * sum(shared), f"Commands per replica: {shared}"
    assert dropped[0] > 20 and dropped[1] == 0, f"Commands per replica once dropped: {dropped}"
    assert min(back) >= 0.3 * sum(back), f"Commands per replica once back: {back}"


def test_sigterm_exits_within_the_shutdown_timeout_with_a_frozen_station(tmp_path):
    from tests.support.handshakes import upgrade

    env = {**os.environ, "OCPP_CABLE_DATABASE_URL": f"sqlite:///{tmp_path}/frozen.db"}
    port = free_port()
    server = subprocess.Popen(
        [*CLI, "up", "--port", str(port), "--http-port", str(free_port()),
         "--rpc-host", f"127.0.0.1:{free_port()}", "--rpc-metrics-port", str(free_port()),
         "--api-port", str(free_port()), "--auto-register", "true", "--shutdown-timeout", "3",
         "--log-format", "json"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    wait_for_port(port, server)
    frozen = socket.create_connection(("127.0.0.1", port))
    try:
        frozen.sendall(upgrade("/ocpp/CP-FROZEN"))  # upgraded, then never reads again
        assert frozen.recv(12) == b"HTTP/1.1 101"
        time.sleep(1)
        started = time.monotonic()
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        took = time.monotonic() - started
    finally:
        frozen.close()
        if server.poll() is None:
            server.kill()
    assert server.returncode == 0
    assert took < 3 + 2, f"exited {took:.1f} s after SIGTERM, with --shutdown-timeout 3"


def test_processes_collect_young_garbage_rarely_and_leave_imports_alone():
    """Full collections of a heap with thousands of connections stopped the gateway for
    half a second (see runner.GC_THRESHOLDS); the runner sets what avoids them."""
    import gc

    from ocpp_cable import runner

    before, frozen = gc.get_threshold(), gc.get_freeze_count()
    try:
        runner.tune_collector()
        assert gc.get_threshold() == runner.GC_THRESHOLDS
        assert gc.get_threshold()[0] >= 10_000
        assert gc.get_freeze_count() > frozen
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()
