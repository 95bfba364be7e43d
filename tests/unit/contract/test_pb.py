"""The RPC contract: generated code is current, and the wire matches AnyCable RPC v1."""

from pathlib import Path

import pytest

from devtools import protogen
from ocpp_cable.contract.pb import rpc_pb2


def test_generated_code_is_not_stale(tmp_path: Path):
    protogen.generate(tmp_path)
    for name in protogen.GENERATED:
        fresh = (tmp_path / protogen.PACKAGE_PATH / name).read_text()
        committed = (protogen.ROOT / protogen.PACKAGE_PATH / name).read_text()
        assert fresh == committed, f"{name} is stale: run `make proto`"


def test_service_is_anycable_rpc():
    service = rpc_pb2.DESCRIPTOR.services_by_name["RPC"]
    assert rpc_pb2.DESCRIPTOR.package == "anycable"
    assert [m.name for m in service.methods] == ["Connect", "Command", "Disconnect"]


def fields(message: str) -> dict[str, int]:
    return {f.name: f.number for f in rpc_pb2.DESCRIPTOR.message_types_by_name[message].fields}


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("Env", {"url": 1, "headers": 2, "cstate": 3, "istate": 4}),
        ("EnvResponse", {"cstate": 1, "istate": 2}),
        ("ConnectionRequest", {"env": 3}),
        (
            "ConnectionResponse",
            {"status": 1, "identifiers": 2, "transmissions": 3, "error_msg": 4, "env": 5},
        ),
        (
            "CommandMessage",
            {"command": 1, "identifier": 2, "connection_identifiers": 3, "data": 4, "env": 5},
        ),
        (
            "CommandResponse",
            {
                "status": 1,
                "disconnect": 2,
                "stop_streams": 3,
                "streams": 4,
                "transmissions": 5,
                "error_msg": 6,
                "env": 7,
                "stopped_streams": 8,
                "presence": 9,
            },
        ),
        ("PresenceResponse", {"type": 1, "id": 2, "info": 3, "ttl": 4}),
        ("DisconnectRequest", {"identifiers": 1, "subscriptions": 2, "env": 5}),
        ("DisconnectResponse", {"status": 1, "error_msg": 2}),
    ],
)
def test_field_numbers(message, expected):
    assert fields(message) == expected


def test_status_values():
    assert (rpc_pb2.ERROR, rpc_pb2.SUCCESS, rpc_pb2.FAILURE) == (0, 1, 2)
