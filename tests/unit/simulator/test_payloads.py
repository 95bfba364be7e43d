"""Every message the simulator sends, and every answer it gives, is valid OCPP of its version."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import get_args

import pytest

from ocpp_cable.ocppj import versions
from ocpp_cable.simulator import DIALECTS, ocpp16
from ocpp_cable.simulator.dialects import Session, StopReason, utc_time
from ocpp_cable.simulator.state import StationState

VERSIONS = sorted(DIALECTS)
ACCEPTED = {"status": "Accepted"}
REJECTED = {"status": "Rejected"}
HEARTBEAT = ("OCPPCommCtrlr", "HeartbeatInterval")


@dataclass
class Station:
    heartbeat_interval: int = 300
    session: Session | None = None
    max_power_w: float = 7400.0
    state: StationState = field(default_factory=StationState)
    power_w: float = 0.0
    ocpp_version: str = "2.0.1"

    def __post_init__(self) -> None:
        self.state.heartbeat_interval = self.heartbeat_interval


def sent(version: versions.Version, message: tuple[str, dict]) -> tuple[str, dict]:
    """Check a message the charger sends: a charger's action, with a valid payload."""
    action, payload = message
    assert action in version.charger_actions
    version.schemas.validate_request(action, payload)
    return action, payload


def session_messages(name: str, session: Session, reason: str) -> list[tuple[str, dict]]:
    """The messages of one session, as the charger sends them, the start answered."""
    version, dialect = versions.named(name), DIALECTS[name]
    messages = [sent(version, dialect.status("Preparing"))]
    messages.append(sent(version, dialect.start(session, 1000)))
    dialect.started(session, {"transactionId": 42, "idTagInfo": {"status": "Accepted"}})
    messages += [sent(version, dialect.meter(session, 1000 + 200 * i, 7200.0)) for i in (1, 2)]
    messages.append(sent(version, dialect.stop(session, 1400, reason)))
    messages.append(sent(version, dialect.status("Available")))
    return messages


@pytest.mark.parametrize("name", VERSIONS)
def test_boot_authorize_and_status_are_valid(name):
    version, dialect = versions.named(name), DIALECTS[name]
    assert sent(version, dialect.boot("SIM-00001"))[0] == "BootNotification"
    # A long station id still fits the serial number's 25 characters.
    assert sent(version, dialect.boot("S" * 48))[0] == "BootNotification"
    assert sent(version, dialect.authorize("SIM"))[0] == "Authorize"
    for state in ("Available", "Preparing", "Reserved", "Unavailable"):
        assert sent(version, dialect.status(state))[0] == "StatusNotification"
    for state in ("Charging", "Finishing"):  # 2.x: still Occupied, nothing to say
        message = dialect.status(state)
        assert (message is None) == (name != "1.6")
        assert message is None or sent(version, message)[0] == "StatusNotification"


@pytest.mark.parametrize("name", VERSIONS)
@pytest.mark.parametrize("reason", get_args(StopReason))
@pytest.mark.parametrize("remote", [False, True])
def test_every_message_of_a_session_is_valid(name, reason, remote):
    session = Session("SIM", remote=remote, remote_start_id=7 if remote else None)
    actions = [action for action, _ in session_messages(name, session, reason)]
    if name == "1.6":
        assert actions[1:-1] == [
            "StartTransaction", "MeterValues", "MeterValues", "StopTransaction",
        ]  # fmt: skip
    else:
        assert actions[1:-1] == ["TransactionEvent"] * 4


def test_a_16_session_carries_the_central_systems_transaction_id():
    session = Session("SIM")
    _, start, meter, _, stop, _ = session_messages("1.6", session, "Local")
    assert "transactionId" not in start[1] and start[1]["meterStart"] == 1000
    assert meter[1]["transactionId"] == stop[1]["transactionId"] == 42
    assert stop[1]["reason"] == "Local" and stop[1]["meterStop"] == 1400


@pytest.mark.parametrize("name", ["2.0.1", "2.1"])
def test_a_2x_session_is_one_transaction_of_events(name):
    session = Session("SIM")
    events = [payload for action, payload in session_messages(name, session, "EVDisconnected")]
    started, updated, _, ended = events[1:-1]
    # The charger names the transaction, and every event of it carries that name.
    transaction_id = started["transactionInfo"]["transactionId"]
    assert str(uuid.UUID(transaction_id)) == transaction_id == session.transaction_id
    assert {e["transactionInfo"]["transactionId"] for e in events[1:-1]} == {transaction_id}
    assert [e["eventType"] for e in events[1:-1]] == ["Started", "Updated", "Updated", "Ended"]
    assert [e["seqNo"] for e in events[1:-1]] == [0, 1, 2, 3]
    assert started["triggerReason"] == "Authorized"
    assert started["evse"] == {"id": 1, "connectorId": 1}
    assert started["idToken"] == {"idToken": "SIM", "type": "ISO14443"}
    assert updated["triggerReason"] == "MeterValuePeriodic"
    (reading,) = updated["meterValue"]
    assert reading["sampledValue"] == [
        {"value": 1200, "measurand": "Energy.Active.Import.Register", "context": "Sample.Periodic"},
        {"value": 7200, "measurand": "Power.Active.Import", "context": "Sample.Periodic"},
    ]
    assert ended["triggerReason"] == "EVDeparted"
    assert ended["transactionInfo"]["stoppedReason"] == "EVDisconnected"
    # A status reports the connector taken, then free again.
    statuses = [events[0]["connectorStatus"], events[-1]["connectorStatus"]]
    assert statuses == ["Occupied", "Available"]


@pytest.mark.parametrize("name", ["2.0.1", "2.1"])
def test_a_remotely_started_2x_session_says_so(name):
    session = Session("T", remote=True, remote_start_id=7)
    _, (_, started), *_, (_, ended), _ = session_messages(name, session, "Remote")
    assert started["triggerReason"] == "RemoteStart"
    assert started["transactionInfo"]["remoteStartId"] == 7
    assert ended["triggerReason"] == "RemoteStop"
    assert ended["transactionInfo"]["stoppedReason"] == "Remote"


# A valid request of each command the simulator answers, by version.
GET_VARIABLES = {
    "getVariableData": [
        {"component": {"name": HEARTBEAT[0]}, "variable": {"name": HEARTBEAT[1]}},
        {"component": {"name": HEARTBEAT[0]}, "variable": {"name": "Nope"}},
        {"component": {"name": "Nope"}, "variable": {"name": HEARTBEAT[1]}},
        {"component": {"name": HEARTBEAT[0]}, "variable": {"name": HEARTBEAT[1]},
         "attributeType": "Target"},
    ]
}  # fmt: skip
COMMANDS_2X = {
    "Reset": {"type": "Immediate"},
    "TriggerMessage": {"requestedMessage": "Heartbeat"},
    "UnlockConnector": {"evseId": 1, "connectorId": 1},
    "ChangeAvailability": {"operationalStatus": "Inoperative"},
    "ClearCache": {},
    "DataTransfer": {"vendorId": "ocpp-cable"},
    "CostUpdated": {"totalCost": 4.8, "transactionId": "tx-1"},
    "GetVariables": GET_VARIABLES,
    "SetVariables": {
        "setVariableData": [
            {"attributeValue": "60", "component": {"name": HEARTBEAT[0]},
             "variable": {"name": HEARTBEAT[1]}},
        ]
    },
    "RequestStartTransaction": {
        "idToken": {"idToken": "T", "type": "ISO14443"}, "remoteStartId": 7,
    },
    "RequestStopTransaction": {"transactionId": "tx-1"},
    "UpdateFirmware": {"requestId": 3, "firmware": {
        "location": "http://x/fw.bin", "retrieveDateTime": "2024-01-01T00:00:00Z"}},
    "GetLog": {"logType": "DiagnosticsLog", "requestId": 4,
               "log": {"remoteLocation": "http://x/files"}},
    "SendLocalList": {
        "versionNumber": 3, "updateType": "Full",
        "localAuthorizationList": [
            {"idToken": {"idToken": "A", "type": "ISO14443"},
             "idTokenInfo": {"status": "Accepted",
                             "groupIdToken": {"idToken": "G", "type": "Central"}}},
        ],
    },
    "GetLocalListVersion": {},
    "ReserveNow": {"id": 5, "expiryDateTime": "2099-01-01T00:00:00Z",
                   "idToken": {"idToken": "A", "type": "ISO14443"}},
    "CancelReservation": {"reservationId": 5},
    "SetChargingProfile": {"evseId": 1, "chargingProfile": {
        "id": 1, "stackLevel": 0, "chargingProfilePurpose": "TxDefaultProfile",
        "chargingProfileKind": "Relative",
        "chargingSchedule": [{"id": 1, "chargingRateUnit": "A",
                              "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16}]}],
    }},
    "ClearChargingProfile": {"chargingProfileId": 1},
    "GetChargingProfiles": {"requestId": 9, "chargingProfile": {}},
    "GetCompositeSchedule": {"evseId": 1, "duration": 600, "chargingRateUnit": "W"},
    "GetTransactionStatus": {"transactionId": "tx-1"},
    "GetBaseReport": {"requestId": 1, "reportBase": "FullInventory"},
    "GetReport": {"requestId": 2, "componentCriteria": ["Available"],
                  "componentVariable": [{"component": {"name": "EVSE", "evse": {"id": 1}}}]},
    "SetNetworkProfile": {"configurationSlot": 2, "connectionData": {
        "ocppVersion": "OCPP20", "ocppTransport": "JSON", "ocppInterface": "Wired0",
        "ocppCsmsUrl": "wss://c.example/ocpp", "messageTimeout": 30, "securityProfile": 2}},
    "SetVariableMonitoring": {"setMonitoringData": [
        {"value": 1, "type": "Delta", "severity": 8,
         "component": {"name": "EVSE", "evse": {"id": 1}},
         "variable": {"name": "AvailabilityState"}}]},
    "ClearVariableMonitoring": {"id": [3, 1, 99]},
    "SetMonitoringBase": {"monitoringBase": "FactoryDefault"},
    "SetMonitoringLevel": {"severity": 4},
    "GetMonitoringReport": {"requestId": 3, "monitoringCriteria": ["ThresholdMonitoring"]},
    "CustomerInformation": {"requestId": 4, "report": True, "clear": True,
                            "idToken": {"idToken": "SIM", "type": "ISO14443"}},
    "SetDisplayMessage": {"message": {"id": 7, "priority": "InFront", "state": "Idle",
                                      "message": {"format": "UTF8", "content": "Welcome"}}},
    "GetDisplayMessages": {"requestId": 5, "priority": "InFront"},
    "ClearDisplayMessage": {"id": 7},
}  # fmt: skip
COMMANDS = {
    "1.6": {
        "Reset": {"type": "Soft"},
        "TriggerMessage": {"requestedMessage": "Heartbeat"},
        "ChangeConfiguration": {"key": "HeartbeatInterval", "value": "60"},
        "UnlockConnector": {"connectorId": 1},
        "ChangeAvailability": {"connectorId": 1, "type": "Inoperative"},
        "ClearCache": {},
        "DataTransfer": {"vendorId": "ocpp-cable"},
        "GetConfiguration": {"key": ["HeartbeatInterval", "Nope"]},
        "RemoteStartTransaction": {"idTag": "T"},
        "RemoteStopTransaction": {"transactionId": 42},
        "SendLocalList": {
            "listVersion": 3,
            "updateType": "Full",
            "localAuthorizationList": [{"idTag": "A", "idTagInfo": {"status": "Accepted"}}],
        },
        "GetLocalListVersion": {},
        "ReserveNow": {
            "connectorId": 1,
            "expiryDate": "2099-01-01T00:00:00Z",
            "idTag": "A",
            "reservationId": 5,
        },
        "CancelReservation": {"reservationId": 5},
        "SetChargingProfile": {
            "connectorId": 1,
            "csChargingProfiles": {
                "chargingProfileId": 1,
                "stackLevel": 0,
                "chargingProfilePurpose": "TxDefaultProfile",
                "chargingProfileKind": "Relative",
                "chargingSchedule": {
                    "chargingRateUnit": "A",
                    "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16}],
                },
            },
        },
        "ClearChargingProfile": {"id": 1},
        "GetCompositeSchedule": {"connectorId": 1, "duration": 600, "chargingRateUnit": "W"},
        "UpdateFirmware": {"location": "http://x/fw.bin", "retrieveDate": "2024-01-01T00:00:00Z"},
        "GetDiagnostics": {"location": "http://x/files"},
        # The security extension's (OCPP 1.6 edition 2 with the security whitepaper).
        "GetLog": {
            "logType": "SecurityLog",
            "requestId": 4,
            "log": {"remoteLocation": "http://x/u"},
        },
        "SignedUpdateFirmware": {
            "requestId": 5,
            "firmware": {
                "location": "http://x/fw.bin",
                "retrieveDateTime": "2024-01-01T00:00:00Z",
                "signingCertificate": "-----BEGIN CERTIFICATE-----",
                "signature": "c2ln",
            },
        },
        "ExtendedTriggerMessage": {"requestedMessage": "LogStatusNotification"},
        "CertificateSigned": {"certificateChain": "-----BEGIN CERTIFICATE-----"},
        "InstallCertificate": {
            "certificateType": "CentralSystemRootCertificate",
            "certificate": "-----BEGIN CERTIFICATE-----",
        },
        "DeleteCertificate": {
            "certificateHashData": {
                "hashAlgorithm": "SHA256",
                "issuerNameHash": "a" * 64,
                "issuerKeyHash": "b" * 64,
                "serialNumber": "01",
            }
        },
        "GetInstalledCertificateIds": {"certificateType": "CentralSystemRootCertificate"},
    },
    "2.0.1": COMMANDS_2X,
    "2.1": COMMANDS_2X,
}
CASES = [(name, action) for name in VERSIONS for action in COMMANDS[name]]


def answered(name: str, action: str, station: Station, payload: dict | None = None):
    """The dialect's answer to a valid request, checked valid itself."""
    version = versions.named(name)
    station.ocpp_version = name
    payload = COMMANDS[name][action] if payload is None else payload
    assert action in version.central_actions
    version.schemas.validate_request(action, payload)
    answer = DIALECTS[name].answer(action, payload, station)
    assert answer is not None, f"{action} is not answered"
    version.schemas.validate_response(action, answer.payload)
    return answer


@pytest.mark.parametrize(("name", "action"), CASES)
def test_every_answer_is_valid_idle_and_charging(name, action):
    answered(name, action, Station())
    busy = Station(session=Session("SIM", transaction_id=42 if name == "1.6" else "tx-1"))
    answered(name, action, busy)


@pytest.mark.parametrize("name", VERSIONS)
def test_every_command_the_dialect_answers_is_covered(name):
    from ocpp_cable.simulator import ocpp2, ocpp16

    module = ocpp16 if name == "1.6" else ocpp2
    assert set(module.CANNED) | set(module.HANDLERS) <= set(COMMANDS[name])
    assert DIALECTS[name].answer("Nope", {}, Station()) is None


# 2.x commands whose answer has no status to refuse with: NotImplemented is all it can say.
WITHOUT_STATUS = {"ClearTariffs", "GetPeriodicEventStream", "NotifyWebPaymentStarted"}


@pytest.mark.parametrize("name", ["2.0.1", "2.1"])
def test_a_2x_charger_answers_every_command_of_its_version_or_refuses_it(name):
    from ocpp_cable.simulator import ocpp2

    version = versions.named(name)
    answered_ = set(ocpp2.HANDLERS) | set(ocpp2.CANNED) | set(ocpp2.REFUSALS)
    assert version.central_actions - answered_ == WITHOUT_STATUS & version.central_actions
    for action, reply in ocpp2.REFUSALS.items():
        if action in version.central_actions:
            version.schemas.validate_response(action, reply)
            assert DIALECTS[name].answer(action, {}, Station()).payload == reply


@pytest.mark.parametrize(
    ("name", "start", "stop", "transaction_id"),
    [
        ("1.6", "RemoteStartTransaction", "RemoteStopTransaction", 42),
        ("2.0.1", "RequestStartTransaction", "RequestStopTransaction", "tx-1"),
        ("2.1", "RequestStartTransaction", "RequestStopTransaction", "tx-1"),
    ],
)
def test_remote_start_and_stop_act_on_the_one_connector(name, start, stop, transaction_id):
    idle = answered(name, start, Station())
    assert idle.payload == {"status": "Accepted"}
    assert idle.start is not None and idle.start.remote and idle.start.id_tag == "T"
    assert idle.start.remote_start_id == (None if name == "1.6" else 7)
    # One connector: taken, a second start is refused.
    charging = Station(session=Session("SIM", transaction_id=transaction_id))
    busy = answered(name, start, charging)
    assert busy.payload == {"status": "Rejected"} and busy.start is None
    # Only the running transaction stops.
    assert answered(name, stop, charging).stop
    assert answered(name, stop, Station()).payload == {"status": "Rejected"}
    other = Station(session=Session("SIM", transaction_id=transaction_id * 2))
    refused = answered(name, stop, other)
    assert refused.payload == {"status": "Rejected"} and not refused.stop


def test_16_configuration_tells_the_heartbeat_interval_and_unknown_keys():
    answer = answered("1.6", "GetConfiguration", Station(heartbeat_interval=60))
    assert answer.payload == {
        "configurationKey": [{"key": "HeartbeatInterval", "readonly": False, "value": "60"}],
        "unknownKey": ["Nope"],
    }
    every = answered("1.6", "GetConfiguration", Station(), {})
    assert [k["key"] for k in every.payload["configurationKey"]] == list(ocpp16.CONFIGURATION)


@pytest.mark.parametrize("name", ["2.0.1", "2.1"])
def test_2x_variables_tell_the_heartbeat_interval_and_what_is_unknown(name):
    answer = answered(name, "GetVariables", Station(heartbeat_interval=60))
    results = answer.payload["getVariableResult"]
    assert [r["attributeStatus"] for r in results] == [
        "Accepted", "UnknownVariable", "UnknownComponent", "NotSupportedAttributeType",
    ]  # fmt: skip
    assert results[0]["attributeValue"] == "60"


@pytest.mark.parametrize("name", VERSIONS)
def test_a_command_without_what_it_needs_raises_for_the_charger_to_refuse(name):
    start = "RemoteStartTransaction" if name == "1.6" else "RequestStartTransaction"
    with pytest.raises(KeyError):
        DIALECTS[name].answer(start, {}, Station())


def test_16_commands_keep_what_they_set():
    station = Station()
    answered("1.6", "SendLocalList", station)
    assert station.state.local_list == {"A": {"status": "Accepted"}}
    assert answered("1.6", "GetLocalListVersion", station).payload == {"listVersion": 3}
    reserved = answered("1.6", "ReserveNow", station)
    assert reserved.payload == {"status": "Accepted"} and reserved.then[0] == "reserved"
    assert station.state.idle_state(0) == "Reserved"
    start = answered("1.6", "RemoteStartTransaction", station)  # T is not the reserved A
    assert start.payload == {"status": "Rejected"}
    assert answered("1.6", "CancelReservation", station).payload == {"status": "Accepted"}
    assert answered("1.6", "SetChargingProfile", station).payload == {"status": "Accepted"}
    schedule = answered("1.6", "GetCompositeSchedule", station).payload["chargingSchedule"]
    assert schedule["chargingSchedulePeriod"] == [{"startPeriod": 0, "limit": 7400.0}]  # idle
    assert answered("1.6", "ClearChargingProfile", station).payload == {"status": "Accepted"}
    unknown = answered("1.6", "DataTransfer", station).payload
    assert unknown == {"status": "UnknownVendorId"}
    change = answered("1.6", "ChangeConfiguration", station)
    assert change.payload == {"status": "Accepted"} and station.state.heartbeat_interval == 60
    busy = Station(session=Session("SIM", transaction_id=42))
    scheduled = answered("1.6", "ChangeAvailability", busy)
    assert scheduled.payload == {"status": "Scheduled"} and busy.state.available


def utc_in(seconds: float) -> str:
    return utc_time(time.time() + seconds)


@pytest.mark.parametrize("name", ["2.0.1", "2.1"])
def test_2x_local_list_and_reservations_keep_what_they_set(name):
    station = Station()
    answered(name, "SendLocalList", station)
    assert station.state.local_list["A"]["status"] == "Accepted"
    assert answered(name, "GetLocalListVersion", station).payload == {"versionNumber": 3}
    stale = {"versionNumber": 3, "updateType": "Differential"}
    assert answered(name, "SendLocalList", station, stale).payload == {"status": "VersionMismatch"}
    newer = {"versionNumber": 4, "updateType": "Differential", "localAuthorizationList": [
        {"idToken": {"idToken": "A", "type": "ISO14443"}}]}  # fmt: skip
    assert answered(name, "SendLocalList", station, newer).payload == {"status": "Accepted"}
    assert station.state.local_list == {} and station.state.local_list_version == 4
    # Reserved for T's group G: T (G by the local list) and the group start there, B not.
    group = {"idToken": "G", "type": "Central"}
    full = {"versionNumber": 5, "updateType": "Full", "localAuthorizationList": [
        {"idToken": {"idToken": "T", "type": "ISO14443"},
         "idTokenInfo": {"status": "Accepted", "groupIdToken": group}}]}  # fmt: skip
    answered(name, "SendLocalList", station, full)
    reserve = {"id": 5, "expiryDateTime": utc_in(60), "evseId": 1,
               "idToken": {"idToken": "X", "type": "ISO14443"},
               "groupIdToken": {"idToken": "G", "type": "Central"}}  # fmt: skip
    reserved = answered(name, "ReserveNow", station, reserve)
    assert reserved.payload == {"status": "Accepted"} and reserved.then[0] == "reserved"
    assert station.state.idle_state(time.time()) == "Reserved"
    assert station.state.may_start("T", time.time()) and station.state.may_start("X", time.time())
    assert not station.state.may_start("B", time.time())
    other = {**reserve, "id": 6}
    assert answered(name, "ReserveNow", station, other).payload == {"status": "Occupied"}
    start = {"idToken": {"idToken": "B", "type": "ISO14443"}, "remoteStartId": 1}
    assert answered(name, "RequestStartTransaction", station, start).payload == REJECTED
    # A TransactionEvent Started that uses the reservation carries its id.
    session = Session("X", reservation_id=5)
    assert DIALECTS[name].start(session, 0)[1]["reservationId"] == 5
    cancelled = answered(name, "CancelReservation", station)
    assert cancelled.payload == {"status": "Accepted"}
    (update,) = cancelled.then[1]
    assert update == ("ReservationStatusUpdate",
                      {"reservationId": 5, "reservationUpdateStatus": "Removed"})  # fmt: skip
    sent(versions.named(name), update)
    assert answered(name, "CancelReservation", station).payload == REJECTED
    assert station.state.idle_state(time.time()) == "Available"
    # No EVSE named: the one it has.
    anywhere = {k: v for k, v in reserve.items() if k != "evseId"}
    assert answered(name, "ReserveNow", station, anywhere).payload == {"status": "Accepted"}
    elsewhere = {**reserve, "evseId": 2}
    assert answered(name, "ReserveNow", Station(), elsewhere).payload == REJECTED


def profile_2x(profile_id, purpose, limit, unit="A", stack_level=0, **more):
    return {"id": profile_id, "stackLevel": stack_level, "chargingProfilePurpose": purpose,
            "chargingProfileKind": "Relative", **more,
            "chargingSchedule": [{"id": 1, "chargingRateUnit": unit, "chargingSchedulePeriod": [
                {"startPeriod": 0, "limit": limit}]}]}  # fmt: skip


@pytest.mark.parametrize("name", ["2.0.1", "2.1"])
def test_2x_charging_profiles_are_kept_reported_and_cap_the_power(name):
    station = Station()
    set_ = "SetChargingProfile"
    maximum = {"evseId": 0, "chargingProfile": profile_2x(1, "ChargingStationMaxProfile", 8)}
    assert answered(name, set_, station, maximum).payload == {"status": "Accepted"}
    on_evse = {"evseId": 1, "chargingProfile": profile_2x(2, "ChargingStationMaxProfile", 8)}
    assert answered(name, set_, station, on_evse).payload == REJECTED
    tx = {"evseId": 1, "chargingProfile": profile_2x(3, "TxProfile", 10)}
    assert answered(name, set_, station, tx).payload == REJECTED  # no transaction
    external = {
        "evseId": 0,
        "chargingProfile": profile_2x(4, "ChargingStationExternalConstraints", 8),
    }
    assert answered(name, set_, station, external).payload == REJECTED
    default = {"evseId": 1, "chargingProfile": profile_2x(5, "TxDefaultProfile", 6000, "W")}
    assert answered(name, set_, station, default).payload == {"status": "Accepted"}
    # The station's 8 A (3 phases, 230 V) caps what an EV draws.
    assert station.state.limits.limit(time.time(), None) == 8 * 230 * 3
    composite = answered(name, "GetCompositeSchedule", station).payload
    assert composite["status"] == "Accepted" and composite["schedule"]["evseId"] == 1
    assert composite["schedule"]["chargingSchedulePeriod"] == [{"startPeriod": 0, "limit": 5520.0}]
    amps = {"evseId": 0, "duration": 60, "chargingRateUnit": "A"}
    schedule = answered(name, "GetCompositeSchedule", station, amps).payload["schedule"]
    assert schedule["chargingSchedulePeriod"] == [{"startPeriod": 0, "limit": 8.0}]
    elsewhere = {"evseId": 2, "duration": 60}
    assert answered(name, "GetCompositeSchedule", station, elsewhere).payload == REJECTED
    # GetChargingProfiles: Accepted, then a report per EVSE with the request's id.
    got = answered(name, "GetChargingProfiles", station)
    assert got.payload == {"status": "Accepted"} and got.then[0] == "send"
    reports = [sent(versions.named(name), m)[1] for m in got.then[1]]
    assert [(r["requestId"], r["evseId"], r.get("tbc")) for r in reports] == [
        (9, 0, True), (9, 1, None),
    ]  # fmt: skip
    assert [[p["id"] for p in r["chargingProfile"]] for r in reports] == [[1], [5]]
    by_purpose = {"requestId": 2, "chargingProfile": {"chargingProfilePurpose": "TxProfile"}}
    assert answered(name, "GetChargingProfiles", station, by_purpose).payload == {
        "status": "NoProfiles"
    }
    # A TxProfile binds to the running transaction, and only to it.
    busy = Station(session=Session("T", transaction_id="tx-1"), state=station.state)
    assert answered(name, set_, busy, tx).payload == {"status": "Accepted"}
    assert station.state.limits.profiles[3].data["transactionId"] == "tx-1"
    wrong = {"evseId": 1, "chargingProfile": profile_2x(6, "TxProfile", 10, transactionId="tx-2")}
    assert answered(name, set_, busy, wrong).payload == REJECTED
    # Clear by criteria, then by id; nothing left to clear: Unknown.
    criteria = {"chargingProfileCriteria": {"evseId": 0}}
    assert answered(name, "ClearChargingProfile", station, criteria).payload == ACCEPTED
    assert set(station.state.limits.profiles) == {3, 5}
    assert answered(name, "ClearChargingProfile", station, {"chargingProfileId": 5}).payload == (
        ACCEPTED
    )
    assert answered(name, "ClearChargingProfile", station, {"chargingProfileId": 5}).payload == {
        "status": "Unknown"
    }


def test_a_16_charger_answers_every_command_of_its_version():
    from ocpp_cable.simulator import ocpp16

    version = versions.named("1.6")
    assert version.central_actions == set(ocpp16.HANDLERS) | set(ocpp16.CANNED)
