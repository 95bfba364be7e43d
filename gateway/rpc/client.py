"""The gateway's client of AnyCable's RPC service.

Calls are bounded in number (a concurrency limit, with a share of it for handshakes:
slots.py) and in time (one deadline that covers queueing and retries; a handshake's
call queues as long as its handshake allows instead, and its deadline starts when it
is made). UNAVAILABLE and RESOURCE_EXHAUSTED are retried with backoff while the
deadline allows; anything else fails at once. Each call, and each retry, goes to the
next usable rpc_app replica (endpoints.py).
"""

from __future__ import annotations

import asyncio

import grpc
import orjson
import structlog
from grpc_health.v1 import health_pb2

from ocpp_cable.contract.pb import presence_pb2, rpc_pb2
from ocpp_cable.contract.state import apply_changes
from ocpp_cable.foundation.throttle import LogThrottle
from ocpp_cable.gateway.metrics import GatewayMetrics
from ocpp_cable.gateway.rpc.batch_stream import StreamError
from ocpp_cable.gateway.rpc.endpoints import Endpoint, Endpoints
from ocpp_cable.gateway.rpc.link import PLAIN, Link
from ocpp_cable.gateway.rpc.results import (
    STATUSES,
    ClientGone,
    CommandResult,
    ConnectResult,
    DisconnectResult,
    Env,
    HandshakeQueuedTooLong,
    HandshakesQueueFull,
    RPCError,
    new_env,
)
from ocpp_cable.gateway.rpc.slots import (
    Abandoned,
    Kind,
    QueueFull,
    SlotBook,
    Slots,
    handshake_slots,
)
from ocpp_cable.gateway.rpc.transports import (
    BATCH,
    UNARY,
    BatchTransport,
    LocalServicer,
    LocalTransport,
    UnaryTransport,
)

log = structlog.get_logger("gateway.rpc")

RETRYABLE = frozenset({grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.RESOURCE_EXHAUSTED})
FIRST_BACKOFF, MAX_BACKOFF = 0.05, 1.0
STATUS_NAMES = {value: name for name, value in rpc_pb2.Status.items()}


class RPCClient:
    """AnyCable's three calls, and ocpp-cable's lease and health check, for the gateway.

    Args:
        address: the rpc_app target (one address, a list, or a name to resolve).
        timeout: seconds one call may take, queueing and retries included.
        concurrency: calls in flight at most; more wait for a slot.
        batch: use the Batch stream when the servers offer it.
        batch_streams: Batch streams in all, spread over the replicas.
        local: AnyCable's RPC service in this process (`ocpp-cable up`): the three calls
            go to it directly, unencoded; the lease and health check still use `address`.
        handshake_share: the share of `concurrency` handshakes' calls may hold.
        handshake_queue: Connects that may wait for a slot; one more is refused.

    Every call returns a plain result or raises `RPCError`.
    """

    def __init__(
        self,
        address: str,
        timeout: float,
        concurrency: int = 128,
        metrics: GatewayMetrics | None = None,
        batch: bool = True,
        batch_streams: int = 1,
        link: Link = PLAIN,
        local: LocalServicer | None = None,
        handshake_share: float = 0.5,
        handshake_queue: int = 10_000,
    ) -> None:
        self.address = address
        self.timeout = timeout
        self.metrics = metrics or GatewayMetrics()
        self._endpoints = Endpoints(address, batch, batch_streams, link=link)
        self._refusals = LogThrottle(interval=60.0)
        self.slots = Slots(
            SlotBook(concurrency, handshake_slots(concurrency, handshake_share), handshake_queue)
        )
        self._transport: UnaryTransport | BatchTransport | LocalTransport = (
            LocalTransport(local) if local is not None else BATCH if batch else UNARY
        )

    @property
    def batching(self) -> bool:
        return self._transport.batching

    @property
    def in_process(self) -> bool:
        """Are the calls served by rpc_app in this process, without gRPC?"""
        return isinstance(self._transport, LocalTransport)

    async def close(self) -> None:
        await self._endpoints.close()

    async def _call(
        self,
        name: str,
        request,
        sid: str,
        within: float | None = None,
        kind: Kind = Kind.CALL,
        queue_until: float | None = None,
        gone: asyncio.Future[None] | None = None,
    ):
        """One call. A CALL's wait for a slot counts against its deadline; a handshake's
        (`kind`) waits until loop time `queue_until` or until `gone` completes (its
        client closed the connection), and its deadline starts once it has a slot."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        timeout = self.timeout if within is None else min(within, self.timeout)
        deadline = started + timeout
        m = self.metrics
        if not self.slots.take(kind):
            handshake = kind is not Kind.CALL and queue_until is not None
            try:
                await self.slots.wait(kind, queue_until if handshake else deadline, gone)
            except QueueFull:
                m.rpc_errors.labels(name, "QUEUE_FULL").inc()
                raise HandshakesQueueFull from None
            except Abandoned:
                m.rpc_errors.labels(name, "CLIENT_GONE").inc()
                raise ClientGone from None
            except TimeoutError:
                m.rpc_errors.labels(name, "QUEUED_TOO_LONG").inc()
                if handshake:
                    raise HandshakeQueuedTooLong from None
                raise RPCError("DEADLINE_EXCEEDED", "too many RPC calls in flight") from None
            if handshake:  # its time in the queue is the queue's (handshakes_queued)
                started = loop.time()
                deadline = started + timeout
        m.rpc_in_flight.inc()
        backoff = FIRST_BACKOFF
        try:
            while True:
                endpoint = self._endpoints.pick()
                transport = self._transport
                try:
                    with endpoint:  # counted: a replica let go closes once its calls are done
                        response = await transport.call(endpoint, name, request, sid, deadline)
                except (grpc.aio.AioRpcError, StreamError) as exc:
                    code = exc.code()
                    if code == grpc.StatusCode.CANCELLED:
                        # Not by us (that raises CancelledError): a replica stopped under
                        # the call, which may or may not have been served, as when a
                        # connection drops; the batch stream reports it UNAVAILABLE too.
                        code = grpc.StatusCode.UNAVAILABLE
                    if code == grpc.StatusCode.UNAVAILABLE:
                        endpoint.failed()  # the retry goes to another replica, if one is up
                    if code == grpc.StatusCode.UNIMPLEMENTED and transport.batching:
                        # No Batch service: replicas of one rpc_app all have it or none
                        # has, so unary calls from now on, starting with this one.
                        self._transport = UNARY
                        continue
                    if code in RETRYABLE and deadline - loop.time() > backoff:
                        m.rpc_retries.labels(name, code.name).inc()
                        await asyncio.sleep(backoff)
                        backoff = min(backoff * 2, MAX_BACKOFF)
                        continue
                    m.rpc_errors.labels(name, code.name).inc()
                    m.rpc_calls.labels(name, code.name).inc()
                    if code == grpc.StatusCode.UNAUTHENTICATED:
                        self._refused(endpoint)
                    raise RPCError(code.name, exc.details() or "") from None
                m.rpc_answered(name, STATUS_NAMES[response.status]).inc()
                return response
        finally:
            self.slots.release(kind)
            m.rpc_in_flight.dec()
            m.rpc_timed(name).observe(loop.time() - started)

    def _refused(self, endpoint: Endpoint) -> None:
        held_back = self._refusals.allow("unauthenticated")
        if held_back is not None:
            log.error(
                "rpc_app refused this gateway: give both the same --rpc-secret (or the same "
                "broadcast key, which it is derived from)",
                rpc=endpoint.target,
                since_last=held_back,
            )

    async def connect(
        self,
        sid: str,
        url: str,
        headers: dict[str, str],
        queue_until: float | None = None,
        gone: asyncio.Future[None] | None = None,
    ) -> ConnectResult:
        """Connect for a connection at `url` with the request `headers` the gateway passes.
        It waits in the handshake queue until loop time `queue_until` (None: its RPC
        deadline), or until `gone` completes."""
        env = new_env(url, headers)
        request = rpc_pb2.ConnectionRequest(env=env)
        response = await self._call(
            "Connect", request, sid, kind=Kind.CONNECT, queue_until=queue_until, gone=gone
        )
        if response.env.cstate:
            env.cstate.update(response.env.cstate)
        return ConnectResult(
            STATUSES[response.status],
            response.error_msg,
            response.identifiers,
            list(response.transmissions),
            env,
        )

    async def command(
        self,
        sid: str,
        command: str,
        identifier: str,
        connection_identifiers: str,
        env: Env,
        data: str = "",
        istate: dict[str, str] | None = None,
        admitting_until: float | None = None,
    ) -> CommandResult:
        """One Command (subscribe, message, unsubscribe); its state changes go into `env`.

        `istate`: the channel state of `identifier` when a connection holds several
        subscriptions (a browser's); it is sent instead of `env`'s and takes the changes.
        `admitting_until`: the station's first subscribe, which finishes its admission:
        it takes a handshake slot, waiting for one until that loop time.
        """
        sent = env
        if istate is not None:
            sent = rpc_pb2.Env(url=env.url, headers=env.headers, cstate=env.cstate, istate=istate)
        request = rpc_pb2.CommandMessage(
            command=command,
            identifier=identifier,
            connection_identifiers=connection_identifiers,
            data=data,
            env=sent,
        )
        if admitting_until is None:
            response = await self._call("Command", request, sid)
        else:
            response = await self._call(
                "Command", request, sid, kind=Kind.SUBSCRIBE, queue_until=admitting_until
            )
        changed = response.env
        apply_changes(env.cstate, changed.cstate)
        apply_changes(env.istate if istate is None else istate, changed.istate)
        return CommandResult(
            STATUSES[response.status],
            response.error_msg,
            list(response.transmissions),
            list(response.streams),
            list(response.stopped_streams),
            response.stop_streams,
            response.disconnect,
        )

    async def disconnect(
        self,
        sid: str,
        identifiers: str,
        subscriptions: list[str],
        env: Env,
        within: float | None = None,
        istates: dict[str, dict[str, str]] | None = None,
    ) -> DisconnectResult:
        """Disconnect, with each subscription's channel state under its identifier
        (AnyCable's shape): from `istates` when given (a browser's subscriptions), else
        `env`'s one channel state. `within`: seconds the call may take at most (a
        drain's time left), if less than the RPC timeout."""
        sent = rpc_pb2.Env()
        sent.CopyFrom(env)
        sent.istate.clear()
        for identifier in subscriptions:
            state = env.istate if istates is None else istates.get(identifier, {})
            sent.istate[identifier] = orjson.dumps(dict(state)).decode()
        request = rpc_pb2.DisconnectRequest(
            identifiers=identifiers, subscriptions=subscriptions, env=sent
        )
        response = await self._call("Disconnect", request, sid, within)
        return DisconnectResult(STATUSES[response.status], response.error_msg)

    async def renew(
        self, node: str, ttl: float, stations: list[str], within: float | None = None
    ) -> None:
        """Renew this node's lease (ocpp-cable's Presence service); RPCError if it failed."""
        lease = presence_pb2.Lease(node=node, ttl=ttl, stations=stations)
        timeout = self.timeout if within is None else min(within, self.timeout)
        endpoint = self._endpoints.pick()  # leases are the application's: any replica will do
        try:
            with endpoint:
                await endpoint.presence.Renew(lease, timeout=timeout, metadata=endpoint.metadata)
        except grpc.aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.UNAVAILABLE:
                endpoint.failed()
            self.metrics.rpc_errors.labels("Renew", exc.code().name).inc()
            raise RPCError(exc.code().name, exc.details() or "") from None

    async def healthy(self, within: float = 1.0) -> bool:
        """Can we reach an RPC server? (One without the health service counts when reachable.)
        One healthy replica is enough: the calls go to it."""
        checks = [self._check(e, within) for e in self._endpoints.all]
        return any(await asyncio.gather(*checks))

    @staticmethod
    async def _check(endpoint: Endpoint, within: float) -> bool:
        try:
            with endpoint:
                reply = await endpoint.health.Check(
                    health_pb2.HealthCheckRequest(), timeout=within, metadata=endpoint.metadata
                )
        except grpc.aio.AioRpcError as exc:
            return exc.code() == grpc.StatusCode.UNIMPLEMENTED
        return reply.status == health_pb2.HealthCheckResponse.SERVING
