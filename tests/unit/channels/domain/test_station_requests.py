"""channels/domain/station_requests.py: an operator's everyday commands in each version."""

from __future__ import annotations

import pytest

from ocpp_cable.channels.domain import station_requests as sr
from ocpp_cable.ocppj import versions


def valid(request: sr.Request, version: str) -> sr.Request:
    """`request` as the gateway will check it: valid against the version's schema."""
    versions.named(version).schemas.validate_request(request.action, request.payload)
    return request


@pytest.mark.parametrize("version", ["2.0.1", "2.1"])
def test_2x_requests(version):
    assert valid(sr.reset(version, False), version).payload == {"type": "OnIdle"}
    assert valid(sr.reset(version, True, 2), version).payload == {"type": "Immediate", "evseId": 2}
    assert valid(sr.availability(version, False, 1, 2), version).payload == {
        "operationalStatus": "Inoperative", "evse": {"id": 1, "connectorId": 2},
    }  # fmt: skip
    assert valid(sr.availability(version, True), version).payload == {
        "operationalStatus": "Operative"
    }
    assert valid(sr.trigger(version, "StatusNotification", 1, 1), version).payload == {
        "requestedMessage": "StatusNotification", "evse": {"id": 1, "connectorId": 1},
    }  # fmt: skip
    assert valid(sr.unlock(version, 1, 2), version).payload == {"evseId": 2, "connectorId": 1}
    profile = valid(sr.network_profile(version, 1, "wss://c.example/ocpp", 2), version)
    assert profile.payload["connectionData"]["ocppVersion"] == "OCPP20"
    assert valid(sr.clear_cache(), version).action == "ClearCache"


def test_16_requests():
    assert valid(sr.reset("1.6", False), "1.6").payload == {"type": "Soft"}
    assert valid(sr.reset("1.6", True), "1.6").payload == {"type": "Hard"}
    assert valid(sr.availability("1.6", False, connector=2), "1.6").payload == {
        "connectorId": 2, "type": "Inoperative",
    }  # fmt: skip
    assert valid(sr.availability("1.6", True), "1.6").payload["connectorId"] == 0
    assert valid(sr.trigger("1.6", "MeterValues", connector=1), "1.6").payload == {
        "requestedMessage": "MeterValues", "connectorId": 1,
    }  # fmt: skip
    assert valid(sr.unlock("1.6", 1), "1.6").payload == {"connectorId": 1}


@pytest.mark.parametrize(
    ("compose", "said"),
    [
        (lambda: sr.reset("1.6", False, 1), "resets as a whole"),
        (lambda: sr.availability("2.0.1", False, None, 1), "give --evse too"),
        (lambda: sr.trigger("1.6", "TransactionEvent"), "a 1.6 station is asked for one of"),
        (lambda: sr.trigger("2.0.1", "DiagnosticsStatusNotification"), "a 2.x station is"),
        (lambda: sr.unlock("2.0.1", 1), "give --evse too"),
        (lambda: sr.network_profile("1.6", 1, "ws://x", 1), "no network profiles"),
        (lambda: sr.network_profile("2.0.1", 1, "ws://x", 2), "connects over wss://"),
        (lambda: sr.network_profile("2.0.1", 1, "http://x", 1), "a ws:// or wss:// URL"),
        (lambda: sr.network_profile("2.0.1", 1, "ws://x", 1, "Eth0"), "interface 'Eth0'"),
        (lambda: sr.reset("2.0.1", False, 0), "EVSE 0: 1 or more"),
    ],
)
def test_what_a_version_cannot_say_is_refused_with_why(compose, said):
    with pytest.raises(sr.RequestProblem, match=said):
        compose()


def test_configuration_keys_are_16_only_and_the_password_goes_by_rotation():
    assert valid(sr.get_configuration("1.6"), "1.6").payload == {}
    assert valid(sr.get_configuration("1.6", ["HeartbeatInterval"]), "1.6").payload == {
        "key": ["HeartbeatInterval"]
    }
    assert valid(sr.change_configuration("1.6", "MeterValueSampleInterval", "60"), "1.6") == (
        sr.Request("ChangeConfiguration", {"key": "MeterValueSampleInterval", "value": "60"})
    )
    with pytest.raises(sr.RequestProblem, match="variables get"):
        sr.get_configuration("2.0.1")
    with pytest.raises(sr.RequestProblem, match="variables set"):
        sr.change_configuration("2.1", "HeartbeatInterval", "60")
    with pytest.raises(sr.RequestProblem, match="rotate-password"):
        sr.change_configuration("1.6", "authorizationkey", "x" * 16)
    with pytest.raises(sr.RequestProblem, match="1 to 50"):
        sr.get_configuration("1.6", ["K" * 51])
    with pytest.raises(sr.RequestProblem, match="at most 500"):
        sr.change_configuration("1.6", "K", "v" * 501)
