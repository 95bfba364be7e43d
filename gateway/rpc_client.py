"""The gateway's client of AnyCable's RPC service.

Calls are bounded in number (a concurrency limit) and in time (one deadline
that covers queueing and retries). UNAVAILABLE and RESOURCE_EXHAUSTED are
retried with backoff while the deadline allows; anything else fails at once.
Each call, and each retry, goes to the next usable rpc_app replica (endpoints.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import grpc
from grpc_health.v1 import health_pb2

from contract.pb import batch_pb2, presence_pb2, rpc_pb2
from gateway.batch_client import StreamError
from gateway.endpoints import Endpoint, Endpoints
from gateway.metrics import GatewayMetrics

PROTOCOL_VERSION = "v1"
RETRYABLE = frozenset({grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.RESOURCE_EXHAUSTED})
FIRST_BACKOFF, MAX_BACKOFF = 0.05, 1.0
# RPC method -> its field in a batch_pb2.Call / Reply.
BATCH_KINDS = {"Connect": "connect", "Command": "command", "Disconnect": "disconnect"}
STATUS_NAMES = {value: name for name, value in rpc_pb2.Status.items()}


class RPCError(Exception):
    """The RPC did not complete (unreachable, deadline exceeded, server crash)."""

    def __init__(self, code: str, details: str) -> None:
        super().__init__(f"{code}: {details}")
        self.code = code
        self.details = details


def make_env(
    url: str,
    headers: Mapping[str, str],
    cstate: Mapping[str, str] | None = None,
    istate: Mapping[str, str] | None = None,
) -> rpc_pb2.Env:
    return rpc_pb2.Env(url=url, headers=headers, cstate=cstate or {}, istate=istate or {})


class RPCClient:
    def __init__(
        self,
        address: str,
        timeout: float,
        concurrency: int = 128,
        metrics: GatewayMetrics | None = None,
        batch: bool = True,
        batch_streams: int = 4,
    ) -> None:
        self.address = address
        self.timeout = timeout
        self.metrics = metrics or GatewayMetrics()
        self._endpoints = Endpoints(address, batch, batch_streams)
        self._slots = asyncio.Semaphore(concurrency)

    @property
    def batching(self) -> bool:
        # UNIMPLEMENTED on any stream means the servers have no Batch service: replicas
        # of one rpc_app all have it or none has (a mix gets unary calls, which all serve).
        batches = self._endpoints.batches
        return bool(batches) and not any(b.unsupported for b in batches)

    async def close(self) -> None:
        await self._endpoints.close()

    async def _batched(self, endpoint: Endpoint, kind: str, request, sid: str, deadline: float):
        call = batch_pb2.Call(sid=sid)
        getattr(call, kind).CopyFrom(request)
        reply = await endpoint.next_batch().call(call, deadline)
        return getattr(reply, kind)

    async def _call(self, name: str, request, sid: str, within: float | None = None):
        loop = asyncio.get_running_loop()
        started = loop.time()
        deadline = started + (self.timeout if within is None else min(within, self.timeout))
        metadata = (("protov", PROTOCOL_VERSION), ("sid", sid))
        m = self.metrics
        if (
            self._slots.locked()
        ):  # only then a timer: waiting for a slot counts against the deadline
            try:
                async with asyncio.timeout_at(deadline):
                    await self._slots.acquire()
            except TimeoutError:
                m.rpc_errors.labels(name, "QUEUED_TOO_LONG").inc()
                raise RPCError("DEADLINE_EXCEEDED", "too many RPC calls in flight") from None
        else:
            await self._slots.acquire()
        m.rpc_in_flight.inc()
        backoff = FIRST_BACKOFF
        try:
            kind = BATCH_KINDS[name]
            while True:
                endpoint = self._endpoints.pick()
                try:
                    with endpoint:  # counted: a replica let go closes once its calls are done
                        if self.batching:
                            response = await self._batched(endpoint, kind, request, sid, deadline)
                        else:
                            response = await getattr(endpoint.rpc, name)(
                                request,
                                timeout=max(deadline - loop.time(), 0.001),
                                metadata=metadata,
                            )
                except (grpc.aio.AioRpcError, StreamError) as exc:
                    code = exc.code()
                    if code == grpc.StatusCode.CANCELLED:
                        # Not by us (that raises CancelledError): a replica stopped under
                        # the call, which may or may not have been served, as when a
                        # connection drops; the batch stream reports it UNAVAILABLE too.
                        code = grpc.StatusCode.UNAVAILABLE
                    if code == grpc.StatusCode.UNAVAILABLE:
                        endpoint.failed()  # the retry goes to another replica, if one is up
                    if code == grpc.StatusCode.UNIMPLEMENTED and not self.batching:
                        continue  # the server has no Batch service: the same call, unary
                    if code in RETRYABLE and deadline - loop.time() > backoff:
                        m.rpc_retries.labels(name, code.name).inc()
                        await asyncio.sleep(backoff)
                        backoff = min(backoff * 2, MAX_BACKOFF)
                        continue
                    m.rpc_errors.labels(name, code.name).inc()
                    m.rpc_calls.labels(name, code.name).inc()
                    raise RPCError(code.name, exc.details() or "") from None
                m.rpc_answered(name, STATUS_NAMES[response.status]).inc()
                return response
        finally:
            self._slots.release()
            m.rpc_in_flight.dec()
            m.rpc_timed(name).observe(loop.time() - started)

    async def connect(self, sid: str, env: rpc_pb2.Env) -> rpc_pb2.ConnectionResponse:
        request = rpc_pb2.ConnectionRequest(env=env)
        return await self._call("Connect", request, sid)

    async def command(
        self,
        sid: str,
        command: str,
        identifier: str,
        connection_identifiers: str,
        env: rpc_pb2.Env,
        data: str = "",
    ) -> rpc_pb2.CommandResponse:
        request = rpc_pb2.CommandMessage(
            command=command,
            identifier=identifier,
            connection_identifiers=connection_identifiers,
            data=data,
            env=env,
        )
        return await self._call("Command", request, sid)

    async def disconnect(
        self,
        sid: str,
        identifiers: str,
        subscriptions: list[str],
        env: rpc_pb2.Env,
        within: float | None = None,
    ) -> rpc_pb2.DisconnectResponse:
        """`within`: seconds the call may take at most (a drain's time left), if less than
        the RPC timeout."""
        request = rpc_pb2.DisconnectRequest(
            identifiers=identifiers, subscriptions=subscriptions, env=env
        )
        return await self._call("Disconnect", request, sid, within)

    async def renew(
        self, node: str, ttl: float, stations: list[str], within: float | None = None
    ) -> None:
        """Renew this node's lease (ocpp-cable's Presence service); RPCError if it failed."""
        lease = presence_pb2.Lease(node=node, ttl=ttl, stations=stations)
        timeout = self.timeout if within is None else min(within, self.timeout)
        endpoint = self._endpoints.pick()  # leases are the application's: any replica will do
        try:
            with endpoint:
                await endpoint.presence.Renew(lease, timeout=timeout)
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
                reply = await endpoint.health.Check(health_pb2.HealthCheckRequest(), timeout=within)
        except grpc.aio.AioRpcError as exc:
            return exc.code() == grpc.StatusCode.UNIMPLEMENTED
        return reply.status == health_pb2.HealthCheckResponse.SERVING
