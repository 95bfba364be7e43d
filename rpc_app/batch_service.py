"""ocpp-cable's Batch service: AnyCable's calls, many per stream message.

Each call in a batch is served concurrently by the same RPCService that serves
unary calls; replies go back in batches as they complete, so one slow channel
method never holds up the others.
"""

from __future__ import annotations

import asyncio
import contextlib

import structlog

from ocpp_cable.contract.pb import batch_pb2, batch_pb2_grpc, rpc_pb2_grpc

log = structlog.get_logger("rpc_app.batch")

MAX_REPLIES = 512  # per stream message: a few hundred KB at most


class BatchService(batch_pb2_grpc.BatchServicer):
    def __init__(self, rpc: rpc_pb2_grpc.RPCServicer) -> None:
        # The servicer of unary calls (rpc_app.server.RPCService): each call is its own.
        self.rpc = rpc

    async def _serve(self, call: batch_pb2.Call) -> batch_pb2.Reply:
        kind = call.WhichOneof("request")
        if kind == "command":
            return batch_pb2.Reply(tag=call.tag, command=await self.rpc.Command(call.command, None))
        if kind == "connect":
            return batch_pb2.Reply(tag=call.tag, connect=await self.rpc.Connect(call.connect, None))
        response = await self.rpc.Disconnect(call.disconnect, None)
        return batch_pb2.Reply(tag=call.tag, disconnect=response)

    async def Calls(self, request_iterator, context):
        replies: asyncio.Queue[batch_pb2.Reply] = asyncio.Queue()
        in_flight: set[asyncio.Task] = set()
        reading_done = asyncio.Event()

        async def serve_one(call: batch_pb2.Call) -> None:
            try:
                replies.put_nowait(await self._serve(call))
            except Exception:  # RPCService answers errors itself; this is a last resort
                log.exception("batched call failed", tag=call.tag)

        async def read() -> None:
            try:
                async for batch in request_iterator:
                    for call in batch.calls:
                        task = asyncio.create_task(serve_one(call))
                        in_flight.add(task)
                        task.add_done_callback(in_flight.discard)
            finally:
                reading_done.set()

        reader = asyncio.create_task(read())
        try:
            while True:
                if reading_done.is_set() and not in_flight and replies.empty():
                    return
                getter = asyncio.ensure_future(replies.get())
                waiter = asyncio.ensure_future(reading_done.wait())
                done, _ = await asyncio.wait({getter, waiter}, return_when=asyncio.FIRST_COMPLETED)
                waiter.cancel()
                if getter not in done:
                    getter.cancel()
                    if in_flight:  # the client is done sending: wait for what is under way
                        await asyncio.wait(set(in_flight))
                    continue
                batch = [getter.result()]
                while len(batch) < MAX_REPLIES and not replies.empty():
                    batch.append(replies.get_nowait())
                yield batch_pb2.ReplyBatch(replies=batch)
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
