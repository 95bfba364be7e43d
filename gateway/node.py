"""A gateway node: the chargers' WebSocket server, its stations, hub and HTTP API."""

from __future__ import annotations

import asyncio
import ipaddress
import uuid
from collections.abc import Sequence

import structlog
from aiohttp import web
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.headers import parse_subprotocol
from websockets.http11 import Request, Response

from contract.env import (
    GATEWAY_HEADERS,
    NODE_HEADER,
    REMOTE_ADDR_HEADER,
    TLS_CLIENT_SUBJECT_HEADER,
)
from contract.pb import rpc_pb2
from foundation.settings import Settings
from gateway import http_api, tls
from gateway.broadcasts import MalformedBroadcast, parse_broadcasts
from gateway.disconnects import DisconnectQueue
from gateway.hub import StreamHub
from gateway.lease import LeaseKeeper
from gateway.metrics import PREFIX, GatewayMetrics
from gateway.node_control import ControlChannel
from gateway.protocol import schemas
from gateway.protocol.handshake import (
    SUBPROTOCOL,
    HandshakeRefused,
    read_request,
    refusal_status,
)
from gateway.protocol.session import SessionConfig
from gateway.pubsub import BrokerSubscriber
from gateway.pubsub.nats_subscriber import NATSSubscriber
from gateway.pubsub.redis_subscriber import RedisSubscriber
from gateway.rpc_client import RPCClient, RPCError, make_env
from gateway.station import Admission, StationSocket
from gateway.tasks import TaskSet

log = structlog.get_logger("gateway")

CLOSE_NORMAL = 1000
CLOSE_PROTOCOL_ERROR = 1002
# Seconds a replaced connection gets to finish its closing handshake before it is dropped.
REPLACED_GRACE = 1.0


def ipaddress_is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def offered_subprotocols(headers: Headers) -> list[str]:
    offered: list[str] = []
    for value in headers.get_all("Sec-WebSocket-Protocol"):
        offered += parse_subprotocol(value)
    return offered


class GatewayNode:
    """One gateway process: it accepts stations at `/ocpp/<station_id>` and serves them.

    It runs the WebSocket server and the HTTP endpoints (health, metrics,
    broadcasts), admits each station through the application's Connect, keeps
    the registry of the stations it holds (one connection per station across
    nodes), and hands broadcasts from the HTTP endpoint or a broker to the
    stream hub. Start it with `start()`, end it with `stop()`.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.session_config = SessionConfig(
            granular_actions=settings.granular_actions,
            heartbeat_interval=settings.heartbeat_interval,
            forward_heartbeat=settings.forward_heartbeat,
            call_timeout=settings.call_timeout,
            queue_limit=settings.call_queue_limit,
            malformed_budget=settings.malformed_frame_budget,
        )
        self.hub = StreamHub()
        self.stations: dict[str, StationSocket] = {}
        self.metrics = GatewayMetrics()
        self.metrics.track(
            stations=lambda: len(self.stations),
            queued=lambda: sum(s.session.queued for s in self.stations.values()),
            disconnects=lambda: len(self.disconnects),
        )
        self.rpc = RPCClient(
            settings.rpc_host,
            settings.rpc_timeout,
            settings.rpc_concurrency,
            self.metrics,
            batch=settings.rpc_batch,
            batch_streams=settings.rpc_batch_streams,
        )
        self._header_names = settings.header_names()
        self._ws_server: Server | None = None
        self._http_runner: web.AppRunner | None = None
        self.port = 0
        self.http_port = 0
        self.scheme = "wss" if settings.tls_cert else "ws"
        # Identifies this node to the other nodes and, by its lease, to the application.
        self.node_id = uuid.uuid4().hex
        self.subscribers: list[BrokerSubscriber] = self._subscribers()
        self.control = ControlChannel(
            self.node_id, self.subscribers, lambda: self.stations, self._replaced_elsewhere
        )
        # Half the RPC slots at most: stations coming back need the rest to connect.
        self.disconnects = DisconnectQueue(workers=max(1, settings.rpc_concurrency // 2))
        self.lease = LeaseKeeper(
            self.rpc, self.node_id, settings.presence_ttl, self._held_station_ids
        )
        self._background = TaskSet(log)

    def _subscribers(self) -> list[BrokerSubscriber]:
        s = self.settings
        subscribers: list[BrokerSubscriber] = []
        handlers = (self.on_broadcast, self.on_control, self._subscribed)
        if "redis" in s.adapters():
            subscribers.append(RedisSubscriber(s.redis_url, s.redis_channel, *handlers))
        if "nats" in s.adapters():
            subscribers.append(NATSSubscriber(s.nats_servers, s.nats_subject, *handlers))
        return subscribers

    # --- start and stop --------------------------------------------------------

    async def start(self) -> None:
        schemas.warm_up()
        s = self.settings
        self._ws_server = await serve(
            self._handle,
            s.host,
            s.port,
            process_request=self._process_request,
            select_subprotocol=self._select_subprotocol,
            max_size=s.max_frame_size,
            ping_interval=s.ping_interval or None,
            ping_timeout=s.ping_timeout,
            # A peer gets as long to finish a close as to answer a ping; a dead one
            # is then dropped instead of holding its socket for the default 10 s.
            close_timeout=s.ping_timeout,
            compression=None,  # per-connection zlib state costs more memory than it saves
            max_queue=4,
            server_header=None,
            ssl=tls.server_context(s) if s.tls_cert else None,
            # A reboot storm sends thousands of SYNs at once: don't drop them.
            backlog=4096,
        )
        self.port = self._ws_server.sockets[0].getsockname()[1]
        self._http_runner = web.AppRunner(http_api.make_app(self), access_log=None)
        await self._http_runner.setup()
        site = web.TCPSite(self._http_runner, s.http_host, s.http_port)
        await site.start()
        self.http_port = self._http_runner.addresses[0][1]
        for subscriber in self.subscribers:
            await subscriber.start()
        self.control.start()
        self.lease.start()
        if s.monitoring_token is None and not ipaddress_is_loopback(s.http_host):
            log.warning(
                "/metrics and /health are open on a public address; set --monitoring-token",
                http_host=s.http_host,
            )
        log.info(
            "gateway started",
            chargers=f"{self.scheme}://{s.host}:{self.port}{s.path_prefix}/<station_id>",
            http=f"http://{s.http_host}:{self.http_port}",
            rpc=s.rpc_host,
            broadcast_adapter=s.broadcast_adapter,
            node=self.node_id,
        )

    async def stop(self) -> None:
        """Stop accepting, close every station with 1001 (Going Away) so it reconnects
        elsewhere, deliver their Disconnect calls; all within the shutdown timeout. Then
        give the lease up: the application counts whatever is left as gone."""
        loop = asyncio.get_running_loop()
        # Everything below that waits on rpc_app ends by this time.
        deadline = loop.time() + self.settings.shutdown_timeout
        if self._ws_server is not None:
            stations = list(self.stations.values())
            log.info("draining", stations=len(stations))
            self.disconnects.drain_by(deadline)
            self._ws_server.close(close_connections=True)
            try:
                async with asyncio.timeout(self.settings.shutdown_timeout):
                    await self._ws_server.wait_closed()
                    for station in stations:
                        await station.finished.wait()
            except TimeoutError:
                left = [s for s in stations if not s.finished.is_set()]
                log.error("drain timed out", stations_left=len(left))
                # Peers that never finished closing (frozen, gone) are dropped, and their
                # teardown, with no time left for a Disconnect, ends at once.
                for station in left:
                    station.ws.transport.abort()
                await asyncio.wait(
                    [asyncio.ensure_future(s.finished.wait()) for s in left], timeout=1
                )
            if self.disconnects.failed:
                log.error("disconnects not delivered", stations=self.disconnects.failed)
        await self.lease.release(within=deadline - loop.time())
        await self.control.close()
        for subscriber in self.subscribers:
            await subscriber.stop()
        if self._http_runner is not None:
            await self._http_runner.cleanup()
        await self.disconnects.close()
        await self.rpc.close()
        log.info("gateway stopped")

    # --- handshake -------------------------------------------------------------

    def _select_subprotocol(self, connection: ServerConnection, offered: Sequence[str]):
        return SUBPROTOCOL if SUBPROTOCOL in offered else None

    async def _process_request(
        self, connection: ServerConnection, request: Request
    ) -> Response | None:
        """Connect before the upgrade: a refused station is never upgraded."""
        connection.admission = None  # type: ignore[attr-defined]
        if request.path == "/health" and "Upgrade" not in request.headers:
            # Load balancers probe the port they balance; the world learns no more than this.
            healthy, _ = await self.health()
            return connection.respond(*((200, "ok\n") if healthy else (503, "unavailable\n")))
        try:
            station = read_request(
                request.path,
                request.headers.raw_items(),
                self.settings.path_prefix,
                self.scheme,
                f"{self.settings.host}:{self.port}",
                self._header_names,
            )
        except HandshakeRefused as exc:
            self.metrics.connect_rejections.labels(str(exc.status)).inc()
            return connection.respond(exc.status, exc.reason + "\n")
        station_id, url, headers = station.station_id, station.url, station.headers
        bound = log.bind(station_id=station_id)
        if (
            SUBPROTOCOL not in offered_subprotocols(request.headers)
            and not self.settings.accept_missing_subprotocol
        ):
            # OCPP-J 3.1: complete the handshake without the header, then close.
            bound.warning("no ocpp1.6 subprotocol offered")
            return None
        # Only the gateway sets these headers: never a client.
        for name in GATEWAY_HEADERS:
            headers.pop(name, None)
        remote = connection.remote_address
        if remote:
            headers[REMOTE_ADDR_HEADER] = str(remote[0])
        subject = tls.client_subject(connection.transport)  # from a verified certificate
        if subject:
            headers[TLS_CLIENT_SUBJECT_HEADER] = subject
        if self.lease.active:
            headers[NODE_HEADER] = self.node_id
        sid = uuid.uuid4().hex
        try:
            response = await self.rpc.connect(sid, make_env(url, headers))
        except RPCError as exc:
            bound.error("connect call failed", error=str(exc))
            self.metrics.connect_rejections.labels("503").inc()
            return connection.respond(503, "application unavailable\n")
        if response.status != rpc_pb2.SUCCESS:
            status_name = rpc_pb2.Status.Name(response.status)
            status = refusal_status(status_name, "authorization" in headers)
            bound.info("connection refused", status=status, reason=response.error_msg)
            self.metrics.connect_rejections.labels(str(status)).inc()
            return connection.respond(status, "connection refused\n")
        connection.admission = Admission(  # type: ignore[attr-defined]
            station_id=station_id,
            sid=sid,
            url=url,
            headers=headers,
            identifiers=response.identifiers,
            cstate=dict(response.env.cstate),
            transmissions=list(response.transmissions),
        )
        return None

    # --- connections -----------------------------------------------------------

    async def _handle(self, ws: ServerConnection) -> None:
        admission: Admission | None = getattr(ws, "admission", None)
        # websockets keeps the handshake's request and response for the connection's
        # life, but reads their headers no more; admission took what we need from them.
        # Per idle station that is kilobytes: released.
        for message in (ws.request, ws.response):
            if message is not None:
                message.headers.clear()
        if admission is None:
            await ws.close(CLOSE_PROTOCOL_ERROR, f"the {SUBPROTOCOL} subprotocol is required")
            return
        previous = self.stations.get(admission.station_id)
        if previous is not None:
            # The newer connection wins; the old one's Disconnect is delivered first.
            previous.log.info("replaced by a new connection")
            await previous.close(CLOSE_NORMAL, "replaced by a new connection", REPLACED_GRACE)
        station = StationSocket(ws, admission, self)
        self.stations[admission.station_id] = station
        self.control.announce(station)
        await station.run()

    def _held_station_ids(self) -> list[str]:
        return [sid for sid, station in self.stations.items() if not station.leaving]

    def forget(self, station: StationSocket) -> None:
        if self.stations.get(station.station_id) is station:
            del self.stations[station.station_id]

    # --- other nodes -----------------------------------------------------------

    def on_control(self, data: bytes) -> None:
        self.control.on_message(data)

    def _subscribed(self, subscriber: BrokerSubscriber) -> None:
        self.control.announce_all(subscriber)

    def _replaced_elsewhere(self, station: StationSocket) -> None:
        self._background.spawn(
            station.close(CLOSE_NORMAL, "connected to another node", REPLACED_GRACE)
        )

    # --- broadcasts ------------------------------------------------------------

    def on_broadcast(self, data: bytes) -> None:
        """A message from the broker: one broadcast or an array of them."""
        try:
            broadcasts = parse_broadcasts(data)
        except MalformedBroadcast as exc:
            log.warning("malformed broadcast dropped", error=str(exc))
            return
        for stream, text in broadcasts:
            self.broadcast(stream, text)

    async def health(self) -> tuple[bool, dict]:
        """Can this node serve? It needs the RPC server and every broker it subscribes to."""
        rpc_ok = await self.rpc.healthy()
        brokers = {s.name: "ok" if s.connected else "unavailable" for s in self.subscribers}
        healthy = rpc_ok and all(v == "ok" for v in brokers.values())
        report = {
            "status": "ok" if healthy else "unavailable",
            "rpc": "ok" if rpc_ok else "unavailable",
            "brokers": brokers,
            "stations": len(self.stations),
        }
        return healthy, report

    def broadcast(self, stream: str, data: str) -> int:
        self.metrics.broadcasts_received.inc()
        delivered = self.hub.broadcast(stream, data)
        if delivered:
            self.metrics.broadcasts_delivered.inc(delivered)
        else:
            self.metrics.broadcasts_dropped.inc()
            log.debug("broadcast for no local station dropped", stream=stream)
        return delivered

    @property
    def broadcasts_dropped(self) -> int:
        found = self.metrics.registry.get_sample_value(f"{PREFIX}_broadcasts_dropped_total")
        return int(found or 0)
