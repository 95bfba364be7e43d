"""The in-process transport (`ocpp-cable up`): the servicer's method awaited directly,
with the same messages, deadline and failure codes as a gRPC call."""

from __future__ import annotations

import asyncio

import pytest
from structlog.testing import capture_logs

from ocpp_cable.contract.pb import rpc_pb2
from ocpp_cable.gateway.metrics import PREFIX
from ocpp_cable.gateway.rpc import RPCClient, RPCError, Status
from ocpp_cable.gateway.rpc.results import new_env


class Servicer:
    """AnyCable's three methods, each answered by `answer` (a coroutine function)."""

    def __init__(self, answer) -> None:
        self.answer = answer
        self.requests: list[tuple[str, object, object]] = []

    async def Connect(self, request, context):
        self.requests.append(("Connect", request, context))
        return await self.answer(request)

    async def Command(self, request, context):
        self.requests.append(("Command", request, context))
        return await self.answer(request)

    async def Disconnect(self, request, context):
        self.requests.append(("Disconnect", request, context))
        return await self.answer(request)


def sample(rpc: RPCClient, metric: str, **labels) -> float | None:
    return rpc.metrics.registry.get_sample_value(f"{PREFIX}_{metric}", labels)


async def test_a_command_is_the_servicers_answer_with_its_state_changes():
    async def answer(request):
        return rpc_pb2.CommandResponse(
            status=rpc_pb2.SUCCESS,
            transmissions=['{"command":"Ack","id":"m1","payload":{}}'],
            env=rpc_pb2.EnvResponse(istate={"seen": "1"}),
        )

    servicer = Servicer(answer)
    rpc = RPCClient("127.0.0.1:1", timeout=1.0, local=servicer)
    assert rpc.in_process and not rpc.batching
    env = new_env("ws://h/ocpp/CP-1", {})
    result = await rpc.command("sid-1", "message", '{"channel":"C"}', "{}", env, '{"a":1}')
    await rpc.close()
    assert result.status is Status.SUCCESS
    assert result.transmissions == ['{"command":"Ack","id":"m1","payload":{}}']
    assert dict(env.istate) == {"seen": "1"}
    [(method, request, context)] = servicer.requests
    assert (method, request.command, request.data) == ("Command", "message", '{"a":1}')
    assert context is None
    assert sample(rpc, "rpc_calls_total", method="Command", status="SUCCESS") == 1


async def test_a_servicer_slower_than_the_deadline_fails_the_call_by_it():
    async def answer(request):
        await asyncio.sleep(5)

    rpc = RPCClient("127.0.0.1:1", timeout=0.1, local=Servicer(answer))
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(RPCError) as failure:
        await rpc.connect("sid-1", "ws://h/ocpp/CP-1", {})
    await rpc.close()
    assert loop.time() - started == pytest.approx(0.1, abs=0.08)
    assert failure.value.code == "DEADLINE_EXCEEDED"
    assert sample(rpc, "rpc_errors_total", method="Connect", code="DEADLINE_EXCEEDED") == 1
    assert sample(rpc, "rpc_in_flight") == 0


async def test_a_fault_of_the_servicer_fails_the_call_as_grpc_would_and_is_logged():
    """Never a silent answer: the gateway sees a failed call (its station a CALLERROR)."""

    async def answer(request):
        raise KeyError("broken")

    rpc = RPCClient("127.0.0.1:1", timeout=1.0, local=Servicer(answer))
    with capture_logs() as logs, pytest.raises(RPCError) as failure:
        await rpc.disconnect("sid-1", "{}", [], new_env("ws://h/ocpp/CP-1", {}))
    await rpc.close()
    assert failure.value.code == "UNKNOWN"
    assert [e["event"] for e in logs] == ["in-process RPC failed"]
    assert sample(rpc, "rpc_errors_total", method="Disconnect", code="UNKNOWN") == 1


async def test_the_concurrency_limit_holds_for_calls_in_this_process_too():
    release = asyncio.Event()
    entered = 0

    async def answer(request):
        nonlocal entered
        entered += 1
        await release.wait()
        return rpc_pb2.CommandResponse(status=rpc_pb2.SUCCESS)

    rpc = RPCClient("127.0.0.1:1", timeout=2.0, concurrency=2, local=Servicer(answer))
    env = new_env("ws://h/ocpp/CP-1", {})
    calls = [
        asyncio.create_task(rpc.command(f"s{i}", "message", "{}", "{}", env, "{}"))
        for i in range(3)
    ]
    await asyncio.sleep(0.05)
    assert entered == 2
    release.set()
    assert [r.status for r in await asyncio.gather(*calls)] == [Status.SUCCESS] * 3
    await rpc.close()
