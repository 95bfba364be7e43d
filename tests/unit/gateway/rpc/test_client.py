"""RPCClient without gRPC servers: which errors are retried, the one deadline, the unary
fallback, the concurrency limit, and the plain results Connect/Command/Disconnect give."""

from __future__ import annotations

import asyncio

import grpc
import orjson
import pytest

import ocpp_cable.gateway.rpc.client as client_module
from ocpp_cable.contract.pb import rpc_pb2
from ocpp_cable.gateway.metrics import PREFIX
from ocpp_cable.gateway.rpc import (
    ClientGone,
    CommandResult,
    ConnectResult,
    DisconnectResult,
    HandshakeQueuedTooLong,
    HandshakesQueueFull,
    Kind,
    RPCClient,
    RPCError,
    Status,
)
from ocpp_cable.gateway.rpc.batch_stream import StreamError
from ocpp_cable.gateway.rpc.results import new_env

OK = rpc_pb2.CommandResponse(status=rpc_pb2.SUCCESS)
Code = grpc.StatusCode


class FakeEndpoint:
    def __init__(self, name: str) -> None:
        self.name = name
        self.failures = 0
        self.calls = 0

    def __enter__(self) -> FakeEndpoint:
        self.calls += 1
        return self

    def __exit__(self, *_) -> None:
        self.calls -= 1

    def failed(self) -> None:
        self.failures += 1

    def __repr__(self) -> str:
        return self.name


class FakeEndpoints:
    """Round robin over fake endpoints; closing it closes the client's real (unused) ones."""

    def __init__(self, real, n: int) -> None:
        self.real = real
        self.all = [FakeEndpoint(f"e{i}") for i in range(n)]
        self.picked: list[FakeEndpoint] = []

    def pick(self) -> FakeEndpoint:
        endpoint = self.all[len(self.picked) % len(self.all)]
        self.picked.append(endpoint)
        return endpoint

    async def close(self) -> None:
        await self.real.close()


class Transport:
    """Answers from a script: an exception is raised, a coroutine function awaited, else
    returned; the last step repeats."""

    def __init__(self, *script, batching: bool = False) -> None:
        self.script = list(script)
        self.batching = batching
        self.calls: list[tuple] = []

    async def call(self, endpoint, method, request, sid, deadline):
        self.calls.append((endpoint, method, request, sid, deadline))
        step = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        if isinstance(step, BaseException):
            raise step
        if callable(step):
            return await step()
        return step


def client(transport: Transport, timeout: float = 2.0, endpoints: int = 2, **kw) -> RPCClient:
    rpc = RPCClient("127.0.0.1:1", timeout=timeout, **kw)
    rpc._endpoints = FakeEndpoints(rpc._endpoints, endpoints)
    rpc._transport = transport
    return rpc


def sample(rpc: RPCClient, metric: str, **labels) -> float | None:
    return rpc.metrics.registry.get_sample_value(f"{PREFIX}_{metric}", labels)


def error(code: grpc.StatusCode, details: str = "scripted") -> StreamError:
    return StreamError(code, details)


@pytest.fixture(autouse=True)
def short_backoff(monkeypatch):
    monkeypatch.setattr(client_module, "FIRST_BACKOFF", 0.005)


async def test_unavailable_is_retried_on_the_next_endpoint_which_is_marked_failed():
    transport = Transport(error(Code.UNAVAILABLE), error(Code.UNAVAILABLE), OK)
    rpc = client(transport)
    response = await rpc._call("Command", rpc_pb2.CommandMessage(), "sid-1")
    await rpc.close()
    assert response is OK
    e0, e1 = rpc._endpoints.all
    assert rpc._endpoints.picked == [e0, e1, e0]
    assert (e0.failures, e1.failures) == (1, 1)
    assert (e0.calls, e1.calls) == (0, 0)  # every `with endpoint` was left
    assert [c[3] for c in transport.calls] == ["sid-1"] * 3
    assert len({c[4] for c in transport.calls}) == 1  # one deadline for all attempts
    assert sample(rpc, "rpc_retries_total", method="Command", code="UNAVAILABLE") == 2
    assert sample(rpc, "rpc_calls_total", method="Command", status="SUCCESS") == 1
    assert sample(rpc, "rpc_in_flight") == 0


async def test_resource_exhausted_is_retried_without_marking_the_endpoint_failed():
    transport = Transport(error(Code.RESOURCE_EXHAUSTED), OK)
    rpc = client(transport)
    assert await rpc._call("Command", rpc_pb2.CommandMessage(), "s") is OK
    await rpc.close()
    assert len(transport.calls) == 2
    assert [e.failures for e in rpc._endpoints.all] == [0, 0]
    assert sample(rpc, "rpc_retries_total", method="Command", code="RESOURCE_EXHAUSTED") == 1


async def test_cancelled_is_treated_as_unavailable():
    """A replica that stopped under the call: retried, and its endpoint marked failed."""
    transport = Transport(error(Code.CANCELLED), OK)
    rpc = client(transport)
    assert await rpc._call("Command", rpc_pb2.CommandMessage(), "s") is OK
    await rpc.close()
    assert len(transport.calls) == 2
    assert rpc._endpoints.all[0].failures == 1
    assert sample(rpc, "rpc_retries_total", method="Command", code="UNAVAILABLE") == 1
    assert sample(rpc, "rpc_retries_total", method="Command", code="CANCELLED") is None


async def test_cancelled_to_the_end_fails_as_unavailable():
    rpc = client(Transport(error(Code.CANCELLED, "stopped")), timeout=0.1)
    with pytest.raises(RPCError) as failure:
        await rpc._call("Command", rpc_pb2.CommandMessage(), "s")
    await rpc.close()
    assert (failure.value.code, failure.value.details) == ("UNAVAILABLE", "stopped")


@pytest.mark.parametrize(
    "raised",
    [
        error(Code.INVALID_ARGUMENT, "bad request"),
        error(Code.INTERNAL, "bad request"),
        error(Code.DEADLINE_EXCEEDED, "bad request"),
        error(Code.PERMISSION_DENIED, "bad request"),
        error(Code.UNIMPLEMENTED, "bad request"),  # on a unary transport: nothing to fall back to
        grpc.aio.AioRpcError(
            Code.INTERNAL, grpc.aio.Metadata(), grpc.aio.Metadata(), details="bad request"
        ),
    ],
    ids=lambda e: f"{type(e).__name__}-{e.code().name}",
)
async def test_other_codes_fail_at_once_without_retry(raised):
    transport = Transport(raised, OK)
    rpc = client(transport)
    with pytest.raises(RPCError) as failure:
        await rpc._call("Connect", rpc_pb2.ConnectionRequest(), "s")
    await rpc.close()
    name = raised.code().name
    assert (failure.value.code, failure.value.details) == (name, "bad request")
    assert len(transport.calls) == 1
    assert [e.failures for e in rpc._endpoints.all] == [0, 0]
    assert sample(rpc, "rpc_errors_total", method="Connect", code=name) == 1
    assert sample(rpc, "rpc_calls_total", method="Connect", status=name) == 1
    assert sample(rpc, "rpc_retries_total", method="Connect", code=name) is None
    assert sample(rpc, "rpc_in_flight") == 0


async def test_retries_stop_at_the_deadline(monkeypatch):
    """Always UNAVAILABLE: retried with backoff, then RPCError within the call's timeout."""
    monkeypatch.setattr(client_module, "FIRST_BACKOFF", 0.05)
    transport = Transport(error(Code.UNAVAILABLE, "down"))
    rpc = client(transport, timeout=0.3)
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(RPCError) as failure:
        await rpc._call("Command", rpc_pb2.CommandMessage(), "s")
    elapsed = loop.time() - started
    await rpc.close()
    assert (failure.value.code, failure.value.details) == ("UNAVAILABLE", "down")
    assert elapsed < 0.3
    assert len(transport.calls) >= 2
    deadline = transport.calls[0][4]
    assert deadline == pytest.approx(started + 0.3, abs=0.02)
    assert all(c[4] == deadline for c in transport.calls)
    retries = sample(rpc, "rpc_retries_total", method="Command", code="UNAVAILABLE")
    assert retries == len(transport.calls) - 1
    assert sample(rpc, "rpc_errors_total", method="Command", code="UNAVAILABLE") == 1


async def test_within_shortens_the_deadline_never_lengthens_it():
    transport = Transport(rpc_pb2.DisconnectResponse(status=rpc_pb2.SUCCESS))
    rpc = client(transport, timeout=1.0)
    loop = asyncio.get_running_loop()
    now = loop.time()
    await rpc._call("Disconnect", rpc_pb2.DisconnectRequest(), "s", within=0.2)
    await rpc._call("Disconnect", rpc_pb2.DisconnectRequest(), "s", within=5.0)
    await rpc.close()
    assert transport.calls[0][4] == pytest.approx(now + 0.2, abs=0.05)
    assert transport.calls[1][4] == pytest.approx(now + 1.0, abs=0.05)


async def test_unimplemented_on_the_batch_stream_switches_to_unary_for_good(monkeypatch):
    """No Batch service: the same call is made again, unary, and every later call too."""
    unary = Transport(OK)
    monkeypatch.setattr(client_module, "UNARY", unary)
    batch = Transport(error(Code.UNIMPLEMENTED, "no Batch service"), batching=True)
    rpc = client(batch)
    assert rpc.batching is True
    request = rpc_pb2.CommandMessage(command="message")
    assert await rpc._call("Command", request, "sid-7") is OK
    assert rpc.batching is False
    assert len(batch.calls) == 1
    assert [(c[1], c[2], c[3]) for c in unary.calls] == [("Command", request, "sid-7")]
    assert unary.calls[0][4] == batch.calls[0][4]  # still the call's one deadline
    assert await rpc._call("Command", request, "sid-8") is OK
    await rpc.close()
    assert len(batch.calls) == 1
    assert len(unary.calls) == 2
    assert [e.failures for e in rpc._endpoints.all] == [0, 0]
    assert sample(rpc, "rpc_retries_total", method="Command", code="UNIMPLEMENTED") is None
    assert sample(rpc, "rpc_errors_total", method="Command", code="UNIMPLEMENTED") is None


async def test_a_call_queued_past_its_deadline_fails_and_is_counted():
    """concurrency=1: a call waiting for the slot longer than its deadline is
    DEADLINE_EXCEEDED, counted as QUEUED_TOO_LONG, and never reaches the transport."""
    release = asyncio.Event()

    async def slow():
        await release.wait()
        return OK

    transport = Transport(slow)
    rpc = client(transport, timeout=0.15, concurrency=1)
    first = asyncio.create_task(rpc._call("Command", rpc_pb2.CommandMessage(), "first"))
    await asyncio.sleep(0)
    assert len(transport.calls) == 1
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(RPCError) as failure:
        await rpc._call("Command", rpc_pb2.CommandMessage(), "second")
    assert loop.time() - started == pytest.approx(0.15, abs=0.1)
    assert failure.value.code == "DEADLINE_EXCEEDED"
    assert len(transport.calls) == 1
    assert sample(rpc, "rpc_errors_total", method="Command", code="QUEUED_TOO_LONG") == 1
    assert sample(rpc, "rpc_in_flight") == 1
    release.set()
    assert await first is OK
    # The slot is free again: the next call goes through.
    assert await rpc._call("Command", rpc_pb2.CommandMessage(), "third") is OK
    await rpc.close()
    assert [c[3] for c in transport.calls] == ["first", "third"]
    assert sample(rpc, "rpc_in_flight") == 0


async def test_a_queued_call_runs_when_the_slot_frees_in_time():
    release = asyncio.Event()

    async def slow():
        await release.wait()
        return OK

    transport = Transport(slow)
    rpc = client(transport, timeout=1.0, concurrency=1)
    calls = [asyncio.create_task(rpc._call("Command", rpc_pb2.CommandMessage(), s)) for s in "ab"]
    await asyncio.sleep(0.01)
    assert [c[3] for c in transport.calls] == ["a"]
    release.set()
    assert await asyncio.gather(*calls) == [OK, OK]
    await rpc.close()
    assert [c[3] for c in transport.calls] == ["a", "b"]
    assert sample(rpc, "rpc_errors_total", method="Command", code="QUEUED_TOO_LONG") is None


async def test_a_connect_waits_for_its_slot_past_the_rpc_timeout_within_its_handshake():
    """A handshake's Connect queues until its handshake's deadline, not the RPC timeout;
    its own deadline starts when it gets the slot."""
    release = asyncio.Event()

    async def slow():
        await release.wait()
        return rpc_pb2.ConnectionResponse(status=rpc_pb2.SUCCESS)

    transport = Transport(slow)
    rpc = client(transport, timeout=0.1, concurrency=2)
    loop = asyncio.get_running_loop()
    first = asyncio.create_task(rpc.connect("a", "ws://gw/ocpp/A", {}, loop.time() + 5))
    second = asyncio.create_task(rpc.connect("b", "ws://gw/ocpp/B", {}, loop.time() + 5))
    await asyncio.sleep(0.3)  # three RPC timeouts
    assert [c[3] for c in transport.calls] == ["a"]
    assert rpc.slots.book.waiting(Kind.CONNECT) == 1
    release.set()
    granted_at = loop.time()
    assert (await first).status is Status.SUCCESS
    assert (await second).status is Status.SUCCESS
    await rpc.close()
    assert transport.calls[1][4] == pytest.approx(granted_at + 0.1, abs=0.05)
    assert sample(rpc, "rpc_errors_total", method="Connect", code="QUEUED_TOO_LONG") is None


async def test_a_connect_queued_until_its_handshake_s_time_is_up_fails_as_such():
    release = asyncio.Event()

    async def slow():
        await release.wait()
        return rpc_pb2.ConnectionResponse(status=rpc_pb2.SUCCESS)

    rpc = client(Transport(slow), timeout=5.0, concurrency=2)
    loop = asyncio.get_running_loop()
    first = asyncio.create_task(rpc.connect("a", "ws://gw/ocpp/A", {}, loop.time() + 5))
    await asyncio.sleep(0)
    started = loop.time()
    with pytest.raises(HandshakeQueuedTooLong):
        await rpc.connect("b", "ws://gw/ocpp/B", {}, loop.time() + 0.1)
    assert loop.time() - started == pytest.approx(0.1, abs=0.05)
    assert sample(rpc, "rpc_errors_total", method="Connect", code="QUEUED_TOO_LONG") == 1
    release.set()
    await first
    await rpc.close()


async def test_a_connect_past_the_queue_bound_is_refused_at_once():
    release = asyncio.Event()

    async def slow():
        await release.wait()
        return rpc_pb2.ConnectionResponse(status=rpc_pb2.SUCCESS)

    rpc = client(Transport(slow), timeout=1.0, concurrency=2, handshake_queue=1)
    loop = asyncio.get_running_loop()
    until = loop.time() + 5
    calls = [asyncio.create_task(rpc.connect(s, "ws://gw/ocpp/X", {}, until)) for s in "ab"]
    await asyncio.sleep(0)
    with pytest.raises(HandshakesQueueFull):
        await rpc.connect("c", "ws://gw/ocpp/C", {}, until)
    assert sample(rpc, "rpc_errors_total", method="Connect", code="QUEUE_FULL") == 1
    release.set()
    await asyncio.gather(*calls)
    await rpc.close()


async def test_calls_keep_their_slots_while_connects_queue():
    release = asyncio.Event()

    async def slow():
        await release.wait()
        return rpc_pb2.ConnectionResponse(status=rpc_pb2.SUCCESS)

    class ByMethod(Transport):
        async def call(self, endpoint, method, request, sid, deadline):
            self.calls.append((endpoint, method, request, sid, deadline))
            return await slow() if method == "Connect" else OK

    rpc = client(ByMethod(), timeout=1.0, concurrency=2)
    loop = asyncio.get_running_loop()
    until = loop.time() + 5
    connects = [
        asyncio.create_task(rpc.connect(str(i), "ws://gw/ocpp/X", {}, until)) for i in range(50)
    ]
    await asyncio.sleep(0)
    assert rpc.slots.book.waiting(Kind.CONNECT) == 49
    assert await rpc._call("Command", rpc_pb2.CommandMessage(), "call") is OK
    release.set()
    await asyncio.gather(*connects)
    await rpc.close()


async def test_a_connect_whose_client_left_leaves_the_queue():
    release = asyncio.Event()

    async def slow():
        await release.wait()
        return rpc_pb2.ConnectionResponse(status=rpc_pb2.SUCCESS)

    rpc = client(Transport(slow), timeout=1.0, concurrency=2)
    loop = asyncio.get_running_loop()
    first = asyncio.create_task(rpc.connect("a", "ws://gw/ocpp/A", {}, loop.time() + 5))
    gone = loop.create_future()
    queued = asyncio.create_task(rpc.connect("b", "ws://gw/ocpp/B", {}, loop.time() + 5, gone))
    await asyncio.sleep(0)
    gone.set_result(None)
    with pytest.raises(ClientGone):
        await queued
    assert rpc.slots.book.waiting(Kind.CONNECT) == 0
    assert sample(rpc, "rpc_errors_total", method="Connect", code="CLIENT_GONE") == 1
    release.set()
    await first
    await rpc.close()


# --- the results ---------------------------------------------------------------------


async def test_command_merges_state_changes_and_returns_plain_values():
    """Changed keys are set, a key sent as "" is deleted; the result holds plain lists."""
    response = rpc_pb2.CommandResponse(
        status=rpc_pb2.SUCCESS,
        transmissions=['{"a":1}', '{"b":2}'],
        streams=["s1", "s2"],
        stopped_streams=["s0"],
        stop_streams=True,
        disconnect=False,
        env=rpc_pb2.EnvResponse(
            cstate={"kept": "", "changed": "2", "new": "n", "absent": ""},
            istate={"gone": "", "added": "w"},
        ),
    )
    transport = Transport(response)
    rpc = client(transport)
    env = new_env("ws://cs/ocpp/CP-1", {"authorization": "x"}, {"kept": "1", "changed": "1"})
    env.istate.update({"gone": "y", "stays": "v"})
    result = await rpc.command("sid-1", "message", "ident", "conn-ids", env, '{"d":1}')
    await rpc.close()
    assert result == CommandResult(
        Status.SUCCESS, "", ['{"a":1}', '{"b":2}'], ["s1", "s2"], ["s0"], True, False
    )
    assert all(type(v) is list for v in (result.transmissions, result.streams))
    assert type(result.stopped_streams) is list
    assert dict(env.cstate) == {"changed": "2", "new": "n"}
    assert dict(env.istate) == {"stays": "v", "added": "w"}
    ((_, method, sent, sid, _),) = transport.calls
    assert (method, sid) == ("Command", "sid-1")
    assert (sent.command, sent.identifier, sent.connection_identifiers, sent.data) == (
        "message",
        "ident",
        "conn-ids",
        '{"d":1}',
    )
    assert sent.env.url == "ws://cs/ocpp/CP-1"
    assert dict(sent.env.cstate) == {"kept": "1", "changed": "1"}  # what was held when sent


async def test_command_failure_keeps_its_error_message():
    response = rpc_pb2.CommandResponse(status=rpc_pb2.FAILURE, error_msg="not allowed")
    rpc = client(Transport(response))
    env = new_env("ws://cs/ocpp/CP-1", {})
    result = await rpc.command("s", "subscribe", "ident", "ids", env)
    await rpc.close()
    assert result == CommandResult(Status.FAILURE, "not allowed", [], [], [], False, False)
    assert sample(rpc, "rpc_calls_total", method="Command", status="FAILURE") == 1


async def test_disconnect_sends_the_channel_state_under_each_subscription():
    transport = Transport(rpc_pb2.DisconnectResponse(status=rpc_pb2.SUCCESS))
    rpc = client(transport)
    env = new_env("ws://cs/ocpp/CP-1", {"authorization": "x"}, {"user": "u"})
    env.istate.update({"a": "1", "b": '{"x":2}'})
    result = await rpc.disconnect("sid-9", "conn-ids", ["sub-1", "sub-2"], env)
    assert result == DisconnectResult(Status.SUCCESS, "")
    ((_, method, sent, sid, _),) = transport.calls
    assert (method, sid) == ("Disconnect", "sid-9")
    assert sent.identifiers == "conn-ids"
    assert list(sent.subscriptions) == ["sub-1", "sub-2"]
    assert set(sent.env.istate) == {"sub-1", "sub-2"}
    for identifier in ("sub-1", "sub-2"):
        assert orjson.loads(sent.env.istate[identifier]) == {"a": "1", "b": '{"x":2}'}
    assert sent.env.url == "ws://cs/ocpp/CP-1"
    assert dict(sent.env.headers) == {"authorization": "x"}
    assert dict(sent.env.cstate) == {"user": "u"}
    assert dict(env.istate) == {"a": "1", "b": '{"x":2}'}  # the held env is not changed

    transport.script = [rpc_pb2.DisconnectResponse(status=rpc_pb2.ERROR, error_msg="boom")]
    result = await rpc.disconnect("sid-9", "conn-ids", [], env)
    await rpc.close()
    assert result == DisconnectResult(Status.ERROR, "boom")
    assert dict(transport.calls[1][2].env.istate) == {}


async def test_connect_returns_the_env_with_url_headers_and_the_returned_state():
    response = rpc_pb2.ConnectionResponse(
        status=rpc_pb2.SUCCESS,
        identifiers='{"station":"CP-1"}',
        transmissions=['{"type":"welcome"}'],
        env=rpc_pb2.EnvResponse(cstate={"user": "u1"}),
    )
    transport = Transport(response)
    rpc = client(transport)
    headers = {"authorization": "Basic eA==", "REMOTE_ADDR": "10.0.0.1"}
    result = await rpc.connect("sid-2", "wss://cs/ocpp/CP-1", headers)
    assert isinstance(result, ConnectResult)
    assert (result.status, result.error, result.identifiers) == (
        Status.SUCCESS,
        "",
        '{"station":"CP-1"}',
    )
    assert result.transmissions == ['{"type":"welcome"}']
    assert type(result.transmissions) is list
    assert result.env.url == "wss://cs/ocpp/CP-1"
    assert dict(result.env.headers) == headers
    assert dict(result.env.cstate) == {"user": "u1"}
    ((_, method, sent, sid, _),) = transport.calls
    assert (method, sid) == ("Connect", "sid-2")
    assert sent.env.url == "wss://cs/ocpp/CP-1"
    assert dict(sent.env.headers) == headers

    transport.script = [rpc_pb2.ConnectionResponse(status=rpc_pb2.FAILURE, error_msg="unknown")]
    refused = await rpc.connect("sid-3", "wss://cs/ocpp/CP-2", {})
    await rpc.close()
    assert (refused.status, refused.error, refused.transmissions) == (Status.FAILURE, "unknown", [])
    assert dict(refused.env.cstate) == {}
