"""Violations a lenient station is forgiven: each repaired, the rest refused as before."""

from __future__ import annotations

import copy
import random

import orjson
import pytest

from ocpp_cable.gateway.ocpp.session import Perform, Send, SessionConfig, StationSession, Tolerated
from ocpp_cable.ocppj import leniency, versions
from ocpp_cable.ocppj.schemas import SchemaViolation

SCHEMAS = versions.OCPP16.schemas
ALL = frozenset(leniency.RULES)
STATUS = {"connectorId": 1, "errorCode": "NoError", "status": "Available"}


def validate(action):
    return lambda payload: SCHEMAS.validate_request(action, payload)


def repaired(action, payload, tolerated=ALL):
    return leniency.repaired(validate(action), payload, frozenset(tolerated))


def test_a_valid_payload_is_itself_with_no_repair():
    payload = dict(STATUS)
    assert repaired("StatusNotification", payload) == (payload, [])


@pytest.mark.parametrize(
    ("change", "rule", "where", "expected"),
    [
        ({"vendorExtra": 1}, "additionalProperties", "payload", {}),
        ({"info": "i" * 60}, "maxLength", "info", {"info": "i" * 50}),
        ({"status": "available"}, "enum", "status", {"status": "Available"}),
        ({"connectorId": 1.0}, "type", "connectorId", {"connectorId": 1}),
        ({"connectorId": "2"}, "type", "connectorId", {"connectorId": 2}),
        ({"vendorId": 7}, "type", "vendorId", {"vendorId": "7"}),
        (
            {"timestamp": "2026-12-01 10:00:00"},
            "format",
            "timestamp",
            {"timestamp": "2026-12-01T10:00:00.000Z"},
        ),
        (
            {"timestamp": "2026-12-01T12:00:00+02:00"},
            None,  # valid as it is: no repair
            None,
            {"timestamp": "2026-12-01T12:00:00+02:00"},
        ),
    ],
)
def test_each_rule_is_repaired_the_one_way_it_can_be(change, rule, where, expected):
    sent = {**STATUS, **change}
    payload, repairs = repaired("StatusNotification", sent)
    assert payload == {**STATUS, **expected}
    assert [(r.rule, r.where) for r in repairs] == ([(rule, where)] if rule else [])
    assert sent == {**STATUS, **change}  # the original is never changed


def test_several_violations_deep_in_the_payload_are_repaired_together():
    sent = {
        "connectorId": "1",
        "meterValue": [
            {
                "timestamp": "2026-12-01 10:00:00",
                "sampledValue": [{"value": "1", "unit": "wh", "extra": True}],
            }
        ],
    }
    original = copy.deepcopy(sent)
    payload, repairs = repaired("MeterValues", sent)
    assert payload == {
        "connectorId": 1,
        "meterValue": [
            {
                "timestamp": "2026-12-01T10:00:00.000Z",
                "sampledValue": [{"value": "1", "unit": "Wh"}],
            }
        ],
    }
    assert sorted(str(r) for r in repairs) == [
        "additionalProperties at meterValue[0].sampledValue[0]",
        "enum at meterValue[0].sampledValue[0].unit",
        "format at meterValue[0].timestamp",
        "type at connectorId",
    ]
    assert sent == original


def test_a_rule_not_tolerated_is_refused_as_before():
    with pytest.raises(SchemaViolation) as refused:
        repaired("StatusNotification", {**STATUS, "status": "available"}, {"maxLength"})
    assert refused.value.code == "PropertyConstraintViolation"
    # The first violation tolerated, the next one not: refused with the next one's code.
    with pytest.raises(SchemaViolation) as refused:
        repaired("StatusNotification", {**STATUS, "x": 1, "connectorId": "a"}, ALL)
    assert refused.value.rule == "type"


@pytest.mark.parametrize(
    "change",
    [
        {"status": "Resting"},  # no enum value in any case
        {"connectorId": "one"},  # no number
        {"connectorId": 1.5},  # not a whole number
        {"timestamp": "yesterday"},  # no time
    ],
)
def test_what_no_repair_can_mend_is_refused(change):
    with pytest.raises(SchemaViolation):
        repaired("StatusNotification", {**STATUS, **change})


def test_a_missing_required_property_is_never_forgiven():
    with pytest.raises(SchemaViolation) as refused:
        repaired("StatusNotification", {"connectorId": 1, "status": "Available"})
    assert refused.value.code == "OccurenceConstraintViolation"


def test_repairs_are_bounded():
    many = {f"x{i}": i for i in range(leniency.MAX_REPAIRS + 5)}
    payload, repairs = repaired("StatusNotification", {**STATUS, **many})
    assert payload == STATUS and len(repairs) == 1  # one object: one repair drops them all
    sampled = [{"value": "1", "unit": "wh"} for _ in range(leniency.MAX_REPAIRS + 1)]
    with pytest.raises(SchemaViolation):
        repaired("MeterValues", {"connectorId": 1, "meterValue": [
            {"timestamp": "2026-12-01T10:00:00Z", "sampledValue": sampled}]})  # fmt: skip


def test_unknown_rule_names_tolerate_nothing():
    assert leniency.known_rules(["maxLength", "maxlength", 3, None]) == {"maxLength"}


def test_a_2x_payload_is_repaired_by_its_own_schema():
    validate2 = lambda p: versions.OCPP201.schemas.validate_request("Heartbeat", p)  # noqa: E731
    assert leniency.repaired(validate2, {"x": 1}, ALL)[0] == {}


# --- in the session core -------------------------------------------------------------


def lenient(*rules) -> StationSession:
    s = StationSession("CP-1", SessionConfig(clock=lambda: "2026-12-01T10:00:00.000Z"))
    s.tolerated_rules = frozenset(rules)
    return s


def frame(unique_id, action, payload) -> str:
    return orjson.dumps([2, unique_id, action, payload]).decode()


def test_the_channel_gets_the_repaired_payload_with_the_raw_one_and_what_was_forgiven():
    sent = {**STATUS, "status": "available", "vendorExtra": "x"}
    effects = lenient("enum", "additionalProperties").receive(
        frame("s1", "StatusNotification", sent)
    )
    tolerated, perform = effects
    assert isinstance(tolerated, Tolerated) and tolerated.action == "StatusNotification"
    assert isinstance(perform, Perform)
    assert perform.data["payload"] == STATUS
    assert perform.data["raw"] == sent
    assert sorted(perform.data["tolerated"]) == [
        "additionalProperties at payload",
        "enum at status",
    ]


def test_a_strict_station_gets_the_callerror_as_before():
    effects = lenient().receive(frame("s1", "StatusNotification", {**STATUS, "x": 1}))
    (send,) = effects
    assert isinstance(send, Send) and orjson.loads(send.text)[:3] == [4, "s1", "FormationViolation"]


def test_a_valid_message_of_a_lenient_station_carries_nothing_more():
    (perform,) = lenient(*leniency.RULES).receive(frame("s1", "StatusNotification", STATUS))
    assert "raw" not in perform.data and "tolerated" not in perform.data


def test_an_answer_to_our_call_is_repaired_too():
    s = lenient("enum")
    s.apply_transmissions(['{"command": "Reset", "id": "r1", "payload": {"type": "Soft"}}'])
    effects = s.receive('[3, "r1", {"status": "accepted"}]')
    assert isinstance(effects[0], Tolerated)
    ack = next(e for e in effects if isinstance(e, Perform))
    assert ack.data["payload"] == {"status": "Accepted"}
    assert ack.data["raw"] == {"status": "accepted"}


# --- every repaired payload is valid --------------------------------------------------


@pytest.mark.parametrize("version", versions.VERSIONS, ids=lambda v: v.name)
def test_a_repaired_payload_is_always_valid_and_the_original_untouched(version):
    from faults import payloads

    rng = random.Random(17)
    repaired_count = refused = 0
    for action in sorted(version.charger_actions):
        check = lambda p, a=action: version.schemas.validate_request(a, p)  # noqa: E731
        for _ in range(12):
            payload = payloads.valid_payload(rng, action, version)
            for _ in range(rng.randrange(1, 4)):
                payloads.bend(rng, payload)
            sent = copy.deepcopy(payload)
            try:
                fixed, repairs = leniency.repaired(check, payload, ALL)
            except SchemaViolation:
                refused += 1
                continue
            check(fixed)  # raises if the repair left it invalid
            assert payload == sent
            repaired_count += bool(repairs)
    assert repaired_count > 25 and refused > 50  # both sides were exercised
