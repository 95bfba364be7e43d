"""2.x device-model requests: the operator's notation for a variable, the station's limits
read from its reported values, and lists split to fit them."""

from __future__ import annotations

import orjson
import pytest

from ocpp_cable.channels.domain.device_requests import (
    Limits,
    NotationProblem,
    TooLarge,
    VariableRef,
    limits_of,
    message_size,
    parse_component,
    parse_setting,
    parse_variable,
    split,
)


def test_a_variable_is_a_component_and_a_variable_with_optional_parts():
    assert parse_variable("OCPPCommCtrlr.HeartbeatInterval") == VariableRef(
        "OCPPCommCtrlr", "HeartbeatInterval"
    )
    ref = parse_variable("Connector[left]@1:2.Available[x.y]/Target")
    assert ref == VariableRef("Connector", "Available", "left", 1, 2, "x.y", "Target")
    assert ref.variable_data() == {
        "component": {"name": "Connector", "instance": "left", "evse": {"id": 1, "connectorId": 2}},
        "variable": {"name": "Available", "instance": "x.y"},
        "attributeType": "Target",
    }
    # Without an attribute type the request names none: the station reads Actual.
    assert parse_variable("EVSE@1.AvailabilityState").variable_data() == {
        "component": {"name": "EVSE", "evse": {"id": 1}},
        "variable": {"name": "AvailabilityState"},
    }
    assert str(ref) == "Connector[left]@1:2.Available[x.y]/Target"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "OCPPCommCtrlr",
        "A.B.C",
        "A.B/Fancy",
        "A@x.B",
        "A.B=1",
        ".B",
        "A.B[]",
        "A B.C",
        "EVSE@1234567890.A",
    ],
)
def test_what_names_no_variable_to_read_is_refused(text):
    with pytest.raises(NotationProblem):
        parse_variable(text)


def test_a_setting_keeps_everything_after_the_first_equals_sign():
    assert parse_setting("OCPPCommCtrlr.OfflineThreshold=123") == (
        VariableRef("OCPPCommCtrlr", "OfflineThreshold"),
        "123",
    )
    assert parse_setting("A[k=v].B/MaxSet= a=b ") == (
        VariableRef("A", "B", "k=v", attribute_type="MaxSet"),
        " a=b ",
    )
    assert parse_setting("A.B=")[1] == ""
    with pytest.raises(NotationProblem):
        parse_setting("A.B")
    with pytest.raises(NotationProblem):
        parse_setting("A=1")


def test_a_report_may_name_a_component_alone():
    assert parse_component("EVSE@1").component_variable() == {
        "component": {"name": "EVSE", "evse": {"id": 1}}
    }
    assert parse_component("EVSE@1.AvailabilityState").component_variable() == {
        "component": {"name": "EVSE", "evse": {"id": 1}},
        "variable": {"name": "AvailabilityState"},
    }
    with pytest.raises(NotationProblem):
        parse_component("EVSE.AvailabilityState/Target")


def test_limits_are_read_by_the_201_names_and_the_flat_ones():
    reported = {
        ("DeviceDataCtrlr", "ItemsPerMessage", "GetVariables"): "4",
        ("DeviceDataCtrlr", "BytesPerMessage", "GetVariables"): "4096",
        ("DeviceDataCtrlr", "ItemsPerMessage", "SetVariables"): "zero",
        ("MonitoringCtrlr", "ItemsPerMessageClearVariableMonitoring", None): "2",
        ("DeviceDataCtrlr", "ItemsPerMessage", "GetReport"): "0",
    }
    assert limits_of("GetVariables", reported) == Limits(4, 4096)
    assert limits_of("SetVariables", reported) == Limits()  # not a number: unsaid
    assert limits_of("GetReport", reported) == Limits()  # 0 allows nothing: unsaid
    assert limits_of("ClearVariableMonitoring", reported) == Limits(items=2)


def _ids(batch):
    return {"id": batch}


def test_without_limits_everything_goes_in_one_request():
    assert split("ClearVariableMonitoring", [1, 2, 3], Limits(), _ids) == [[1, 2, 3]]


def test_items_per_message_caps_each_request_in_order():
    assert split("ClearVariableMonitoring", [1, 2, 3, 4, 5], Limits(items=2), _ids) == [
        [1, 2],
        [3, 4],
        [5],
    ]


def test_bytes_per_message_is_measured_on_the_frame_the_gateway_sends():
    ids = list(range(100, 110))
    one = message_size("ClearVariableMonitoring", {"id": [100]})
    frame = orjson.dumps([2, "0" * 32, "ClearVariableMonitoring", {"id": [100]}])
    assert one == len(frame)
    # Room for three three-digit ids (",NNN" each after the first).
    room = one + 2 * 4
    batches = split("ClearVariableMonitoring", ids, Limits(bytes=room), _ids)
    assert batches == [ids[0:3], ids[3:6], ids[6:9], ids[9:]]
    for batch in batches:
        assert message_size("ClearVariableMonitoring", {"id": batch}) <= room


def test_non_ascii_counts_in_utf8_bytes():
    assert message_size("X", {"v": "é"}) == message_size("X", {"v": "e"}) + 1


def test_both_limits_apply_together():
    one = message_size("ClearVariableMonitoring", {"id": [100]})
    batches = split(
        "ClearVariableMonitoring", list(range(100, 107)), Limits(items=4, bytes=one + 4), _ids
    )
    assert batches == [[100, 101], [102, 103], [104, 105], [106]]


def test_an_entry_larger_than_a_message_is_refused():
    room = message_size("ClearVariableMonitoring", {"id": [1]})
    with pytest.raises(TooLarge, match="entry 2 alone"):
        split("ClearVariableMonitoring", [1, 10**9], Limits(bytes=room), _ids)
