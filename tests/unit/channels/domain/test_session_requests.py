"""channels/domain/session_requests.py: remote start, stop and transaction status in each
version."""

from __future__ import annotations

import pytest

from ocpp_cable.channels.domain import session_requests as sr
from ocpp_cable.channels.domain.station_requests import Request, RequestProblem
from ocpp_cable.ocppj import versions

PROFILE_16 = {
    "chargingProfileId": 1, "stackLevel": 0, "chargingProfilePurpose": "TxProfile",
    "chargingProfileKind": "Relative",
    "chargingSchedule": {"chargingRateUnit": "A", "chargingSchedulePeriod": [
        {"startPeriod": 0, "limit": 16.0}]},
}  # fmt: skip


def valid(request: Request, version: str) -> Request:
    """`request` as the gateway will check it: valid against the version's schema."""
    versions.named(version).schemas.validate_request(request.action, request.payload)
    return request


def test_16_remote_start_names_the_idtag_and_maybe_a_connector_and_profile():
    assert valid(sr.remote_start("1.6", "TAG-1", 7), "1.6") == Request(
        "RemoteStartTransaction", {"idTag": "TAG-1"}
    )
    started = sr.remote_start("1.6", "TAG-1", 7, connector=2, charging_profile=PROFILE_16)
    assert valid(started, "1.6").payload == {
        "idTag": "TAG-1", "connectorId": 2, "chargingProfile": PROFILE_16,
    }  # fmt: skip


@pytest.mark.parametrize("version", ["2.0.1", "2.1"])
def test_2x_remote_start_carries_a_typed_token_and_the_central_systems_remote_start_id(version):
    started = valid(sr.remote_start(version, "TAG-1", 42), version)
    assert started == Request(
        "RequestStartTransaction",
        {"idToken": {"idToken": "TAG-1", "type": "Central"}, "remoteStartId": 42},
    )
    on_evse = sr.remote_start(
        version, "04A1B2", 9, token_type="ISO14443", evse=2, group_id_token="FLEET"
    )
    assert valid(on_evse, version).payload == {
        "idToken": {"idToken": "04A1B2", "type": "ISO14443"},
        "remoteStartId": 9,
        "evseId": 2,
        "groupIdToken": {"idToken": "FLEET", "type": "Central"},
    }


@pytest.mark.parametrize(
    ("version", "kwargs", "says"),
    [
        ("1.6", {"evse": 1}, "not EVSEs"),
        ("1.6", {"token_type": "ISO14443"}, "no type"),
        ("1.6", {"connector": 0}, "connector 0: 1 or more"),
        ("2.0.1", {"connector": 1}, "use --evse"),
        ("2.0.1", {"token_type": "Card"}, "token type 'Card'"),
        ("2.0.1", {"evse": 0}, "EVSE 0"),
    ],
)
def test_remote_start_refuses_what_the_version_cannot_say(version, kwargs, says):
    with pytest.raises(RequestProblem, match=says):
        sr.remote_start(version, "TAG-1", 1, **kwargs)


def test_remote_start_refuses_tokens_too_long_and_ids_out_of_range():
    with pytest.raises(RequestProblem, match="at most 20"):
        sr.remote_start("1.6", "T" * 21, 1)
    with pytest.raises(RequestProblem, match="at most 36"):
        sr.remote_start("2.0.1", "T" * 37, 1)
    with pytest.raises(RequestProblem, match="remoteStartId 0"):
        sr.remote_start("2.0.1", "TAG-1", 0)
    with pytest.raises(RequestProblem, match="an idTag"):
        sr.remote_start("2.0.1", "", 1)


def test_remote_stop_in_each_version():
    assert valid(sr.remote_stop("1.6", "12"), "1.6") == Request(
        "RemoteStopTransaction", {"transactionId": 12}
    )
    assert valid(sr.remote_stop("2.0.1", "tx-1"), "2.0.1") == Request(
        "RequestStopTransaction", {"transactionId": "tx-1"}
    )
    with pytest.raises(RequestProblem, match="is a number"):
        sr.remote_stop("1.6", "tx-1")
    with pytest.raises(RequestProblem, match="at most 36"):
        sr.remote_stop("2.0.1", "x" * 37)


def test_transaction_status_is_2x_only_with_or_without_a_transaction():
    assert valid(sr.transaction_status("2.0.1", "tx-1"), "2.0.1").payload == {
        "transactionId": "tx-1"
    }
    assert valid(sr.transaction_status("2.1"), "2.1").payload == {}
    with pytest.raises(RequestProblem, match=r"OCPP 2\.x"):
        sr.transaction_status("1.6", "1")
