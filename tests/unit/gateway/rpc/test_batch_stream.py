"""The Batch stream with a fake stub: calls batched together, replies matched by tag,
deadlines, a broken or missing stream, and nothing kept once calls are done."""

from __future__ import annotations

import asyncio
import math
import traceback

import grpc
import pytest

import ocpp_cable.gateway.rpc.batch_stream as batch_module
from ocpp_cable.contract.pb import batch_pb2, rpc_pb2
from ocpp_cable.gateway.rpc.batch_stream import BatchStream, StreamError

END = object()  # fed to a fake stream: it ends as a server's would


class FakeStream:
    """A duplex Calls() stream: replies fed through a queue, writes recorded."""

    def __init__(self, activity: asyncio.Event) -> None:
        self.replies: asyncio.Queue = asyncio.Queue()
        self.written: list[batch_pb2.CallBatch] = []
        self.activity = activity

    def __aiter__(self) -> FakeStream:
        return self

    async def __anext__(self) -> batch_pb2.ReplyBatch:
        item = await self.replies.get()
        if item is END:
            raise StopAsyncIteration
        if isinstance(item, BaseException):
            raise item
        return item

    async def write(self, batch: batch_pb2.CallBatch) -> None:
        self.written.append(batch)
        self.activity.set()

    @property
    def tags(self) -> list[list[int]]:
        return [[call.tag for call in batch.calls] for batch in self.written]

    def reply(self, *tags: int) -> None:
        self.replies.put_nowait(
            batch_pb2.ReplyBatch(
                replies=[
                    batch_pb2.Reply(tag=t, command=rpc_pb2.CommandResponse(error_msg=f"for {t}"))
                    for t in tags
                ]
            )
        )


class FakeStub:
    def __init__(self) -> None:
        self.opened: list[FakeStream] = []
        self.activity = asyncio.Event()

    def Calls(self, metadata=()) -> FakeStream:
        stream = FakeStream(self.activity)
        stream.metadata = metadata
        self.opened.append(stream)
        self.activity.set()
        return stream


class FakeChannel:
    def stream_stream(self, *args, **kwargs):
        return None  # replaced by FakeStub.Calls


def batch_stream(metadata=()) -> tuple[BatchStream, FakeStub]:
    stream, stub = BatchStream(FakeChannel(), metadata), FakeStub()
    stream._stub = stub
    return stream, stub


def call(sid: str) -> batch_pb2.Call:
    return batch_pb2.Call(sid=sid, command=rpc_pb2.CommandMessage(command="message"))


def later(seconds: float) -> float:
    return asyncio.get_running_loop().time() + seconds


async def until(stub: FakeStub, condition, within: float = 1.0) -> None:
    """Until `condition()` holds, checked after each stream opened or batch written."""
    async with asyncio.timeout(within):
        while not condition():
            stub.activity.clear()
            await stub.activity.wait()


def assert_nothing_kept(stream: BatchStream) -> None:
    assert stream._waiting == {}
    assert stream._deadlines == {}
    assert stream._outbox == []


async def test_calls_made_together_go_in_one_batch():
    stream, stub = batch_stream()
    tasks = [asyncio.create_task(stream.call(call(f"s{n}"), later(5))) for n in range(5)]
    await until(stub, lambda: stub.opened and stub.opened[0].written)
    await asyncio.sleep(0.01)  # nothing else is written
    (opened,) = stub.opened
    assert opened.tags == [[1, 2, 3, 4, 5]]
    assert [c.sid for c in opened.written[0].calls] == [f"s{n}" for n in range(5)]
    assert opened.written[0].calls[0].command.command == "message"
    opened.reply(1, 2, 3, 4, 5)
    replies = await asyncio.gather(*tasks)
    assert [r.tag for r in replies] == [1, 2, 3, 4, 5]
    assert_nothing_kept(stream)
    await stream.close()


async def test_under_load_a_batch_holds_at_most_max_calls(monkeypatch):
    monkeypatch.setattr(batch_module, "MAX_CALLS", 4)
    stream, stub = batch_stream()
    n = 10
    tasks = [asyncio.create_task(stream.call(call(str(i)), later(5))) for i in range(n)]
    await until(stub, lambda: stub.opened and sum(map(len, stub.opened[0].tags)) == n)
    tags = stub.opened[0].tags
    assert len(tags) <= math.ceil(n / 4)
    assert all(len(batch) <= 4 for batch in tags)
    assert [t for batch in tags for t in batch] == list(range(1, n + 1))  # in order, each once
    stub.opened[0].reply(*range(1, n + 1))
    assert len(await asyncio.gather(*tasks)) == n
    assert_nothing_kept(stream)
    await stream.close()


async def test_replies_reach_their_callers_by_tag_even_out_of_order():
    stream, stub = batch_stream()
    tasks = [asyncio.create_task(stream.call(call(s), later(5))) for s in "abc"]
    await until(stub, lambda: stub.opened and stub.opened[0].written)
    opened = stub.opened[0]
    opened.reply(3, 999)  # an unknown tag is ignored
    opened.reply(1)
    opened.reply(2)
    a, b, c = await asyncio.gather(*tasks)
    assert [(r.tag, r.command.error_msg) for r in (a, b, c)] == [
        (1, "for 1"),
        (2, "for 2"),
        (3, "for 3"),
    ]
    opened.reply(1)  # a late duplicate breaks nothing
    await asyncio.sleep(0.01)
    assert_nothing_kept(stream)
    assert not stream._task.done()
    await stream.close()


async def test_a_call_past_its_deadline_fails_within_a_sweep(monkeypatch):
    """DEADLINE_EXCEEDED about SWEEP_INTERVAL after the deadline; other calls unaffected."""
    monkeypatch.setattr(batch_module, "SWEEP_INTERVAL", 0.01)
    stream, stub = batch_stream()
    patient = asyncio.create_task(stream.call(call("patient"), later(5)))
    await asyncio.sleep(0)  # the patient call is tag 1
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(StreamError) as failure:
        await stream.call(call("hasty"), started + 0.05)
    elapsed = loop.time() - started
    assert failure.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert 0.05 <= elapsed < 0.05 + 0.01 + 0.05
    assert not patient.done()
    assert list(stream._waiting) == [1]
    stub.opened[0].reply(2, 1)  # the late reply to the expired call is dropped
    assert (await patient).tag == 1
    assert_nothing_kept(stream)
    await stream.close()


async def test_the_default_sweep_fails_a_call_soon_after_its_deadline():
    stream, _ = batch_stream()
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(StreamError) as failure:
        await stream.call(call("s"), started + 0.02)
    assert failure.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert loop.time() - started < 0.02 + batch_module.SWEEP_INTERVAL + 0.05
    assert_nothing_kept(stream)
    await stream.close()


async def test_expired_calls_do_not_keep_each_others_frames(monkeypatch):
    """Each expired call's error stands alone: its traceback does not grow with every
    earlier expiry on the stream (which would keep all their frames and requests alive)."""
    monkeypatch.setattr(batch_module, "SWEEP_INTERVAL", 0.005)
    stream, _ = batch_stream()
    depths = []
    for n in range(4):
        with pytest.raises(StreamError) as failure:
            await stream.call(call(f"s{n}"), later(0.005))
        depths.append(len(traceback.extract_tb(failure.value.__traceback__)))
    await stream.close()
    assert depths[-1] == depths[0], f"traceback depths {depths}: one shared, growing error"


async def test_when_the_stream_ends_waiting_calls_fail_unavailable():
    stream, stub = batch_stream()
    tasks = [asyncio.create_task(stream.call(call(s), later(5))) for s in "ab"]
    await until(stub, lambda: stub.opened and stub.opened[0].written)
    stub.opened[0].replies.put_nowait(END)
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert [(type(r), r.code()) for r in results] == [
        (StreamError, grpc.StatusCode.UNAVAILABLE)
    ] * 2
    assert stream.unsupported is False
    assert_nothing_kept(stream)
    await stream.close()


def rpc_error(code: grpc.StatusCode) -> grpc.aio.AioRpcError:
    return grpc.aio.AioRpcError(code, grpc.aio.Metadata(), grpc.aio.Metadata(), details="x")


async def test_no_batch_service_fails_waiting_calls_unimplemented():
    stream, stub = batch_stream()
    tasks = [asyncio.create_task(stream.call(call(s), later(5))) for s in "ab"]
    await until(stub, lambda: stub.opened and stub.opened[0].written)
    stub.opened[0].replies.put_nowait(rpc_error(grpc.StatusCode.UNIMPLEMENTED))
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert [r.code() for r in results] == [grpc.StatusCode.UNIMPLEMENTED] * 2
    assert stream.unsupported is True
    assert_nothing_kept(stream)
    await stream.close()


async def test_the_stream_opens_with_the_secret_and_a_refusal_is_said_as_it_was():
    """The secret rides on the stream's opening (once for all its calls); rpc_app's
    UNAUTHENTICATED reaches the callers as such, not as a broken stream to retry."""
    secret = (("authorization", "Bearer s"),)
    stream, stub = batch_stream(secret)
    tasks = [asyncio.create_task(stream.call(call(s), later(5))) for s in "ab"]
    await until(stub, lambda: stub.opened and stub.opened[0].written)
    assert stub.opened[0].metadata == secret
    stub.opened[0].replies.put_nowait(rpc_error(grpc.StatusCode.UNAUTHENTICATED))
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert [r.code() for r in results] == [grpc.StatusCode.UNAUTHENTICATED] * 2
    assert_nothing_kept(stream)
    await stream.close()


@pytest.mark.parametrize(
    "code",
    [
        grpc.StatusCode.INTERNAL,
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.CANCELLED,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
    ],
)
async def test_another_stream_error_fails_waiting_calls_unavailable(code):
    """They may or may not have been served: UNAVAILABLE, which the client retries."""
    stream, stub = batch_stream()
    task = asyncio.create_task(stream.call(call("a"), later(5)))
    await until(stub, lambda: stub.opened and stub.opened[0].written)
    stub.opened[0].replies.put_nowait(rpc_error(code))
    with pytest.raises(StreamError) as failure:
        await task
    assert failure.value.code() == grpc.StatusCode.UNAVAILABLE
    assert code.name in failure.value.details()
    assert stream.unsupported is False
    assert_nothing_kept(stream)
    await stream.close()


async def test_the_next_call_after_a_broken_stream_opens_a_new_one():
    stream, stub = batch_stream()
    first = asyncio.create_task(stream.call(call("a"), later(5)))
    await until(stub, lambda: stub.opened and stub.opened[0].written)
    stub.opened[0].replies.put_nowait(rpc_error(grpc.StatusCode.UNAVAILABLE))
    with pytest.raises(StreamError):
        await first
    second = asyncio.create_task(stream.call(call("b"), later(5)))
    await until(stub, lambda: len(stub.opened) == 2 and stub.opened[1].written)
    old, new = stub.opened
    assert old.tags == [[1]]
    assert new.tags == [[2]]
    new.reply(2)
    assert (await second).tag == 2
    assert_nothing_kept(stream)
    await stream.close()


async def test_close_cancels_the_tasks_and_fails_waiting_calls():
    stream, stub = batch_stream()
    waiting = asyncio.create_task(stream.call(call("a"), later(5)))
    await until(stub, lambda: stub.opened and stub.opened[0].written)
    reader, sweeper = stream._task, stream._sweeper
    await stream.close()
    assert reader.cancelled()
    assert sweeper.cancelled()
    with pytest.raises(StreamError) as failure:
        await asyncio.wait_for(waiting, 1)
    assert failure.value.code() == grpc.StatusCode.UNAVAILABLE
    assert_nothing_kept(stream)
    await stream.close()  # twice is harmless


async def test_a_cancelled_caller_leaves_nothing_behind():
    stream, stub = batch_stream()
    task = asyncio.create_task(stream.call(call("a"), later(5)))
    await until(stub, lambda: stub.opened and stub.opened[0].written)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert_nothing_kept(stream)
    stub.opened[0].reply(1)  # its reply, if it comes, is dropped
    await asyncio.sleep(0.01)
    assert not stream._task.done()
    await stream.close()


async def test_many_calls_of_every_outcome_leave_nothing_waiting(monkeypatch):
    """Answered, expired, or failed with the stream: no entry is kept for any of them."""
    monkeypatch.setattr(batch_module, "SWEEP_INTERVAL", 0.005)
    stream, stub = batch_stream()
    answered = [asyncio.create_task(stream.call(call("ok"), later(5))) for _ in range(50)]
    expiring = [asyncio.create_task(stream.call(call("late"), later(0.01))) for _ in range(50)]
    await until(stub, lambda: stub.opened and sum(map(len, stub.opened[0].tags)) == 100)
    stub.opened[0].reply(*range(1, 51))
    assert len(await asyncio.gather(*answered)) == 50
    expired = await asyncio.gather(*expiring, return_exceptions=True)
    assert {r.code() for r in expired} == {grpc.StatusCode.DEADLINE_EXCEEDED}
    broken = [asyncio.create_task(stream.call(call("broken"), later(5))) for _ in range(50)]
    await until(stub, lambda: sum(map(len, stub.opened[0].tags)) == 150)
    stub.opened[0].replies.put_nowait(END)
    failed = await asyncio.gather(*broken, return_exceptions=True)
    assert {r.code() for r in failed} == {grpc.StatusCode.UNAVAILABLE}
    assert_nothing_kept(stream)
    await stream.close()
