"""channels/domain/password_fields.py: a station's password masked wherever an OCPP message
carries it; and channels/domain/passwords.py: an AuthorizationKey's digits tried as what they
decode to."""

from __future__ import annotations

import hashlib

import pytest

from ocpp_cable.channels.domain import password_rotation
from ocpp_cable.channels.domain.password_fields import (
    MASK,
    masked,
    masked_value,
    refusal,
    sets_password,
)
from ocpp_cable.channels.domain.passwords import Match, decoded_key, hash_password, matching

SECURITY = {"name": "securityctrlr"}  # names compare case-insensitively
BASIC_AUTH = {"name": "BasicAuthPassword"}


@pytest.mark.parametrize(
    ("action", "payload", "kept"),
    [
        (
            "ChangeConfiguration",
            {"key": "authorizationKEY", "value": "ABCD"},
            {"key": "authorizationKEY", "value": MASK},
        ),
        (
            "GetConfiguration",
            {"configurationKey": [{"key": "AuthorizationKey", "readonly": False, "value": "x"},
                                  {"key": "HeartbeatInterval", "value": "300"}]},
            {"configurationKey": [{"key": "AuthorizationKey", "readonly": False, "value": MASK},
                                  {"key": "HeartbeatInterval", "value": "300"}]},
        ),
        (
            "SetVariables",
            {"setVariableData": [{"component": SECURITY, "variable": BASIC_AUTH,
                                  "attributeValue": "p" * 16}]},
            {"setVariableData": [{"component": SECURITY, "variable": BASIC_AUTH,
                                  "attributeValue": MASK}]},
        ),
        (
            "GetVariables",
            {"getVariableResult": [{"attributeStatus": "Accepted", "component": SECURITY,
                                    "variable": BASIC_AUTH, "attributeValue": "p"}]},
            {"getVariableResult": [{"attributeStatus": "Accepted", "component": SECURITY,
                                    "variable": BASIC_AUTH, "attributeValue": MASK}]},
        ),
        (
            "NotifyReport",
            {"requestId": 1, "reportData": [{"component": SECURITY, "variable": BASIC_AUTH,
                                             "variableAttribute": [{"value": "p"}, {}]}]},
            {"requestId": 1, "reportData": [{"component": SECURITY, "variable": BASIC_AUTH,
                                             "variableAttribute": [{"value": MASK}, {}]}]},
        ),
    ],
)  # fmt: skip
def test_the_password_is_masked_where_each_action_carries_it(action, payload, kept):
    assert masked(action, payload) == kept
    assert masked(action, kept) is kept  # masking again changes nothing
    assert masked(action, payload) is not payload


@pytest.mark.parametrize(
    ("action", "payload"),
    [
        ("ChangeConfiguration", {"key": "HeartbeatInterval", "value": "60"}),
        ("SetVariables", {"setVariableData": [{"component": {"name": "OCPPCommCtrlr"},
                                               "variable": BASIC_AUTH, "attributeValue": "1"}]}),
        ("DataTransfer", {"vendorId": "v", "data": "AuthorizationKey"}),
        ("ChangeConfiguration", ["not", "an", "object"]),  # a lenient station's raw payload
        ("GetConfiguration", None),
    ],
)  # fmt: skip
def test_what_holds_no_password_is_kept_as_it_is(action, payload):
    assert masked(action, payload) is payload
    assert not sets_password(action, payload)
    assert refusal(action, payload, "CP-1") is None


def test_a_plain_command_setting_the_password_is_refused_with_the_way_to_rotate_it():
    said = refusal("ChangeConfiguration", {"key": "AuthorizationKey", "value": "AB"}, "CP-1")
    assert "ocpp-cable rotate-password CP-1" in said
    assert "/api/v1/stations/CP-1/password-rotation" in said
    assert "AB" not in said.replace("HTTP Basic", "")
    # Whatever the value: one already masked would break the station as well.
    assert refusal("ChangeConfiguration", {"key": "AuthorizationKey", "value": MASK}, "C")
    set_variables = {"setVariableData": [{"component": SECURITY, "variable": BASIC_AUTH,
                                          "attributeValue": MASK}]}  # fmt: skip
    assert sets_password("SetVariables", set_variables)
    assert masked_value("AuthorizationKey", "AB") == MASK
    assert masked_value("AuthorizationKey", None) is None
    assert masked_value("HeartbeatInterval", "60") == "60"


def test_an_authorization_key_is_also_tried_as_what_its_digits_stand_for():
    password = "Twenty-Chars-Secret1"
    key = password.encode().hex().upper()
    assert decoded_key(key) == password and decoded_key(key.lower()) == password
    assert decoded_key("deadbeef") is None  # not printable: an ordinary password
    assert decoded_key("abc") is None and decoded_key("00" * 21) is None
    old, new = hash_password("the-old-password"), hash_password(password)
    assert matching(password, [old, new]) == Match(1, as_sent=True)
    assert matching(key, [old, new]) == Match(1, as_sent=False)
    assert matching("the-old-password", [old, new]) == Match(0, as_sent=True)
    assert matching("wrong", [old, new]) is None


def test_a_password_hashed_as_the_station_sends_it_costs_one_scrypt(monkeypatch):
    """The digits as sent are tried first, and what they stand for only if they fail."""
    key = b"Twenty-Chars-Secret1".hex().upper()
    kept = hash_password(key)  # the form the station logged in with
    scrypt, runs = hashlib.scrypt, []

    def counted(*args, **kwargs):
        runs.append(args)
        return scrypt(*args, **kwargs)

    monkeypatch.setattr(hashlib, "scrypt", counted)
    assert matching(key, [kept]) == Match(0, as_sent=True)
    assert len(runs) == 1
    runs.clear()
    assert matching(key.lower(), [kept]) is None  # a wrong one: both forms, for each hash
    assert len(runs) == 2


@pytest.mark.parametrize("version", ["1.6", "2.0.1", "2.1"])
def test_a_made_password_is_as_long_as_ocpp_allows_and_sent_as_the_version_wants(version):
    made = password_rotation.new_password(version)
    assert password_rotation.password_problem(version, made) is None
    assert len(made) == (20 if version == "1.6" else 40)
    action, payload = password_rotation.request(version, made)
    if version == "1.6":
        assert payload == {"key": "AuthorizationKey", "value": made.encode().hex().upper()}
        assert len(payload["value"]) == 40
    else:
        (data,) = payload["setVariableData"]
        assert (action, data["attributeValue"]) == ("SetVariables", made)
    assert password_rotation.password_problem(version, "short") is not None
    assert password_rotation.password_problem(version, "sixteen chars ok!") is not None
