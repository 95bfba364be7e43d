"""The gateway's end of ocpp-cable's Batch stream: many RPC calls per HTTP/2 message.

Calls queue in an outbox; a writer sends whatever has gathered as one batch,
so under load the per-call cost of gRPC is shared by many calls. The stream is
opened on first use and again after it breaks; a server without the service
answers UNIMPLEMENTED and the gateway stays on unary calls from then on.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools

import grpc
import structlog

from ocpp_cable.contract.pb import batch_pb2, batch_pb2_grpc

log = structlog.get_logger("gateway.batch")

MAX_CALLS = 512  # per stream message
SWEEP_INTERVAL = 0.05  # how often deadlines are checked: one timer for all calls
# The server would not take the stream from us: said as it was, not as a broken stream.
REFUSED = frozenset({grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED})


class StreamError(Exception):
    """The batch stream failed; `code` is what a unary call would have raised."""

    def __init__(self, code: grpc.StatusCode, details: str) -> None:
        super().__init__(f"{code.name}: {details}")
        self._code = code
        self._details = details

    def code(self) -> grpc.StatusCode:
        return self._code

    def details(self) -> str:
        return self._details


class BatchStream:
    """One Batch stream to one rpc_app replica, opened on first use and again after it breaks.

    `call` queues a call and waits for its reply (matched by tag), or raises StreamError
    by its deadline: DEADLINE_EXCEEDED, UNAVAILABLE when the stream broke,
    UNIMPLEMENTED (and `unsupported` set) when the server has no Batch service.
    """

    def __init__(self, channel: grpc.aio.Channel, metadata: tuple = ()) -> None:
        self._stub = batch_pb2_grpc.BatchStub(channel)
        self._metadata = metadata  # the stream's opening carries the calls' credentials
        self._tags = itertools.count(1)
        self._waiting: dict[int, asyncio.Future[batch_pb2.Reply]] = {}
        self._deadlines: dict[int, float] = {}
        self._sweeper: asyncio.Task[None] | None = None
        self._outbox: list[batch_pb2.Call] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.unsupported = False

    async def call(self, call: batch_pb2.Call, deadline: float) -> batch_pb2.Reply:
        """Send `call` in the next batch; its reply, or StreamError by `deadline` (loop time)."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="rpc-batch-stream")
        if self._sweeper is None or self._sweeper.done():
            self._sweeper = asyncio.create_task(self._sweep(), name="rpc-batch-deadlines")
        call.tag = tag = next(self._tags)
        future: asyncio.Future[batch_pb2.Reply] = asyncio.get_running_loop().create_future()
        self._waiting[tag] = future
        self._deadlines[tag] = deadline
        self._outbox.append(call)
        self._wake.set()
        try:
            return await future
        finally:
            self._waiting.pop(tag, None)
            self._deadlines.pop(tag, None)

    async def _sweep(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(SWEEP_INTERVAL)
            now = loop.time()
            for tag, deadline in list(self._deadlines.items()):
                future = self._waiting.get(tag)
                if deadline <= now and future is not None and not future.done():
                    # One exception per call: a shared one would collect every
                    # caller's traceback, and with it their frames, for good.
                    future.set_exception(
                        StreamError(grpc.StatusCode.DEADLINE_EXCEEDED, "deadline exceeded")
                    )

    async def close(self) -> None:
        for task in (self._task, self._sweeper):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def _run(self) -> None:
        stream = self._stub.Calls(metadata=self._metadata)
        writer = asyncio.create_task(self._write(stream))
        failure = StreamError(grpc.StatusCode.UNAVAILABLE, "the batch stream ended")
        try:
            async for batch in stream:
                for reply in batch.replies:
                    future = self._waiting.get(reply.tag)
                    if future is not None and not future.done():
                        future.set_result(reply)
        except grpc.aio.AioRpcError as exc:
            code = exc.code()
            if code == grpc.StatusCode.UNIMPLEMENTED:
                self.unsupported = True
                log.info("the RPC server has no Batch service: unary calls from now on")
                failure = StreamError(code, "no Batch service")
            elif code in REFUSED:
                failure = StreamError(code, exc.details() or "")  # no retry makes it better
            else:
                # The calls under way may or may not have been served, as when a
                # unary call's connection drops: UNAVAILABLE, so they are retried.
                failure = StreamError(grpc.StatusCode.UNAVAILABLE, f"batch stream: {code.name}")
        finally:
            writer.cancel()
            self._outbox.clear()
            for future in self._waiting.values():
                if not future.done():
                    future.set_exception(failure)

    async def _write(self, stream) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._outbox:
                calls, self._outbox = self._outbox[:MAX_CALLS], self._outbox[MAX_CALLS:]
                await stream.write(batch_pb2.CallBatch(calls=calls))
