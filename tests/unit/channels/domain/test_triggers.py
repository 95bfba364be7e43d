"""What the central system checks before it sends TriggerMessage (channels/domain/triggers.py)."""

from __future__ import annotations

import pytest

from ocpp_cable.channels.domain.triggers import check_trigger
from ocpp_cable.channels.storage.models import ChargePoint


def station(version: str | None) -> ChargePoint:
    return ChargePoint(id="CP-1", ocpp_version=version)


@pytest.mark.parametrize("version", ["2.0.1", "2.1"])
def test_a_2x_status_notification_is_asked_of_a_named_evse(version):
    # F06.FR.13: StatusNotification is sent per connector, so the request names its EVSE.
    refused = check_trigger(None, station(version), {"requestedMessage": "StatusNotification"})
    assert refused is not None and "name its EVSE" in refused and "F06.FR.13" in refused
    named = {"requestedMessage": "StatusNotification", "evse": {"id": 1, "connectorId": 1}}
    assert check_trigger(None, station(version), named) is None
    assert check_trigger(None, station(version), {**named, "evse": {"id": 1}}) is None


@pytest.mark.parametrize("message", ["MeterValues", "TransactionEvent", "Heartbeat"])
def test_other_messages_may_be_asked_of_every_evse(message):
    assert check_trigger(None, station("2.0.1"), {"requestedMessage": message}) is None


@pytest.mark.parametrize("version", ["1.6", None])
def test_1_6_asks_every_connector_s_status_when_it_names_none(version):
    # 1.6's TriggerMessage: no connectorId means every connector (and the station).
    assert check_trigger(None, station(version), {"requestedMessage": "StatusNotification"}) is None
