"""Admission: the OCPP-J handshake rules, then the application's Connect, before the upgrade.

A refused station is never upgraded: it gets an HTTP status (404 for a path that
names no station, 401 when the application refuses it: unknown, no credentials or
wrong ones alike, so the answer tells no one which station ids exist; 429 after too
many wrong credentials (auth_throttle.py), 503 when the application cannot be asked).
What Connect decided waits here for the connection handler, which takes it once
the upgrade is done.

In a reconnect storm Connects wait for an RPC slot in the handshake queue
(rpc/slots.py), as long as the handshake's own deadline allows; a handshake that
finds the queue full, or waits that long, gets 503 with a Retry-After from the
recent pace of Connects (pacing.py).
"""

from __future__ import annotations

import asyncio
import uuid
import weakref
from collections.abc import Callable
from dataclasses import dataclass

import structlog
from websockets.asyncio.server import ServerConnection
from websockets.datastructures import Headers
from websockets.exceptions import InvalidHeader
from websockets.headers import parse_subprotocol
from websockets.http11 import Request, Response

from ocpp_cable.contract.env import (
    BROWSER,
    CLIENT_PROTOCOL_HEADER,
    GATEWAY_HEADERS,
    NODE_HEADER,
    REMOTE_ADDR_HEADER,
    SUBPROTOCOL_HEADER,
    TLS_CLIENT_SUBJECT_HEADER,
)
from ocpp_cable.foundation.settings import GatewaySettings
from ocpp_cable.foundation.throttle import LogThrottle
from ocpp_cable.gateway import tls
from ocpp_cable.gateway.auth_throttle import AuthThrottle, Throttled, address_key
from ocpp_cable.gateway.cable.socket import BrowserAdmission
from ocpp_cable.gateway.metrics import GatewayMetrics
from ocpp_cable.gateway.pacing import ConnectPace
from ocpp_cable.gateway.rpc import (
    ClientGone,
    ConnectResult,
    Env,
    HandshakeQueuedTooLong,
    HandshakesQueueFull,
    Kind,
    RPCClient,
    RPCError,
    Status,
)
from ocpp_cable.ocppj import versions
from ocpp_cable.ocppj.frames import clip
from ocpp_cable.ocppj.handshake import (
    HandshakeRefused,
    read_headers,
    read_request,
    target_path,
)
from ocpp_cable.ocppj.versions import Version

log = structlog.get_logger("gateway")


@dataclass(slots=True)
class Admission:
    """What Connect decided for one station, handed to the connection handler."""

    station_id: str
    sid: str
    identifiers: str
    env: Env
    transmissions: list[str]
    version: Version
    # The subprotocol the handshake answers with (None: a charger that offered none,
    # served as OCPP 1.6 by --accept-missing-subprotocol).
    subprotocol: str | None


# RFC 7235: a 401 names the scheme that would be accepted (OCPP's security profiles 1, 2).
CHALLENGE = 'Basic realm="OCPP", charset="UTF-8"'

# Seconds of a handshake's deadline (websockets' open_timeout, which starts when the
# connection is accepted) that its request may take to arrive, before admission starts.
REQUEST_ALLOWANCE = 1.0


def refusal_status(status: Status) -> int:
    """HTTP status for a Connect that did not succeed: 401 for a refusal, whatever was sent
    (an unknown station and a known one without credentials look the same); 500 for an
    application that failed."""
    return 401 if status is Status.FAILURE else 500


def offered_subprotocols(headers: Headers) -> list[str]:
    """Every subprotocol the request offers; raises InvalidHeader for a malformed list."""
    offered: list[str] = []
    for value in headers.get_all("Sec-WebSocket-Protocol"):
        offered += parse_subprotocol(value)
    return offered


class Admissions:
    """Decides, for each upgrade request, whether a station is served, and as whom.

    Args:
        settings: the gateway's settings (path prefix, headers passed, subprotocol rule).
        rpc: the client that makes Connect.
        metrics: counts refusals by status.
        authority: the host:port a request without Host is taken to have asked for.
        node_header: this node's id for Connect's headers, or None while it holds no lease.
    """

    def __init__(
        self,
        settings: GatewaySettings,
        rpc: RPCClient,
        metrics: GatewayMetrics,
        authority: Callable[[], str],
        node_header: Callable[[], str | None],
    ) -> None:
        self.settings = settings
        self.scheme = "wss" if settings.tls_cert else "ws"
        self._rpc = rpc
        self._metrics = metrics
        self._authority = authority
        self._node_header = node_header
        self._header_names = settings.header_names()
        # The versions served, the preferred first.
        self.versions = tuple(versions.named(name) for name in settings.ocpp_version_names())
        # A browser's Connect also sees its cookies and origin, as Action Cable's does.
        self._browser_header_names = sorted({*self._header_names, "cookie", "origin"})
        # Kept until the handler takes it; a handshake that fails after Connect leaves
        # nothing behind (the entry goes with its connection).
        self._decided: weakref.WeakKeyDictionary[ServerConnection, Admission | BrowserAdmission] = (
            weakref.WeakKeyDictionary()
        )
        # Anyone may knock at the cable path as fast as they like: one line per burst.
        self.browser_refusals = LogThrottle(interval=10.0)
        self.throttle = AuthThrottle(
            settings.auth_failures_per_station,
            settings.auth_failures_per_address,
            settings.auth_failures_per_node,
        )
        self._throttled_log = LogThrottle(interval=10.0)
        # A storm refuses or fails thousands at once: one line per burst, the rest counted.
        self._connect_log = LogThrottle(interval=10.0)
        self.pace = ConnectPace()
        # Seconds a Connect may wait for a slot: its handshake's deadline, less the
        # request's arrival and the Connect's own deadline once it has a slot.
        self._queue_time = max(
            0.0, settings.handshake_timeout - settings.rpc_timeout - REQUEST_ALLOWANCE
        )

    def take(self, connection: ServerConnection) -> Admission | BrowserAdmission | None:
        """The admission decided for `connection` (None: it was upgraded without one,
        which admit never does)."""
        return self._decided.pop(connection, None)

    def station_subprotocol(self, connection: ServerConnection) -> str | None:
        """The subprotocol admission chose for a station's `connection` (None: none)."""
        admission = self._decided.get(connection)
        return admission.subprotocol if isinstance(admission, Admission) else None

    async def admit(self, connection: ServerConnection, request: Request) -> Response | None:
        """websockets' process_request: None upgrades the request, a Response refuses it."""
        try:
            if target_path(request.path) == self.settings.cable_path:
                return await self._admit_browser(connection, request)
        except HandshakeRefused as exc:
            self._metrics.connect_rejections.labels(str(exc.status)).inc()
            return connection.respond(exc.status, exc.reason + "\n")
        try:
            station = read_request(
                request.path,
                request.headers.raw_items(),
                self.settings.path_prefix,
                self.scheme,
                self._authority(),
                self._header_names,
            )
        except HandshakeRefused as exc:
            self._metrics.connect_rejections.labels(str(exc.status)).inc()
            return connection.respond(exc.status, exc.reason + "\n")
        station_id, headers = station.station_id, station.headers
        self._gateway_headers(connection, headers)
        bound = log.bind(station_id=station_id)
        try:
            offered = offered_subprotocols(request.headers)
        except InvalidHeader:
            self._metrics.connect_rejections.labels("400").inc()
            return connection.respond(400, "malformed Sec-WebSocket-Protocol header\n")
        version = versions.negotiate(offered, self.versions)
        subprotocol = version.subprotocol if version else None
        if version is None:
            if offered or not self.settings.accept_missing_subprotocol:
                # Refused before the upgrade (the OCA's TC_B_58), which tells the station
                # more than OCPP-J's "complete the handshake without the header, then close".
                bound.warning(
                    "no OCPP subprotocol we serve offered",
                    offered=[clip(name, 40) for name in offered[:8]],
                )
                self._metrics.connect_rejections.labels("400").inc()
                served = ", ".join(v.subprotocol for v in self.versions)
                return connection.respond(400, f"no OCPP subprotocol we serve offered: {served}\n")
            version = versions.OCPP16
        # What the station speaks, for Connect and every later call (RFC 6455's header
        # name, holding the answer rather than the offer).
        headers[SUBPROTOCOL_HEADER] = version.subprotocol
        credentials = "authorization" in headers
        address = address_key(headers.get(REMOTE_ADDR_HEADER))
        attempt = self.throttle.start(station_id, address, credentials)
        if isinstance(attempt, Throttled):
            return self._throttled(connection, attempt, station_id, address)
        settle = self.throttle.undecided  # unless Connect decides on the credentials
        try:
            sid = uuid.uuid4().hex
            try:
                result = await self._connect(connection, sid, station.url, headers)
            except RPCError as exc:
                return self._unavailable(connection, exc, station_id=clip(station_id, 64))
            if result.status is not Status.SUCCESS:
                status = refusal_status(result.status)
                if status == 401 and credentials:  # the credentials sent were refused
                    settle = self.throttle.refused
                bound.info("connection refused", status=status, reason=result.error)
                self._metrics.connect_rejections.labels(str(status)).inc()
                response = connection.respond(status, "connection refused\n")
                if status == 401:
                    response.headers["WWW-Authenticate"] = CHALLENGE
                return response
            settle = self.throttle.admitted
        finally:
            settle(attempt)
        self._metrics.stations_admitted.labels(version.name).inc()
        self._decided[connection] = Admission(
            station_id,
            sid,
            result.identifiers,
            result.env,
            result.transmissions,
            version,
            subprotocol,
        )
        return None

    async def _connect(
        self, connection: ServerConnection, sid: str, url: str, headers: dict[str, str]
    ) -> ConnectResult:
        """Connect, queued while the RPC slots are taken, until the handshake's deadline
        allows or its client goes away."""
        queue_until = asyncio.get_running_loop().time() + self._queue_time
        try:
            result = await self._rpc.connect(
                sid, url, headers, queue_until, connection.connection_lost_waiter
            )
        except (HandshakesQueueFull, ClientGone):
            raise  # never made: no pace to count
        except RPCError:
            self.pace.finished()
            raise
        self.pace.finished()
        return result

    def _unavailable(self, connection: ServerConnection, exc: RPCError, **about: str) -> Response:
        """503 for a Connect that could not be made: with Retry-After when the handshake
        queue was full, or its wait as long as the handshake allows (the pace of
        Connects says when to come back)."""
        if isinstance(exc, ClientGone):  # no one to tell (counted with the RPC errors)
            return connection.respond(503, "application unavailable\n")
        self._metrics.connect_rejections.labels("503").inc()
        if isinstance(exc, HandshakesQueueFull | HandshakeQueuedTooLong):
            queued = self._rpc.slots.book.waiting(Kind.CONNECT)
            retry_after = self.pace.retry_after(queued)
            full = isinstance(exc, HandshakesQueueFull)
            held_back = self._connect_log.allow("queue full" if full else "queued too long")
            if held_back is not None:
                log.warning(
                    "handshake refused: too many queued"
                    if full
                    else "handshake refused: queued as long as its handshake allows",
                    queued=queued,
                    retry_after=retry_after,
                    since_last=held_back,
                    **about,
                )
            response = connection.respond(503, "too many handshakes queued, retry later\n")
            response.headers["Retry-After"] = str(retry_after)
            return response
        held_back = self._connect_log.allow("connect call failed")
        if held_back is not None:
            log.error(
                "connect call failed",
                error=str(exc),
                since_last=held_back,
                **about,
            )
        return connection.respond(503, "application unavailable\n")

    def _throttled(
        self, connection: ServerConnection, held: Throttled, station_id: str, address: str | None
    ) -> Response:
        """429 at once, Connect not asked: the handshake holds nothing while it waits."""
        self._metrics.handshakes_throttled.labels(held.limit).inc()
        self._metrics.connect_rejections.labels("429").inc()
        held_back = self._throttled_log.allow(held.limit)
        if held_back is not None:  # the first of a burst; the others are counted in the next
            log.warning(
                "handshake throttled: too many failed authentications",
                limit=held.limit,
                station_id=clip(station_id, 64),
                address=address,
                retry_after=held.retry_after,
                since_last=held_back,
            )
        response = connection.respond(429, "too many failed authentications\n")
        response.headers["Retry-After"] = str(held.retry_after)
        return response

    def _gateway_headers(
        self, connection: ServerConnection, headers: dict[str, str], protocol: str | None = None
    ) -> None:
        """The headers only the gateway sets, never a client: the client's protocol (for a
        browser; a station's env stays as small as AnyCable's), the remote address, a
        verified certificate's subject, this node."""
        for name in GATEWAY_HEADERS:
            headers.pop(name, None)
        if protocol is not None:
            headers[CLIENT_PROTOCOL_HEADER] = protocol
        remote = connection.remote_address
        if remote:
            headers[REMOTE_ADDR_HEADER] = str(remote[0])
        subject = tls.client_subject(connection.transport)  # from a verified certificate
        if subject:
            headers[TLS_CLIENT_SUBJECT_HEADER] = subject
        node = self._node_header()
        if node is not None:
            headers[NODE_HEADER] = node

    async def _admit_browser(
        self, connection: ServerConnection, request: Request
    ) -> Response | None:
        """A browser at the cable path: Connect decides. A refused browser is upgraded and
        told (Action Cable's `disconnect`, `unauthorized`), as Action Cable's clients expect."""
        url, headers = read_headers(
            request.path,
            request.headers.raw_items(),
            self.scheme,
            self._authority(),
            self._browser_header_names,
        )
        self._gateway_headers(connection, headers, BROWSER)
        sid = uuid.uuid4().hex
        try:
            result = await self._connect(connection, sid, url, headers)
        except RPCError as exc:
            return self._unavailable(connection, exc, browser=sid)
        if result.status is Status.ERROR:
            # The application failed, it did not refuse: the client tries again later.
            self._metrics.connect_rejections.labels("503").inc()
            return connection.respond(503, "application unavailable\n")
        accepted = result.status is Status.SUCCESS
        if not accepted:
            self._metrics.connect_rejections.labels("unauthorized").inc()
            held_back = self.browser_refusals.allow("browser refused")
            if held_back is not None:
                log.info("browser refused", sid=sid, reason=result.error, since_last=held_back)
        self._decided[connection] = BrowserAdmission(
            sid, accepted, result.identifiers, result.env, result.transmissions
        )
        return None
