"""OCA 2.0.1 CSMS cases, block B (Provisioning): booting, Pending and Rejected."""

from __future__ import annotations

import asyncio

import pytest
from ocpp.exceptions import SecurityError
from ocpp.v201 import call

from ocpp_cable.channels.storage.models import ChargePoint, Command, Connector, MessageLog
from tests.support.conformance import T0, csms

HEARTBEAT_INTERVAL, RETRY_INTERVAL = 300, 1
SETTINGS = {"heartbeat_interval": HEARTBEAT_INTERVAL, "registration_retry_interval": RETRY_INTERVAL}
# The operator's command that sets a registration.
SETS = {"pending": "pending", "rejected": "reject"}
AVAILABILITY = {
    "event_id": 1,
    "timestamp": T0,
    "trigger": "Delta",
    "actual_value": "Available",
    "event_notification_type": "HardWiredNotification",
    "component": {"name": "Connector"},
    "variable": {"name": "AvailabilityState"},
}


def notify_event() -> call.NotifyEvent:
    return call.NotifyEvent(generated_at=T0, seq_no=0, event_data=[AVAILABILITY])


def boots_answered(system) -> list[str]:
    """The BootNotification answers' statuses, in the order they were sent."""
    answers = system.rows(
        MessageLog, MessageLog.action == "BootNotification", MessageLog.direction == "out"
    )
    return [m.payload["status"] for m in sorted(answers, key=lambda m: m.id)]


async def reports_its_connectors(system, cp) -> None:
    """Booted: the station reports its connector and an event; each is answered and kept."""
    assert await cp.status("Available") is not None
    assert await cp.call(notify_event()) is not None
    [connector] = system.rows(Connector)
    assert (connector.evse_id, connector.connector_id, connector.status) == (1, 1, "Available")
    assert [m.action for m in system.rows(MessageLog, MessageLog.action == "NotifyEvent")] == [
        "NotifyEvent",
        "NotifyEvent",
    ]  # in, and its answer out


async def test_tc_b_01_csms(tmp_path, capsys):
    """Cold Boot Charging Station - Accepted (B01): a registered station's BootNotification
    is answered Accepted with the Heartbeat interval; the status and event it reports then
    are answered, and kept."""
    async with csms(tmp_path, capsys, **SETTINGS) as system:
        system.seed()
        async with system.station() as cp:
            answer = await cp.boot()
            assert (answer.status, answer.interval) == ("Accepted", HEARTBEAT_INTERVAL)
            await reports_its_connectors(system, cp)
        [station] = system.rows(ChargePoint)
        assert (station.boot_status, station.vendor, station.model) == (
            "Accepted",
            "OCTT",
            "Virtual",
        )
        assert boots_answered(system) == ["Accepted"]


async def test_tc_b_02_csms(tmp_path, capsys):
    """Cold Boot Charging Station - Pending (B02): configured to answer the first boot
    Pending, the CSMS does so with the interval to wait; the connection stays open
    (B02.FR.06); once the operator has accepted the station, its next boot is Accepted and
    what it reports then is answered."""
    async with csms(tmp_path, capsys, **SETTINGS) as system:
        system.seed()
        code, out, err = await system.operator("stations", "pending", "CP-1")
        assert code == 0, (out, err)
        # The OCTT boots again when the interval is over, not when asked to.
        async with system.station(answers={"TriggerMessage": {"status": "Rejected"}}) as cp:
            answer = await cp.boot()
            assert (answer.status, answer.interval) == ("Pending", RETRY_INTERVAL)
            code, out, err = await system.operator("stations", "accept", "CP-1")
            assert code == 0, (out, err)
            await asyncio.sleep(answer.interval)
            answer = await cp.boot()
            assert (answer.status, answer.interval) == ("Accepted", HEARTBEAT_INTERVAL)
            await reports_its_connectors(system, cp)
        assert boots_answered(system) == ["Pending", "Accepted"]
        [station] = system.rows(ChargePoint)
        assert (station.registration, station.boot_status) == ("accepted", "Accepted")


@pytest.mark.parametrize("registration", ["pending", "rejected"])
async def test_tc_b_30_csms(tmp_path, capsys, registration):
    """Cold Boot Charging Station - Pending/Rejected - SecurityError (B02.FR.09,
    B03.FR.07): while its boot is Pending or Rejected, a station's StatusNotification and
    NotifyEvent, which nothing asked for, are answered with a SecurityError CALLERROR (its
    Heartbeat too), and nothing of them is kept."""
    async with csms(tmp_path, capsys, **SETTINGS) as system:
        system.seed()
        code, out, err = await system.operator("stations", SETS[registration], "CP-1")
        assert code == 0, (out, err)
        async with system.station() as cp:
            answer = await cp.boot()
            assert answer.status == registration.capitalize()
            status = call.StatusNotification(
                timestamp=T0, connector_status="Available", evse_id=1, connector_id=1
            )
            for refused in (status, notify_event(), call.Heartbeat()):
                with pytest.raises(SecurityError):
                    await cp.call(refused, suppress=False)
        assert system.rows(Connector) == []
        assert system.rows(MessageLog, MessageLog.action != "BootNotification") == []


@pytest.mark.parametrize("registration", ["pending", "rejected"])
async def test_tc_b_31_csms(tmp_path, capsys, registration):
    """Cold Boot Charging Station - Pending/Rejected - TriggerMessage (B02, F06): the
    operator accepts a station whose boot was answered Pending or Rejected; the CSMS asks
    it to boot again with TriggerMessage(BootNotification) rather than wait for its
    interval, answers that boot Accepted, and then what it reports."""
    async with csms(
        tmp_path, capsys, **{**SETTINGS, "registration_retry_interval": 3600}
    ) as system:
        system.seed()
        code, out, err = await system.operator("stations", SETS[registration], "CP-1")
        assert code == 0, (out, err)
        async with system.station(answers={"TriggerMessage": {"status": "Accepted"}}) as cp:
            answer = await cp.boot()
            assert (answer.status, answer.interval) == (registration.capitalize(), 3600)
            code, out, err = await system.operator("stations", "accept", "CP-1")
            assert code == 0, (out, err)
            assert await cp.request("TriggerMessage") == {"requested_message": "BootNotification"}
            answer = await cp.boot("Triggered")
            assert answer.status == "Accepted"
            await reports_its_connectors(system, cp)
        [trigger] = system.rows(Command)
        assert (trigger.action, trigger.payload, trigger.status) == (
            "TriggerMessage",
            {"requestedMessage": "BootNotification"},
            "accepted",
        )
        assert boots_answered(system) == [registration.capitalize(), "Accepted"]
