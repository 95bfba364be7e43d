"""What a central system's command lets a Pending station send (B02.FR.09)."""

from __future__ import annotations

import pytest

from ocpp_cable.ocppj import versions
from ocpp_cable.ocppj.schemas import read_schema
from ocpp_cable.ocppj.triggers import triggered

ACCEPTED = {"status": "Accepted"}


@pytest.mark.parametrize(
    ("action", "request_", "actions"),
    [
        ("TriggerMessage", {"requestedMessage": "StatusNotification"}, {"StatusNotification"}),
        ("TriggerMessage", {"requestedMessage": "Heartbeat"}, {"Heartbeat"}),
        ("TriggerMessage", {"requestedMessage": "BootNotification"}, {"BootNotification"}),
        ("TriggerMessage", {"requestedMessage": "SignV2GCertificate"}, {"SignCertificate"}),
        ("TriggerMessage", {"requestedMessage": "CustomTrigger", "customTrigger": "x"}, set()),
        ("GetBaseReport", {"requestId": 1, "reportBase": "FullInventory"}, {"NotifyReport"}),
        ("GetReport", {"requestId": 2}, {"NotifyReport"}),
        (
            "ExtendedTriggerMessage",
            {"requestedMessage": "SignChargePointCertificate"},
            {"SignCertificate"},
        ),
        (
            "ExtendedTriggerMessage",
            {"requestedMessage": "FirmwareStatusNotification"},
            {"FirmwareStatusNotification", "SignedFirmwareStatusNotification"},
        ),
        ("SetVariables", {"setVariableData": []}, set()),
        ("Reset", {"type": "Immediate"}, set()),
    ],
)
def test_an_accepted_command_names_what_it_triggers(action, request_, actions):
    assert triggered(action, request_, ACCEPTED) == actions


@pytest.mark.parametrize("answer", [{"status": "Rejected"}, {"status": "NotImplemented"}, {}, []])
def test_nothing_is_triggered_unless_the_station_accepted(answer):
    assert triggered("TriggerMessage", {"requestedMessage": "StatusNotification"}, answer) == set()
    assert triggered("GetBaseReport", {"requestId": 1}, answer) == set()


def test_a_request_without_a_requested_message_triggers_nothing():
    assert triggered("TriggerMessage", {}, ACCEPTED) == set()
    assert triggered("TriggerMessage", None, ACCEPTED) == set()


@pytest.mark.parametrize("version", versions.VERSIONS, ids=lambda v: v.name)
def test_every_message_a_trigger_may_ask_for_is_an_action_the_station_sends(version):
    for action in ("TriggerMessage", "ExtendedTriggerMessage"):
        if action not in version.central_actions:
            continue
        schema = read_schema(version.schemas.package, version.schemas.request_schema(action))
        requested = schema["properties"]["requestedMessage"]
        if "$ref" in requested:
            name = requested["$ref"].rsplit("/", 1)[1]
            requested = schema["definitions"][name]
        for message in requested["enum"]:
            sent = triggered(action, {"requestedMessage": message}, ACCEPTED)
            assert sent <= version.charger_actions, (version.name, message)
