"""The gateway's sockets on their own: a station's and a browser's, each built from the
narrow context its node gives it (gateway/contexts.py), with fakes for every part."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from websockets.protocol import State

from ocpp_cable.contract import transmissions
from ocpp_cable.foundation.settings import GatewaySettings
from ocpp_cable.gateway.admission import Admission
from ocpp_cable.gateway.cable.session import CableConfig
from ocpp_cable.gateway.cable.socket import BrowserAdmission, CableSocket
from ocpp_cable.gateway.contexts import BrowserContext, StationContext
from ocpp_cable.gateway.hub import StreamHub
from ocpp_cable.gateway.metrics import GatewayMetrics
from ocpp_cable.gateway.ocpp.session import SessionConfig
from ocpp_cable.gateway.rpc import CommandResult, RPCError, Status
from ocpp_cable.gateway.rpc.results import DisconnectResult, new_env
from ocpp_cable.gateway.station import CLOSE_INTERNAL, CLOSE_POLICY, StationSocket
from ocpp_cable.ocppj.versions import OCPP16


class FakeWebSocket:
    """Frames in (then the peer goes away), frames and the close out."""

    def __init__(self, frames: list[str]) -> None:
        self.frames = list(frames)
        self.sent: list[str] = []
        self.closed: tuple[int, str] | None = None
        self.close_code: int | None = None
        self.state = State.OPEN

    def __aiter__(self):
        return self

    async def __anext__(self) -> str:
        await asyncio.sleep(0)
        if not self.frames or self.closed is not None:
            raise StopAsyncIteration
        return self.frames.pop(0)

    # No transport: frames go through `send`, as to a connection past its write limit.
    transport = None

    async def send(self, message: str | bytes, text: bool | None = None) -> None:
        self.sent.append(message if isinstance(message, str) else message.decode())

    async def close(self, code: int = 1000, reason: str = "") -> None:
        if self.closed is None:
            self.closed = (code, reason)
            self.close_code = code
            self.state = State.CLOSED


class FakeRPC:
    """rpc_app as the sockets see it: each Command answered by `answer(command, data)`."""

    def __init__(self, answer=None) -> None:
        self.answer = answer or (lambda command, data: ok())
        self.commands: list[tuple[str, str, Any]] = []
        self.admitting: list[bool] = []  # per command: made in the handshakes' share
        self.disconnects: list[list[str]] = []

    async def command(
        self, sid, command, identifier, identifiers, env, data="", istate=None,
        admitting_until=None,
    ):  # fmt: skip
        self.commands.append((command, identifier, orjson.loads(data) if data else None))
        self.admitting.append(admitting_until is not None)
        return self.answer(command, data)

    async def disconnect(self, sid, identifiers, subscriptions, env, within=None, istates=None):
        self.disconnects.append(subscriptions)
        return DisconnectResult(Status.SUCCESS, "")


class FakeDisconnects:
    async def deliver(self, call, log_as) -> bool:
        await call(None)
        return True


class FakeRegistry:
    def __init__(self) -> None:
        self.forgotten: list[Any] = []
        self.claims: list[str | None] = []

    def __contains__(self, station_id: object) -> bool:
        return False

    def claim(self, station, sn) -> None:
        self.claims.append(sn)

    def forget(self, station) -> None:
        self.forgotten.append(station)


def ok(*sent: dict) -> CommandResult:
    return CommandResult(
        Status.SUCCESS,
        "",
        [transmissions.encode_transmission(t) for t in sent],
        [],
        [],
        False,
        False,
    )


def station_context(rpc: FakeRPC, registry: FakeRegistry) -> StationContext:
    return StationContext(
        settings=GatewaySettings(),
        session_config=SessionConfig(),
        metrics=GatewayMetrics(),
        rpc=rpc,  # type: ignore[arg-type]
        hub=StreamHub(),
        disconnects=FakeDisconnects(),  # type: ignore[arg-type]
        stations=registry,
        drain_deadline=lambda: None,
    )


def station(frames: list[str], rpc: FakeRPC, registry: FakeRegistry) -> StationSocket:
    env = new_env("ws://gw/ocpp/CP-1", {})
    admission = Admission("CP-1", "sid-1", '{"station_id":"CP-1"}', env, [], OCPP16, "ocpp1.6")
    return StationSocket(FakeWebSocket(frames), admission, station_context(rpc, registry))


BOOT = orjson.dumps(
    [2, "b1", "BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"}]
).decode()


async def test_a_station_subscribes_performs_its_calls_and_answers_with_the_apps_ack():
    def answer(command, data):
        if command == "message":
            return ok(transmissions.ack_for_station("b1", {"status": "Accepted", "interval": 60,
                                               "currentTime": "2026-12-07T00:00:00Z"}))  # fmt: skip
        return ok()

    rpc, registry = FakeRPC(answer), FakeRegistry()
    socket = station([BOOT], rpc, registry)
    await socket.run()
    (subscribe, identifier, _), (message, _, data) = rpc.commands
    assert (subscribe, message) == ("subscribe", "message")
    assert orjson.loads(identifier)["station_id"] == "CP-1"
    assert (data["command"], data["id"]) == ("BootNotification", "b1")
    # The subscribe finishes the admission (a handshake's slot); the boot is a call.
    assert rpc.admitting == [True, False]
    (reply,) = [orjson.loads(frame) for frame in socket.ws.sent]
    assert reply[:2] == [3, "b1"] and reply[2]["status"] == "Accepted"
    # The peer went away: its Disconnect names its subscription, the node forgets it.
    assert rpc.disconnects == [[identifier]]
    assert registry.forgotten == [socket] and socket.finished.is_set()


async def test_a_station_whose_subscription_is_refused_is_closed_by_policy():
    rpc, registry = FakeRPC(lambda command, data: CommandResult(
        Status.FAILURE, "no", [], [], [], False, False)), FakeRegistry()  # fmt: skip
    socket = station([BOOT], rpc, registry)
    await socket.run()
    assert socket.ws.closed == (CLOSE_POLICY, "subscription rejected")
    assert [c[0] for c in rpc.commands] == ["subscribe"]  # its boot was never performed
    assert rpc.disconnects == [[]] and registry.forgotten == [socket]


async def test_a_station_whose_application_is_unreachable_is_closed_as_an_internal_error():
    def unreachable(command, data):
        raise RPCError("UNAVAILABLE", "rpc_app is down")

    rpc, registry = FakeRPC(unreachable), FakeRegistry()
    socket = station([BOOT], rpc, registry)
    await socket.run()
    assert socket.ws.closed == (CLOSE_INTERNAL, "application unavailable")
    assert socket.ws.sent == [] and registry.forgotten == [socket]


async def test_a_browser_is_welcomed_subscribes_and_is_forgotten_when_it_leaves():
    rpc, forgotten = FakeRPC(lambda command, data: ok(
        transmissions.confirmation('{"channel":"StationsChannel"}'))), []  # fmt: skip
    context = BrowserContext(
        cable_config=CableConfig(),
        send_queue=16,
        metrics=GatewayMetrics(),
        rpc=rpc,  # type: ignore[arg-type]
        hub=StreamHub(),
        disconnects=FakeDisconnects(),  # type: ignore[arg-type]
        forget=forgotten.append,
    )
    subscribe = orjson.dumps(
        {"command": "subscribe", "identifier": '{"channel":"StationsChannel"}'}
    ).decode()
    ws = FakeWebSocket([subscribe])
    admission = BrowserAdmission(
        sid="sid-b", identifiers='{"viewer":"ada"}', env=new_env("ws://gw/cable", {}),
        transmissions=[transmissions.encode_transmission(transmissions.welcome())], accepted=True,
    )  # fmt: skip
    browser = CableSocket(ws, admission, context)  # type: ignore[arg-type]
    await browser.run()
    assert [c[:2] for c in rpc.commands] == [("subscribe", '{"channel":"StationsChannel"}')]
    sent = [orjson.loads(frame) for frame in ws.sent]
    assert sent[0]["type"] == "welcome"
    assert {"identifier": '{"channel":"StationsChannel"}', "type": "confirm_subscription"} in sent
    assert rpc.disconnects == [['{"channel":"StationsChannel"}']]
    assert forgotten == [browser] and browser.finished.is_set()


class FakeTransport:
    """A socket's transport that, like uvloop's, refuses a write once it is closing."""

    def __init__(self, limit: int = 100) -> None:
        self.limit, self.buffered, self.written = limit, 0, []
        self.closing = False

    def get_write_buffer_limits(self) -> tuple[int, int]:
        return 0, self.limit

    def get_write_buffer_size(self) -> int:
        return self.buffered

    def is_closing(self) -> bool:
        return self.closing

    def write(self, data: bytes) -> None:
        if self.closing:
            raise RuntimeError("unable to perform operation: the handler is closed")
        self.written.append(data)

    def abort(self) -> None:
        self.closing = True


class FakeProtocol:
    extensions: list = []


def wired_browser(transport: FakeTransport) -> tuple[CableSocket, FakeWebSocket]:
    ws = FakeWebSocket([])
    ws.transport, ws.protocol = transport, FakeProtocol()  # type: ignore[assignment]
    context = BrowserContext(
        cable_config=CableConfig(), send_queue=2, metrics=GatewayMetrics(), rpc=FakeRPC(),  # type: ignore[arg-type]
        hub=StreamHub(), disconnects=FakeDisconnects(), forget=lambda _: None,  # type: ignore[arg-type]
    )  # fmt: skip
    admission = BrowserAdmission(
        sid="sid-w", accepted=True, identifiers="{}", env=new_env("ws://gw/cable", {}),
        transmissions=[],
    )  # fmt: skip
    return CableSocket(ws, admission, context), ws  # type: ignore[arg-type]


async def test_a_browser_frame_is_written_at_once_until_the_buffer_passes_the_limit():
    """Under the write limit the whole frame goes to the transport at once; past it,
    frames wait in the outbox for the writer's send, in order, and a full outbox drops
    the browser."""
    transport = FakeTransport(limit=100)
    browser, ws = wired_browser(transport)
    browser.push('{"n":1}')
    assert transport.written == [b'\x81\x07{"n":1}']
    transport.buffered = 101
    browser.push('{"n":2}')
    browser.push('{"n":3}')
    assert len(transport.written) == 1 and ws.sent == []
    browser.push('{"n":4}')  # the outbox holds 2: this browser is too slow
    assert transport.closing
    assert browser.context.metrics.browsers_dropped._value.get() == 1


async def test_nothing_is_written_to_a_browser_whose_connection_is_closing():
    """A browser dropped (its transport aborted) in the middle of a fan-out takes no more
    frames, and the fan-out goes on: no write to the closed transport raises."""
    transport = FakeTransport()
    browser, ws = wired_browser(transport)
    transport.abort()
    browser.push('{"n":1}')
    ws.state = State.CLOSING
    browser.push('{"n":2}')
    assert transport.written == [] and ws.sent == []
