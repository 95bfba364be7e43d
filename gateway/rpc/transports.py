"""How a call reaches a replica: one unary gRPC call each, or a place in a batch.

The client picks its transport once (batching when the setting allows it) and
falls back to unary for good if the servers have no Batch service.
"""

from __future__ import annotations

import asyncio

from ocpp_cable.contract.pb import batch_pb2
from ocpp_cable.gateway.rpc.endpoints import Endpoint

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


UNARY = UnaryTransport()
BATCH = BatchTransport()
