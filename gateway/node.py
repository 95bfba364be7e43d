"""A gateway node: the parts of one gateway process, put together, started and stopped.

Like anycable-go's node, it owns no protocol logic of its own: admission.py
admits stations (handshake and Connect), station.py serves each one,
stations.py holds them (one connection per station across nodes),
broadcasts.py and the brokers in pubsub/ bring broadcasts to the stream hub,
http_api.py serves the HTTP endpoints, and rpc/ makes every call to rpc_app.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import uuid
from collections.abc import Sequence

import structlog
from aiohttp import web
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from ocpp_cable.foundation.listening import listening
from ocpp_cable.foundation.settings import GatewaySettings
from ocpp_cable.gateway import connections, http_api, tls
from ocpp_cable.gateway.admission import Admissions
from ocpp_cable.gateway.broadcasts import Broadcasts
from ocpp_cable.gateway.cable import session as cable
from ocpp_cable.gateway.cable.browsers import Browsers
from ocpp_cable.gateway.cable.socket import BrowserAdmission, CableSocket
from ocpp_cable.gateway.contexts import BrowserContext, StationContext
from ocpp_cable.gateway.disconnects import DisconnectQueue
from ocpp_cable.gateway.hub import StreamHub
from ocpp_cable.gateway.lease import LeaseKeeper
from ocpp_cable.gateway.metrics import GatewayMetrics
from ocpp_cable.gateway.ocpp.session import SessionConfig
from ocpp_cable.gateway.pubsub import BrokerSubscriber, subscribers_for
from ocpp_cable.gateway.rpc import Kind, RPCClient
from ocpp_cable.gateway.rpc.link import link
from ocpp_cable.gateway.rpc.transports import LocalServicer
from ocpp_cable.gateway.station import StationSocket
from ocpp_cable.gateway.stations import StationRegistry
from ocpp_cable.ocppj import versions

log = structlog.get_logger("gateway")

CLOSE_INTERNAL_ERROR = 1011


def ipaddress_is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


class GatewayNode:
    """One gateway process: it accepts stations at `/ocpp/<station_id>` and serves them.

    It runs the WebSocket server and the HTTP endpoints (health, metrics,
    broadcasts), admits each station through the application's Connect, keeps
    the registry of the stations it holds (one connection per station across
    nodes), and hands broadcasts from the HTTP endpoint or a broker to the
    stream hub. Start it with `start()`, end it with `stop()`.
    """

    def __init__(self, settings: GatewaySettings, local_rpc: LocalServicer | None = None) -> None:
        self.settings = settings
        self.session_config = SessionConfig(
            granular_actions=settings.granular_actions,
            anycable_compat=settings.anycable_compat,
            heartbeat_interval=settings.heartbeat_interval,
            forward_heartbeat=settings.forward_heartbeat,
            call_timeout=settings.call_timeout,
            queue_limit=settings.call_queue_limit,
            malformed_budget=settings.malformed_frame_budget,
        )
        self.metrics = GatewayMetrics()
        self.rpc = RPCClient(
            settings.rpc_host,
            settings.rpc_timeout,
            settings.rpc_concurrency,
            self.metrics,
            batch=settings.rpc_batch,
            batch_streams=settings.rpc_batch_streams,
            link=link(
                settings.rpc_auth_secret(),
                settings.rpc_tls_ca,
                settings.rpc_tls_cert,
                settings.rpc_tls_key,
            ),
            local=local_rpc,
            handshake_share=settings.rpc_handshake_share,
            handshake_queue=settings.handshake_queue,
        )
        self.cable_config = cable.CableConfig(max_subscriptions=settings.cable_max_subscriptions)
        self.browsers = Browsers()
        self.hub = StreamHub()
        self.broadcasts = Broadcasts(self.hub, self.metrics, self.browsers.disconnect)
        # Identifies this node to the other nodes and, by its lease, to the application.
        self.node_id = uuid.uuid4().hex
        self.subscribers: list[BrokerSubscriber] = subscribers_for(
            settings,
            self.broadcasts.on_message,
            lambda data: self.stations.control.on_message(data),
            lambda subscriber: self.stations.control.announce_all(subscriber),
        )
        self.stations = StationRegistry(self.node_id, self.subscribers)
        # Half the RPC slots at most: stations coming back need the rest to connect.
        self.disconnects = DisconnectQueue(workers=max(1, settings.rpc_concurrency // 2))
        self.lease = LeaseKeeper(
            self.rpc, self.node_id, settings.presence_ttl, self.stations.held_ids
        )
        self.admissions = Admissions(
            settings,
            self.rpc,
            self.metrics,
            authority=lambda: f"{settings.host}:{self.port}",
            node_header=lambda: self.node_id if self.lease.active else None,
        )
        self.metrics.track(
            stations=lambda: len(self.stations),
            queued=self.stations.queued,
            disconnects=lambda: len(self.disconnects),
            browsers=lambda: len(self.browsers),
            handshakes=lambda: self.rpc.slots.book.waiting(Kind.CONNECT),
        )
        # Loop time the drain ends by, once `stop` began: retries of replies end there too.
        self.drain_deadline: float | None = None
        # What each connection's socket may use of this node, and no more.
        self.station_context = StationContext(
            settings=settings,
            session_config=self.session_config,
            metrics=self.metrics,
            rpc=self.rpc,
            hub=self.hub,
            disconnects=self.disconnects,
            stations=self.stations,
            drain_deadline=lambda: self.drain_deadline,
        )
        self.browser_context = BrowserContext(
            cable_config=self.cable_config,
            send_queue=settings.cable_send_queue,
            metrics=self.metrics,
            rpc=self.rpc,
            hub=self.hub,
            disconnects=self.disconnects,
            forget=self.browsers.discard,
        )
        self._ws_server: Server | None = None
        self._http_runner: web.AppRunner | None = None
        self._subscribed: list[BrokerSubscriber] = []  # started: stopped if start fails
        self.port = 0
        self.http_port = 0
        self.scheme = self.admissions.scheme

    # --- start and stop --------------------------------------------------------

    async def start(self) -> None:
        """Listen for chargers and for the HTTP endpoints, subscribe to the brokers. A
        start that fails half way (a port in use, a broker down) gives back what it took
        and raises: the process exits instead of serving half a gateway."""
        try:
            await self._start()
        except BaseException:
            await self._abandon_start()
            raise

    async def _abandon_start(self) -> None:
        if self._ws_server is not None:
            self._ws_server.close()
            await self._ws_server.wait_closed()
        if self._http_runner is not None:
            await self._http_runner.cleanup()
        for subscriber in self._subscribed:
            await subscriber.stop()
        await self.rpc.close()

    async def _start(self) -> None:
        versions.warm_up(self.admissions.versions)
        s = self.settings
        # Made apart: a certificate that cannot be read is no port in use.
        ssl_context = tls.server_context(s) if s.tls_cert else None
        charger_port = listening(
            "the gateway (chargers' WebSockets)", f"{s.host}:{s.port}", "--host and --port"
        )
        with charger_port:
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
                ssl=ssl_context,
                # A reboot storm sends thousands of SYNs at once: don't drop them.
                backlog=4096,
                # ... and their handshakes wait in the handshake queue for their Connect;
                # a client that sends no request gets no more time than it had before.
                open_timeout=s.handshake_timeout,
                create_connection=connections.ChargerConnection,
                ssl_handshake_timeout=connections.REQUEST_TIMEOUT if ssl_context else None,
            )
        self.port = self._ws_server.sockets[0].getsockname()[1]
        app = http_api.make_app(self.settings, self.broadcasts, self.health, self.metrics)
        self._http_runner = web.AppRunner(app, access_log=None)
        await self._http_runner.setup()
        site = web.TCPSite(self._http_runner, s.http_host, s.http_port)
        http_port = listening(
            "the gateway's HTTP endpoints (/_broadcast, /health, /metrics)",
            f"{s.http_host}:{s.http_port}",
            "--http-host and --http-port",
        )
        with http_port:
            await site.start()
        self.http_port = self._http_runner.addresses[0][1]
        for subscriber in self.subscribers:
            await subscriber.start()
            self._subscribed.append(subscriber)
        self.stations.control.start()
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
            rpc="in this process" if self.rpc.in_process else s.rpc_host,
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
        self.drain_deadline = deadline
        if self._ws_server is not None:
            stations = list(self.stations.values())
            log.info("draining", stations=len(stations), browsers=len(self.browsers))
            self.disconnects.drain_by(deadline)
            # No one new: a browser told to come back must come back to another node.
            self._ws_server.server.close()
            # Browsers hear it the Action Cable way first: come back (elsewhere) soon.
            await self.browsers.close(within=max(deadline - loop.time(), 0) / 2)
            self._ws_server.close(close_connections=True)
            try:
                async with asyncio.timeout_at(deadline):
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
                if left:  # (the time may have gone on the server's own close: none left)
                    await asyncio.wait(
                        [asyncio.ensure_future(s.finished.wait()) for s in left], timeout=1
                    )
            if self.disconnects.failed:
                log.error("disconnects not delivered", stations=self.disconnects.failed)
        await self.lease.release(within=deadline - loop.time())
        await self.stations.control.close()
        for subscriber in self.subscribers:
            await subscriber.stop()
        if self._http_runner is not None:
            await self._http_runner.cleanup()
        await self.hub.close()
        await self.disconnects.close()
        await self.rpc.close()
        log.info("gateway stopped")

    # --- chargers' connections ----------------------------------------------------

    def _select_subprotocol(self, connection: ServerConnection, offered: Sequence[str]):
        # A station's was chosen at admission; a browser's is Action Cable's.
        chosen = self.admissions.station_subprotocol(connection)
        if chosen is None and cable.SUBPROTOCOL in offered:
            return cable.SUBPROTOCOL
        return chosen

    async def _process_request(
        self, connection: ServerConnection, request: Request
    ) -> Response | None:
        if request.path == "/health" and "Upgrade" not in request.headers:
            # Load balancers probe the port they balance; the world learns no more than this.
            healthy, _ = await self.health()
            return connection.respond(*((200, "ok\n") if healthy else (503, "unavailable\n")))
        return await self.admissions.admit(connection, request)

    async def _handle(self, ws: ServerConnection) -> None:
        admission = self.admissions.take(ws)
        if isinstance(admission, BrowserAdmission):
            await self._serve_browser(ws, admission)
            return
        # websockets keeps the handshake's request and response for the connection's
        # life, but reads their headers no more; admission took what we need from them.
        # Per idle station that is kilobytes: released.
        for message in (ws.request, ws.response):
            if message is not None:
                message.headers.clear()
        if admission is None:  # admit upgrades no station without deciding on it
            await ws.close(CLOSE_INTERNAL_ERROR, "not admitted")
            return
        station = StationSocket(ws, admission, self.station_context)
        await self.stations.hold(station)
        await station.run()

    async def _serve_browser(self, ws: ServerConnection, admission: BrowserAdmission) -> None:
        for message in (ws.request, ws.response):
            if message is not None:
                message.headers.clear()
        if not admission.accepted:
            # Connect's own goodbye (Action Cable's `disconnect`, `unauthorized`), then close.
            # (An RPC server that says no more still gets the browser told why.)
            goodbye = admission.transmissions or [cable.UNAUTHORIZED]
            with contextlib.suppress(ConnectionClosed):
                for text in goodbye:
                    await ws.send(text)
                await ws.close(cable.CLOSE_NORMAL, "unauthorized")
            return
        browser = CableSocket(ws, admission, self.browser_context)
        self.browsers.add(browser)
        await browser.run()

    # --- what the HTTP endpoints serve ------------------------------------------------

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
            "browsers": len(self.browsers),
        }
        return healthy, report

    def broadcast(self, stream: str, data: str) -> int:
        """Deliver a broadcast to this node's listeners of `stream`; how many got it."""
        return self.broadcasts.deliver(stream, data)

    @property
    def broadcasts_dropped(self) -> int:
        return self.broadcasts.dropped
