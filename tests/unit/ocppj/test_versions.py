"""The protocol cores of OCPP 1.6, 2.0.1 and 2.1, without sockets: versions, error codes,
frames and the session state machine in each version's words."""

from __future__ import annotations

import orjson
import pytest

from ocpp_cable.foundation.settings import OCPP_VERSIONS, ChargerServerSettings
from ocpp_cable.gateway.ocpp.session import Perform, Send, SessionConfig, StationSession
from ocpp_cable.ocppj import errors, frames, versions
from ocpp_cable.ocppj.schemas import SchemaViolation

NOW = "2026-11-30T10:00:00.000Z"
BOOT2 = {"reason": "PowerUp", "chargingStation": {"model": "M", "vendorName": "V"}}
STREAM = {"id": 1, "pending": 0, "basetime": NOW, "data": [{"t": 0.5, "v": "230"}]}


def session(version: versions.Version) -> StationSession:
    return StationSession("CP-1", SessionConfig(clock=lambda: NOW), version=version)


def sent(effects) -> list:
    return [orjson.loads(e.text) for e in effects if isinstance(e, Send)]


def performed(effects) -> list[Perform]:
    return [e for e in effects if isinstance(e, Perform)]


def test_the_settings_know_the_versions_ocppj_has():
    assert set(OCPP_VERSIONS) == set(versions.BY_NAME)
    assert [v.name for v in versions.VERSIONS] == list(OCPP_VERSIONS)


@pytest.mark.parametrize("version", versions.VERSIONS, ids=lambda v: v.name)
def test_who_sends_what(version):
    assert version.charger_actions <= version.schemas.actions
    assert version.send_actions <= version.schemas.actions
    assert version.charger_actions & version.central_actions == {"DataTransfer"}
    assert {"BootNotification", "Heartbeat", "StatusNotification"} <= version.charger_actions
    assert version.busy_actions <= version.charger_actions
    # Every CALL has its response schema; a SEND has none.
    for action in version.charger_actions | version.central_actions:
        assert f"{action}Response" in version.schemas.names, action
    assert version.subprotocol == f"ocpp{version.name}"


def test_the_versions_differ_where_the_specifications_do():
    assert "TransactionEvent" in versions.OCPP201.charger_actions
    assert "StartTransaction" not in versions.OCPP201.schemas.actions
    assert "RequestStartTransaction" in versions.OCPP201.central_actions
    assert "RemoteStartTransaction" in versions.OCPP16.central_actions
    assert versions.OCPP21.send_actions == {"NotifyPeriodicEventStream"}
    assert "NotifyDERAlarm" in versions.OCPP21.charger_actions - versions.OCPP201.charger_actions
    assert "SetDefaultTariff" in versions.OCPP21.central_actions


@pytest.mark.parametrize(
    ("offered", "preference", "chosen"),
    [
        (["ocpp1.6", "ocpp2.0.1"], versions.VERSIONS, "2.0.1"),
        (["ocpp2.1", "ocpp1.6"], (versions.OCPP16, versions.OCPP21), "1.6"),
        (["ocpp2.0"], versions.VERSIONS, None),
        ([], versions.VERSIONS, None),
        (["ocpp2.1"], (versions.OCPP16, versions.OCPP201), None),
    ],
)
def test_negotiate_takes_the_servers_first_offered_choice(offered, preference, chosen):
    version = versions.negotiate(offered, preference)
    assert (version.name if version else None) == chosen


@pytest.mark.parametrize(
    ("codes", "code", "spelled"),
    [
        (errors.OCPP2, "FormationViolation", "FormatViolation"),
        (errors.OCPP2, "OccurenceConstraintViolation", "OccurrenceConstraintViolation"),
        (errors.OCPP16, "FormatViolation", "FormationViolation"),
        (errors.OCPP16, "OccurrenceConstraintViolation", "OccurenceConstraintViolation"),
        (errors.OCPP16, "RpcFrameworkError", "ProtocolError"),
        (errors.OCPP16, "MessageTypeNotSupported", "GenericError"),
        (errors.OCPP2, "ProtocolError", "ProtocolError"),
        (errors.OCPP2, "Bogus", "GenericError"),
    ],
)
def test_codes_are_spelled_as_the_version_spells_them(codes, code, spelled):
    assert codes.spelled(code) == spelled


@pytest.mark.parametrize(
    ("text", "code", "unique_id", "answered"),
    [
        ("not json", "RpcFrameworkError", None, True),
        ('[2,"m1","Authorize",["T"]]', "FormatViolation", "m1", True),
        ('[9,"m1","X",{}]', "MessageTypeNotSupported", "m1", True),
        ('[9,{"id":1}]', "MessageTypeNotSupported", None, True),
        ('[6,"s1","NotifyPeriodicEventStream"]', "MessageTypeNotSupported", "s1", True),
        ('[3,"m1"]', "RpcFrameworkError", "m1", False),
    ],
)
def test_201_frames_break_in_201s_words(text, code, unique_id, answered):
    with pytest.raises(frames.FrameError) as caught:
        frames.parse(text, versions.OCPP201.codes, versions.OCPP201.message_types)
    assert (caught.value.code, caught.value.unique_id) == (code, unique_id)
    assert caught.value.answered is answered


def test_21_parses_send_and_callresulterror():
    codes, types = versions.OCPP21.codes, versions.OCPP21.message_types
    send = frames.parse('[6,"s1","NotifyPeriodicEventStream",{"id":1}]', codes, types)
    assert send == frames.SendMessage("s1", "NotifyPeriodicEventStream", {"id": 1})
    refusal = frames.parse('[5,"r1","FormatViolation","bad",{"x":1}]', codes, types)
    assert refusal == frames.CallResultError("r1", "FormatViolation", "bad", {"x": 1})
    with pytest.raises(frames.FrameError) as caught:  # a broken SEND is never answered
        frames.parse('[6,"s1","NotifyPeriodicEventStream",[]]', codes, types)
    assert caught.value.answered is False


def test_16_still_ignores_unknown_message_types():
    assert frames.parse('[6,"s1","NotifyPeriodicEventStream",{}]') is None


def test_schemas_map_rules_to_the_versions_codes():
    with pytest.raises(SchemaViolation) as missing:
        versions.OCPP201.schemas.validate_request("BootNotification", {"reason": "PowerUp"})
    assert missing.value.code == "OccurrenceConstraintViolation"
    with pytest.raises(SchemaViolation) as extra:
        versions.OCPP21.schemas.validate_request("Heartbeat", {"x": 1})
    assert extra.value.code == "FormatViolation"
    with pytest.raises(SchemaViolation) as big:
        versions.OCPP201.schemas.validate_request("TransactionEvent", {
            "eventType": "Started", "timestamp": NOW, "triggerReason": "Authorized",
            "seqNo": 2**31, "transactionInfo": {"transactionId": "t"},
        })  # fmt: skip
    assert big.value.code == "TypeConstraintViolation"  # OCPP's integers are 32-bit
    # 2.1's schemas carry a URN `$id`; their `$ref`s still resolve.
    versions.OCPP21.schemas.validate_request("Heartbeat", {"customData": {"vendorId": "v"}})
    versions.OCPP21.schemas.validate_request("NotifyPeriodicEventStream", STREAM)


def test_a_201_session_refuses_in_201s_words_and_answers_heartbeat():
    core = session(versions.OCPP201)
    assert sent(core.receive('[2,"h1","Heartbeat",{}]')) == [[3, "h1", {"currentTime": NOW}]]
    assert sent(core.receive('[2,"a1","Authorize",{}]'))[0][2] == "OccurrenceConstraintViolation"
    assert sent(core.receive('[2,"x1","StartTransaction",{}]'))[0][2] == "NotImplemented"
    assert sent(core.receive('[2,"x2","GetVariables",{}]'))[0][2] == "NotSupported"
    assert sent(core.receive('[5,"r1","FormatViolation","",{}]'))[0][2] == "MessageTypeNotSupported"


def test_a_201_boot_gets_the_default_answer():
    core = session(versions.OCPP201)
    [perform] = performed(core.receive(orjson.dumps([2, "b1", "BootNotification", BOOT2]).decode()))
    assert perform.data["action"] == "boot_notification" and perform.call_id == "b1"
    assert sent(core.perform_finished("b1", True)) == [
        [3, "b1", {"status": "Accepted", "currentTime": NOW, "interval": 300}]
    ]


def test_a_21_send_is_performed_unanswered_and_a_bad_one_dropped():
    core = session(versions.OCPP21)
    effects = core.receive(orjson.dumps([6, "s1", "NotifyPeriodicEventStream", STREAM]).decode())
    assert sent(effects) == []
    [perform] = performed(effects)
    assert perform.call_id is None  # nothing waits on an answer
    assert perform.data == {
        "action": "notify_periodic_event_stream",
        "command": "NotifyPeriodicEventStream",
        "id": "s1",
        "payload": STREAM,
    }
    assert core.receive('[6,"s2","NotifyPeriodicEventStream",{"id":1}]') == []
    assert core.receive('[6,"s3","Heartbeat",{}]') == []
    # The application's ack of a SEND has nothing to answer.
    ack = orjson.dumps({"command": "Ack", "id": "s1", "payload": {}}).decode()
    assert core.apply_transmissions([ack]) == []


def test_a_21_station_hears_of_its_invalid_callresult():
    for version, refusals in ((versions.OCPP21, 1), (versions.OCPP201, 0)):
        core = session(version)
        call = {"command": "GetVariables", "id": "g1", "payload": {"getVariableData": [
            {"component": {"name": "C"}, "variable": {"name": "V"}}]}}  # fmt: skip
        assert sent(core.apply_transmissions([orjson.dumps(call).decode()]))[0][0] == 2
        effects = core.receive('[3,"g1",{"getVariableResult":7}]')
        frames_sent = sent(effects)
        assert len(frames_sent) == refusals
        if refusals:
            assert frames_sent[0][:3] == [5, "g1", "TypeConstraintViolation"]
        [report] = performed(effects)
        assert report.data["action"] == "error" and report.data["code"] == "TypeConstraintViolation"


def test_a_command_of_another_version_is_not_sent():
    core = session(versions.OCPP201)
    call = {"command": "RemoteStartTransaction", "id": "c1", "payload": {"idTag": "T"}}
    [report] = performed(core.apply_transmissions([orjson.dumps(call).decode()]))
    assert report.data["code"] == "NotImplemented"
    assert "2.0.1" in report.data["message"]


def test_version_settings():
    settings = ChargerServerSettings(ocpp_versions=" 1.6 , 2.1", version_channels="2.1=V2Channel")
    assert settings.ocpp_version_names() == ["1.6", "2.1"]
    assert settings.channel_for("2.1") == "V2Channel"
    assert settings.channel_for("1.6") == "OCPPChannel"
    for bad in ({"ocpp_versions": "1.5"}, {"ocpp_versions": "1.6,1.6"}, {"ocpp_versions": ""}):
        with pytest.raises(ValueError):
            ChargerServerSettings(**bad)
    with pytest.raises(ValueError):
        ChargerServerSettings(version_channels="3.0=X")
    with pytest.raises(ValueError, match="accept_missing_subprotocol"):
        ChargerServerSettings(ocpp_versions="2.0.1", accept_missing_subprotocol=True)
