"""The channel framework, called over a real gRPC channel."""

import asyncio
import itertools
from dataclasses import replace

import grpc
import orjson
import pytest

from ocpp_cable.contract.pb import rpc_pb2, rpc_pb2_grpc
from ocpp_cable.contract.state import apply_changes
from ocpp_cable.rpc_app import Channel, Connection
from ocpp_cable.rpc_app.application import Application, ApplicationError, load_application
from ocpp_cable.rpc_app.state import State
from tests.support import servers
from tests.support.servers import eventually, rpc_server

IDENTIFIER = orjson.dumps({"channel": "OCPPChannel", "station_id": "CP-1"}).decode()
IDS = orjson.dumps({"station_id": "CP-1"}).decode()
META = (("protov", "v1"), ("sid", "s1"))


async def stub(port):
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    return channel, rpc_pb2_grpc.RPCStub(channel)


def env(**kw):
    return rpc_pb2.Env(url="ws://h/ocpp/CP-1", **kw)


async def command(name: str, identifier: str = IDENTIFIER, data: dict | None = None):
    """One Command over a real gRPC channel to a fresh rpc_app with the test channels."""
    async with rpc_server() as (_, port, _):
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            return await rpc_pb2_grpc.RPCStub(channel).Command(
                rpc_pb2.CommandMessage(
                    command=name,
                    identifier=identifier,
                    connection_identifiers=IDS,
                    data=orjson.dumps(data).decode() if data is not None else "",
                    env=env(),
                ),
                metadata=META,
            )


def perform(action: str, command_name: str, payload: dict | None = None) -> dict:
    return {"action": action, "command": command_name, "id": "m1", "payload": payload or {}}


async def test_unknown_channel_is_rejected():
    response = await command("subscribe", identifier='{"channel":"NoSuchChannel"}')
    assert response.status == rpc_pb2.FAILURE
    assert "NoSuchChannel" in response.error_msg


async def test_subscribe_streams_for_station():
    response = await command("subscribe")
    assert response.status == rpc_pb2.SUCCESS
    assert list(response.streams) == ["ocpp:CP-1"]


async def test_undefined_action_transmits_not_supported():
    response = await command("message", data=perform("get_log", "GetLog"))
    assert response.status == rpc_pb2.SUCCESS
    (transmission,) = [orjson.loads(t)["message"] for t in response.transmissions]
    assert transmission["command"] == "Error"
    assert transmission["error_code"] == "NotSupported"
    assert transmission["id"] == "m1"


async def test_framework_methods_are_not_actions():
    # A frame must not reach e.g. `transmit` or `stop_all_streams` as an action.
    response = await command("message", data=perform("stop_all_streams", "X"))
    assert not response.stop_streams
    assert orjson.loads(response.transmissions[0])["message"]["error_code"] == "NotSupported"


async def test_exception_is_status_error_without_transmissions():
    data = perform("data_transfer", "DataTransfer", {"vendorId": "crash"})
    response = await command("message", data=data)
    assert response.status == rpc_pb2.ERROR
    assert "RuntimeError: boom" in response.error_msg
    assert list(response.transmissions) == []


def test_state_records_changes_and_deletions():
    state = State({"a": "1", "b": '"x"'})
    assert state["a"] == 1 and state["b"] == "x"
    state["c"] = {"n": [1, 2]}
    del state["a"]
    changes = state.changes()
    assert changes == {"c": '{"n":[1,2]}', "a": ""}
    held = {"a": "1", "b": '"x"'}
    apply_changes(held, changes)
    assert held == {"b": '"x"', "c": '{"n":[1,2]}'}


def test_channel_names_and_streams():
    class OCPPChannel(Channel):
        pass

    class ChargePointStatusChannel(Channel):
        pass

    assert OCPPChannel.channel_name() == "ocpp"
    assert ChargePointStatusChannel.channel_name() == "charge_point_status"
    assert OCPPChannel.broadcasting_for("CP-1") == "ocpp:CP-1"


def test_connection_identifiers_read_as_attributes():
    from ocpp_cable.rpc_app.env import RequestEnv

    connection = Connection(RequestEnv("ws://h/ocpp/CP%2F1"), {"station_id": "x"})
    assert connection.station_id == "x"
    assert connection.env.station_id == "CP/1"
    with pytest.raises(AttributeError):
        _ = connection.nothing


def test_the_shipped_channels_module_loads():
    app = load_application("ocpp_cable.channels")
    assert "OCPPChannel" in app.channels
    assert {"authorize", "start_transaction", "ack", "error"} <= app.actions[
        app.channels["OCPPChannel"]
    ]


def test_the_shipped_channels_module_sweeps():
    from ocpp_cable import channels

    assert load_application("ocpp_cable.channels").sweep is channels.sweep


def test_the_shipped_channels_module_offers_its_operators_tools_and_another_none():
    """`up` starts what the application offers people (the reference system's API and
    dashboard) from the module itself: nothing is named in the runner."""
    from ocpp_cable import channels

    assert load_application("ocpp_cable.channels").serve_operators is channels.serve_operators
    assert load_application("examples.hello.hello_channels").serve_operators is None


async def test_the_applications_sweep_runs_on_schedule_while_rpc_app_serves():
    """Every `sweep_every` seconds, one run at a time; a run that raises is logged and the
    next comes as planned; none after rpc_app stopped."""
    runs: list[float] = []

    async def sweep():
        runs.append(asyncio.get_running_loop().time())
        if len(runs) == 2:
            raise RuntimeError("the database is away")

    app = replace(servers.test_app(), sweep=sweep, sweep_every=0.05)
    async with rpc_server(app=app):
        await eventually(lambda: len(runs) >= 4)
    stopped = len(runs)
    await asyncio.sleep(0.2)
    assert len(runs) == stopped
    assert all(later - earlier >= 0.05 for earlier, later in itertools.pairwise(runs))


def test_a_module_without_channels_is_refused():
    with pytest.raises(ApplicationError, match="no Channel subclass"):
        load_application("json")


async def connect(url: str, app=None):
    async with rpc_server(app=app) as (_, port, _):
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            return await rpc_pb2_grpc.RPCStub(channel).Connect(
                rpc_pb2.ConnectionRequest(env=rpc_pb2.Env(url=url)), metadata=META
            )


async def test_connect_answers_welcome_or_an_unauthorized_disconnect():
    """As AnyCable's Rails side answers: a browser's client reads these as they are."""
    welcomed = await connect("ws://h/ocpp/CP-1")
    refused = await connect("ws://h/ocpp/reject-me")
    assert welcomed.status == rpc_pb2.SUCCESS
    assert [orjson.loads(t) for t in welcomed.transmissions] == [{"type": "welcome"}]
    assert refused.status == rpc_pb2.FAILURE
    assert [orjson.loads(t) for t in refused.transmissions] == [
        {"type": "disconnect", "reason": "unauthorized", "reconnect": False}
    ]


class Greeter(Channel):
    def subscribed(self):
        self.transmit({"hello": self.params.get("name")})
        if self.params.get("name") == "nobody":
            self.reject()


async def subscribe_greeter(name: str):
    identifier = orjson.dumps({"channel": "Greeter", "name": name}).decode()
    async with rpc_server(app=Application.of([Greeter])) as (_, port, _):
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            response = await rpc_pb2_grpc.RPCStub(channel).Command(
                rpc_pb2.CommandMessage(
                    command="subscribe",
                    identifier=identifier,
                    connection_identifiers="{}",
                    env=rpc_pb2.Env(url="ws://h/cable"),
                ),
                metadata=META,
            )
    return identifier, response


async def test_a_subscription_is_confirmed_or_rejected_after_what_subscribed_transmitted():
    identifier, confirmed = await subscribe_greeter("ada")
    _, rejected = await subscribe_greeter("nobody")
    assert confirmed.status == rpc_pb2.SUCCESS
    assert [orjson.loads(t) for t in confirmed.transmissions] == [
        {"identifier": identifier, "message": {"hello": "ada"}},
        {"identifier": identifier, "type": "confirm_subscription"},
    ]
    assert rejected.status == rpc_pb2.FAILURE
    assert [orjson.loads(t)["type"] for t in rejected.transmissions[1:]] == ["reject_subscription"]
