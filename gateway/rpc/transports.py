"""How a call reaches a replica: one unary gRPC call each, a place in a batch, or, with
rpc_app in the same process, a plain await.

The client picks its transport once (batching when the setting allows it) and
falls back to unary for good if the servers have no Batch service.
"""

from __future__ import annotations

import asyncio
from typing import Protocol

import grpc
import structlog

from ocpp_cable.contract.pb import batch_pb2
from ocpp_cable.gateway.rpc.batch_stream import StreamError
from ocpp_cable.gateway.rpc.endpoints import Endpoint

log = structlog.get_logger("gateway.rpc")

PROTOCOL_VERSION = "v1"
# RPC method -> its field in a batch_pb2.Call / Reply.
BATCH_FIELDS = {"Connect": "connect", "Command": "command", "Disconnect": "disconnect"}


class UnaryTransport:
    """AnyCable's own calls: `RPC.Connect`, `RPC.Command`, `RPC.Disconnect`."""

    batching = False

    async def call(self, endpoint: Endpoint, method: str, request, sid: str, deadline: float):
        timeout = max(deadline - asyncio.get_running_loop().time(), 0.001)
        metadata = (*endpoint.metadata, ("protov", PROTOCOL_VERSION), ("sid", sid))
        return await getattr(endpoint.rpc, method)(request, timeout=timeout, metadata=metadata)


class BatchTransport:
    """ocpp-cable's Batch stream: the call rides in the endpoint's next stream message.

    Raises StreamError (as a unary call raises AioRpcError) when the stream fails.
    """

    batching = True

    async def call(self, endpoint: Endpoint, method: str, request, sid: str, deadline: float):
        field = BATCH_FIELDS[method]
        call = batch_pb2.Call(sid=sid)
        getattr(call, field).CopyFrom(request)
        reply = await endpoint.next_batch().call(call, deadline)
        return getattr(reply, field)


class LocalServicer(Protocol):
    """AnyCable's RPC service in this process: its methods take the contract's request
    messages and answer its response messages, as over gRPC (rpc_app.server.RPCService)."""

    async def Connect(self, request, context): ...

    async def Command(self, request, context): ...

    async def Disconnect(self, request, context): ...


class LocalTransport:
    """rpc_app in this process (`ocpp-cable up`): the servicer's method awaited on this
    loop. Nothing is encoded, nothing crosses a socket or a thread; the contract's
    messages and the deadline are the same as over gRPC, and a failure raises
    StreamError with the code a gRPC call would have had."""

    batching = False

    def __init__(self, servicer: LocalServicer) -> None:
        self._servicer = servicer

    async def call(self, endpoint: Endpoint, method: str, request, sid: str, deadline: float):
        try:
            async with asyncio.timeout_at(deadline):
                return await getattr(self._servicer, method)(request, None)
        except TimeoutError:
            raise StreamError(grpc.StatusCode.DEADLINE_EXCEEDED, "deadline exceeded") from None
        except Exception as exc:
            # The servicer answers the application's failures itself (ERROR); this is a
            # fault of its own, which gRPC would have answered UNKNOWN.
            log.exception("in-process RPC failed", method=method, sid=sid)
            raise StreamError(grpc.StatusCode.UNKNOWN, f"{type(exc).__name__}") from None


UNARY = UnaryTransport()
BATCH = BatchTransport()
