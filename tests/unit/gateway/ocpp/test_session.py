"""The per-station session state machine, driven by plain method calls."""

from __future__ import annotations

import re

import orjson
import pytest

from ocpp_cable.contract.naming import action_method_name
from ocpp_cable.gateway.ocpp.session import (
    ArmCallTimer,
    BootState,
    Close,
    DisarmCallTimer,
    Perform,
    Send,
    SessionConfig,
    StationSession,
)
from ocpp_cable.ocppj import errors, versions

NOW = "2026-11-21T10:00:00.000Z"
BOOT = '[2,"b1","BootNotification",{"chargePointModel":"M","chargePointVendor":"V"}]'


def session(**config) -> StationSession:
    return StationSession("CP-1", SessionConfig(clock=lambda: NOW, **config))


def sent(effects) -> list:
    return [orjson.loads(e.text) for e in effects if isinstance(e, Send)]


def performed(effects) -> list[dict]:
    return [e.data for e in effects if isinstance(e, Perform)]


def ack(unique_id, **payload) -> str:
    return orjson.dumps({"command": "Ack", "id": unique_id, "payload": payload}).decode()


def command(action, unique_id=None, **payload) -> str:
    return orjson.dumps({"command": action, "id": unique_id, "payload": payload}).decode()


@pytest.mark.parametrize(
    ("action", "method"),
    [
        ("BootNotification", "boot_notification"),
        ("MeterValues", "meter_values"),
        ("SignedFirmwareStatusNotification", "signed_firmware_status_notification"),
        ("Heartbeat", "heartbeat"),
    ],
)
def test_action_method_names(action, method):
    assert action_method_name(action) == method


def test_every_ocpp16_action_keeps_its_method_name():
    """One naming rule for channels and actions: no 1.6 action's method changed with it."""
    before = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")  # the actions' own rule until then
    actions = versions.OCPP16.charger_actions | versions.OCPP16.central_actions
    assert len(actions) > 25
    for action in actions:
        assert action_method_name(action) == before.sub("_", action).lower()


def test_every_action_of_every_version_has_its_own_method():
    names = {action_method_name(action) for action in versions.ALL_ACTIONS}
    assert len(names) == len(versions.ALL_ACTIONS)
    assert all(name.isidentifier() for name in names)
    assert action_method_name("NotifyEVChargingNeeds") == "notify_ev_charging_needs"


def test_call_is_performed_with_snake_case_action():
    effects = session().receive(BOOT)
    assert performed(effects) == [
        {
            "action": "boot_notification",
            "command": "BootNotification",
            "id": "b1",
            "payload": {"chargePointModel": "M", "chargePointVendor": "V"},
        }
    ]
    assert all(e.call_id == "b1" for e in effects if isinstance(e, Perform))


def test_single_action_mode_performs_receive():
    effects = session(granular_actions=False).receive(BOOT)
    assert performed(effects)[0]["action"] == "receive"


def test_heartbeat_answered_locally():
    effects = session().receive('[2,"h","Heartbeat",{}]')
    assert effects == [
        Send(orjson.dumps([3, "h", {"currentTime": NOW}]).decode(), "CALLRESULT", "Heartbeat")
    ]


def test_heartbeat_forwarded_still_answered_locally():
    effects = session(forward_heartbeat=True).receive('[2,"h","Heartbeat",{}]')
    assert sent(effects) == [[3, "h", {"currentTime": NOW}]]
    (perform,) = [e for e in effects if isinstance(e, Perform)]
    assert perform.call_id is None and perform.data["action"] == "heartbeat"


def test_default_boot_response_when_application_sends_none():
    s = session(heartbeat_interval=60)
    s.receive(BOOT)
    effects = s.perform_finished("b1", succeeded=True)
    assert sent(effects) == [[3, "b1", {"status": "Accepted", "currentTime": NOW, "interval": 60}]]
    assert s.boot_state is BootState.ACCEPTED


def test_empty_default_response_only_where_valid():
    s = session()
    s.receive(
        '[2,"s1","StatusNotification",{"connectorId":1,"errorCode":"NoError","status":"Available"}]'
    )
    assert sent(s.perform_finished("s1", True)) == [[3, "s1", {}]]
    s.receive('[2,"a1","Authorize",{"idTag":"T"}]')
    (reply,) = sent(s.perform_finished("a1", True))
    assert reply[:3] == [4, "a1", errors.INTERNAL_ERROR]


def test_failed_rpc_never_acks():
    s = session()
    s.receive(
        '[2,"m1","MeterValues",{"connectorId":1,"meterValue":[{"timestamp":"2026-01-01T00:00:00Z","sampledValue":[{"value":"1"}]}]}]'
    )
    (reply,) = sent(s.perform_finished("m1", succeeded=False))
    assert reply[:3] == [4, "m1", errors.INTERNAL_ERROR]
    assert reply[4] == {}


def test_application_ack_is_sent_and_boot_state_follows_it():
    s = session()
    s.receive(BOOT)
    effects = s.perform_finished("b1", True, [ack("b1", status="Pending", interval=10)])
    assert sent(effects) == [[3, "b1", {"currentTime": NOW, "interval": 10, "status": "Pending"}]]
    assert s.boot_state is BootState.PENDING


def test_application_error_becomes_callerror():
    s = session()
    s.receive('[2,"a1","Authorize",{"idTag":"T"}]')
    error = orjson.dumps(
        {"command": "Error", "id": "a1", "error_code": "NotSupported", "error_message": "no"}
    ).decode()
    assert sent(s.perform_finished("a1", True, [error])) == [[4, "a1", "NotSupported", "no", {}]]


def test_invalid_application_ack_becomes_internal_error():
    s = session()
    s.receive('[2,"a1","Authorize",{"idTag":"T"}]')
    (reply,) = sent(s.perform_finished("a1", True, [ack("a1", idTagInfo={"status": "Maybe"})]))
    assert reply[:3] == [4, "a1", errors.INTERNAL_ERROR]


def test_ack_for_unknown_id_is_dropped():
    assert session().apply_transmissions([ack("nope")]) == []


def test_transmitted_command_becomes_call_with_timer():
    s = session()
    effects = s.apply_transmissions([command("Reset", "r1", type="Soft")])
    assert effects == [
        Send('[2,"r1","Reset",{"type":"Soft"}]', "CALL", "Reset"),
        ArmCallTimer("r1"),
    ]


def test_generated_id_when_absent():
    s = session()
    (call,) = sent(s.apply_transmissions([command("ClearCache")]))
    assert call[0] == 2 and len(call[1]) == 32 and call[2:] == ["ClearCache", {}]


def test_one_outstanding_call_the_next_after_the_reply():
    s = session()
    first = s.apply_transmissions([command("Reset", "r1", type="Soft")])
    assert sent(first) == [[2, "r1", "Reset", {"type": "Soft"}]]
    assert s.apply_transmissions([command("ClearCache", "c1")]) == []  # queued
    effects = s.receive('[3,"r1",{"status":"Accepted"}]')
    assert effects[0] == DisarmCallTimer()
    assert performed(effects) == [
        {"action": "ack", "id": "r1", "command": "Reset", "payload": {"status": "Accepted"}}
    ]
    assert sent(effects) == [[2, "c1", "ClearCache", {}]]
    assert effects[-1] == ArmCallTimer("c1")


def test_callerror_from_station_performs_error():
    s = session()
    s.apply_transmissions([command("Reset", "r1", type="Soft")])
    effects = s.receive('[4,"r1","NotSupported","nope",{"x":1}]')
    assert performed(effects) == [
        {
            "action": "error",
            "id": "r1",
            "command": "Reset",
            "code": "NotSupported",
            "message": "nope",
            "payload": {"x": 1},
        }
    ]


def test_timeout_performs_error_and_sends_next():
    s = session(call_timeout=5)
    s.apply_transmissions([command("Reset", "r1", type="Soft"), command("ClearCache", "c1")])
    effects = s.call_timed_out("r1")
    assert performed(effects)[0]["code"] == errors.TIMEOUT
    assert sent(effects) == [[2, "c1", "ClearCache", {}]]
    assert s.call_timed_out("r1") == []  # already over


def test_invalid_outgoing_call_is_not_sent():
    s = session()
    effects = s.apply_transmissions([command("Reset", "r1", type="Medium")])
    assert sent(effects) == []
    (error,) = performed(effects)
    assert error["action"] == "error" and error["code"] == errors.PROPERTY_CONSTRAINT_VIOLATION


def test_charger_action_cannot_be_sent_to_a_charger():
    (error,) = performed(session().apply_transmissions([command("Heartbeat", "x")]))
    assert error["code"] == errors.NOT_SUPPORTED


def test_queue_overflow_performs_error():
    s = session(queue_limit=1)
    s.apply_transmissions([command("ClearCache", "1"), command("ClearCache", "2")])
    (error,) = performed(s.apply_transmissions([command("ClearCache", "3")]))
    assert error["code"] == errors.QUEUE_FULL and error["id"] == "3"


def test_unmatched_reply_is_dropped():
    assert session().receive('[3,"ghost",{}]') == []


def test_connection_lost_ends_open_calls():
    s = session()
    s.apply_transmissions([command("ClearCache", "1"), command("ClearCache", "2")])
    assert [d["id"] for d in performed(s.connection_lost())] == ["1", "2"]


def test_malformed_budget_closes():
    s = session(malformed_budget=2)
    assert not any(isinstance(e, Close) for e in s.receive("x") + s.receive("y"))
    assert Close(1002, "too many malformed frames") in s.receive("z")


def test_malformed_frame_answered_with_protocol_error():
    (reply,) = sent(session().receive("not json"))
    assert reply[:3] == [4, "-1", errors.PROTOCOL_ERROR]


@pytest.mark.parametrize("status", ["Pending", "Rejected"])
def test_calls_refused_until_boot_accepted(status):
    s = session()
    s.receive(BOOT)
    s.perform_finished("b1", True, [ack("b1", status=status)])
    (refused,) = sent(s.receive('[2,"a1","Authorize",{"idTag":"T"}]'))
    assert refused[:3] == [4, "a1", errors.SECURITY_ERROR]
    assert performed(s.receive(BOOT.replace('"b1"', '"b2"')))  # a new boot goes through
    s.perform_finished("b2", True)  # default Accepted
    assert performed(s.receive('[2,"a2","Authorize",{"idTag":"T"}]'))


AVAILABLE = (
    '[2,"s1","StatusNotification",{"connectorId":1,"errorCode":"NoError","status":"Available"}]'
)


def pending_session(status="Pending", **config) -> StationSession:
    s = session(**config)
    s.receive(BOOT)
    s.perform_finished("b1", True, [ack("b1", status=status, interval=30)])
    return s


def test_heartbeat_of_a_pending_station_is_refused_not_answered():
    """B02.FR.09: Heartbeat is a CALL like any other; the gateway's own answer does not
    admit it."""
    s = pending_session(forward_heartbeat=True)
    effects = s.receive('[2,"h","Heartbeat",{}]')
    assert [reply[:3] for reply in sent(effects)] == [[4, "h", errors.SECURITY_ERROR]]
    assert performed(effects) == []


def test_a_pending_station_sends_what_we_triggered_once_it_accepted():
    s = pending_session()
    assert sent(s.receive(AVAILABLE))[0][2] == errors.SECURITY_ERROR
    s.apply_transmissions([command("TriggerMessage", "t1", requestedMessage="StatusNotification")])
    s.receive('[3,"t1",{"status":"Accepted"}]')
    assert (
        performed(s.receive(AVAILABLE.replace('"s1"', '"s2"')))[0]["action"]
        == "status_notification"
    )
    assert performed(s.receive(AVAILABLE.replace('"s1"', '"s3"')))  # every connector reports
    (refused,) = sent(s.receive('[2,"a1","Authorize",{"idTag":"T"}]'))  # not triggered
    assert refused[:3] == [4, "a1", errors.SECURITY_ERROR]


def test_a_pending_station_heartbeat_we_triggered_is_answered_here():
    s = pending_session()
    s.apply_transmissions([command("TriggerMessage", "t1", requestedMessage="Heartbeat")])
    s.receive('[3,"t1",{"status":"Accepted"}]')
    assert sent(s.receive('[2,"h","Heartbeat",{}]')) == [[3, "h", {"currentTime": NOW}]]


def test_a_trigger_the_station_rejected_admits_nothing():
    s = pending_session()
    s.apply_transmissions([command("TriggerMessage", "t1", requestedMessage="StatusNotification")])
    s.receive('[3,"t1",{"status":"Rejected"}]')
    assert sent(s.receive(AVAILABLE))[0][2] == errors.SECURITY_ERROR


def test_a_rejected_station_sends_nothing_we_triggered():
    """B03.FR.07: only BootNotification, whatever was asked of it."""
    s = pending_session("Rejected")
    s.apply_transmissions([command("TriggerMessage", "t1", requestedMessage="StatusNotification")])
    s.receive('[3,"t1",{"status":"Accepted"}]')
    assert sent(s.receive(AVAILABLE))[0][2] == errors.SECURITY_ERROR


def test_what_was_triggered_ends_with_the_next_boot():
    s = pending_session()
    s.apply_transmissions([command("TriggerMessage", "t1", requestedMessage="StatusNotification")])
    s.receive('[3,"t1",{"status":"Accepted"}]')
    s.receive(BOOT.replace('"b1"', '"b2"'))
    s.perform_finished("b2", True, [ack("b2", status="Pending", interval=30)])
    assert sent(s.receive(AVAILABLE))[0][2] == errors.SECURITY_ERROR


def test_a_report_asked_for_admits_its_notify_report():
    s = StationSession("CP-1", SessionConfig(clock=lambda: NOW), version=versions.OCPP201)
    s.receive('[2,"b1","BootNotification",{"chargingStation":{"model":"M","vendorName":"V"},'
              '"reason":"PowerUp"}]')  # fmt: skip
    s.perform_finished("b1", True, [ack("b1", status="Pending", interval=30, currentTime=NOW)])
    report = ('[2,"r1","NotifyReport",{"requestId":1,"generatedAt":"2026-01-01T00:00:00Z",'
              '"seqNo":0}]')  # fmt: skip
    assert sent(s.receive(report))[0][2] == errors.SECURITY_ERROR
    s.apply_transmissions([command("GetBaseReport", "g1", requestId=1, reportBase="FullInventory")])
    s.receive('[3,"g1",{"status":"Accepted"}]')
    assert performed(s.receive(report.replace('"r1"', '"r2"')))


@pytest.mark.parametrize("state", [BootState.PENDING, BootState.REJECTED])
def test_a_station_connected_as_not_accepted_is_refused_until_it_boots(state):
    """A station that reconnects sends no BootNotification: the application names its
    registration at Connect, and it is served as if its boot had been answered so."""
    s = session()
    s.boot_state = state
    assert sent(s.receive('[2,"h","Heartbeat",{}]'))[0][2] == errors.SECURITY_ERROR
    assert performed(s.receive(BOOT))
    s.perform_finished("b1", True)  # default Accepted
    assert performed(s.receive('[2,"a2","Authorize",{"idTag":"T"}]'))


def test_invalid_but_readable_id_is_echoed():
    (reply,) = sent(session().receive(f'[2,"{"i" * 37}","Heartbeat",{{}}]'))
    assert reply[:3] == [4, "i" * 37, errors.PROTOCOL_ERROR]


def test_number_out_of_double_range_keeps_the_id():
    (reply,) = sent(session().receive('[2,"m1","MeterValues",{"connectorId":1e400}]'))
    assert reply[:3] == [4, "m1", errors.FORMATION_VIOLATION]


def test_binary_frame_closes_with_unsupported_data():
    assert session().receive(b'[2,"h","Heartbeat",{}]') == [
        Close(1003, "OCPP-J uses text frames only")
    ]


def test_deeply_nested_callerror_reply_ends_our_call_as_error():
    s = session()
    s.apply_transmissions([command("ClearCache", "c1"), command("ClearCache", "c2")])
    deep = "{}"
    for _ in range(300):
        deep = '{"d":' + deep + "}"
    effects = s.receive(f'[4,"c1","GenericError","x",{deep}]')
    (error,) = performed(effects)
    assert (error["id"], error["code"]) == ("c1", errors.FORMATION_VIOLATION)
    assert sent(effects) == [[2, "c2", "ClearCache", {}]]  # the queue moves on
    assert orjson.dumps(error)  # the perform can be encoded


STATUS = (
    '[2,"s1","StatusNotification",'
    '{"connectorId":CONNECTOR,"errorCode":"NoError","status":"Available"}]'
)


@pytest.mark.parametrize(
    ("connector_id", "code"),
    [
        ("1.0", errors.TYPE_CONSTRAINT_VIOLATION),
        ("1e300", errors.TYPE_CONSTRAINT_VIOLATION),
        ("99999999999999999999999", errors.TYPE_CONSTRAINT_VIOLATION),
        ("2147483648", errors.TYPE_CONSTRAINT_VIOLATION),
        ("-2147483649", errors.TYPE_CONSTRAINT_VIOLATION),
        ("true", errors.TYPE_CONSTRAINT_VIOLATION),
    ],
)
def test_integer_fields_take_32_bit_integers_only(connector_id, code):
    frame = STATUS.replace("CONNECTOR", connector_id)
    (reply,) = sent(session().receive(frame))
    assert reply[:3] == [4, "s1", code]
    assert "connectorId" in reply[3]


def test_largest_32_bit_integer_is_accepted():
    frame = STATUS.replace("CONNECTOR", "2147483647")
    (effect,) = session().receive(frame)
    assert performed([effect])[0]["payload"]["connectorId"] == 2147483647


def test_log_lines_never_carry_a_client_string_whole():
    lines = []

    class Capture:
        def __getattr__(self, level):
            return lambda event, **kw: lines.append(kw)

        def bind(self, **kw):
            return self

    s = StationSession("CP-1", SessionConfig(clock=lambda: NOW), Capture())
    s.receive(f'[2,"m1","{"A" * 30_000}",{{}}]')
    s.receive(f'[2,"{"i" * 30_000}","Heartbeat",{{}}]')
    assert lines and all(len(str(v)) <= 250 for kw in lines for v in kw.values())


def test_outcomes_of_our_calls_go_in_their_own_lane():
    s = session()
    s.receive(BOOT)
    (station_call,) = s.receive(STATUS.replace("CONNECTOR", "1"))
    assert not station_call.reply
    s.apply_transmissions([command("ClearCache", "c1")])
    (outcome,) = performed_effects(s.receive('[3,"c1",{"status":"Accepted"}]'))
    assert outcome.reply and not outcome.droppable


def test_queue_overflow_reports_may_be_dropped():
    s = session(queue_limit=1)
    s.apply_transmissions([command("ClearCache", "1"), command("ClearCache", "2")])
    (report,) = performed_effects(s.apply_transmissions([command("ClearCache", "3")]))
    assert report.reply and report.droppable


def performed_effects(effects) -> list[Perform]:
    return [e for e in effects if isinstance(e, Perform)]


def test_security_extension_integers_are_strict_too():
    # LogStatusNotification's schema names draft-06, where 1.0 would pass as an integer.
    frame = '[2,"l1","LogStatusNotification",{"status":"Idle","requestId":1.0}]'
    (reply,) = sent(session().receive(frame))
    assert reply[:3] == [4, "l1", errors.TYPE_CONSTRAINT_VIOLATION]


def test_action_cable_messages_are_not_for_a_station():
    """Connect's welcome and a subscription's confirmation reach no station; a channel's
    data wrapped with its identifier (as AnyCable's Rails side sends it) is read as the
    transmission it holds."""
    s = session()
    s.receive(BOOT)
    control = [
        '{"type":"welcome"}',
        '{"identifier":"{\\"channel\\":\\"OCPPChannel\\"}","type":"confirm_subscription"}',
        '{"type":"disconnect","reason":"unauthorized","reconnect":false}',
    ]
    assert s.apply_transmissions(control) == []
    wrapped = orjson.dumps(
        {
            "identifier": '{"channel":"OCPPChannel"}',
            "message": {"command": "Ack", "id": "b1", "payload": {"status": "Accepted"}},
        }
    ).decode()
    (reply,) = sent(s.perform_finished("b1", True, [wrapped]))
    assert reply == [3, "b1", {"status": "Accepted", "currentTime": NOW, "interval": 300}]
