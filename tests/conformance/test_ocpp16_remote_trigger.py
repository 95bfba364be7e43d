"""OCA OCPP 1.6 Central System cases, the Remote Trigger profile: TriggerMessage, and the
messages it makes the charge point send."""

from __future__ import annotations

from ocpp.v16 import call

from ocpp_cable.channels.storage.models import Connector, MeterValue, StationNotification
from tests.support.conformance import csms
from tests.support.conformance_16 import booted, operate, stamp, status


async def trigger(system, cp, requested: str, connector_id: int | None = None) -> None:
    """The operator asks for `requested` (TriggerMessage, Accepted)."""
    named = [] if connector_id is None else ["--connector", str(connector_id)]
    said = await operate(system, "trigger", "CP-1", requested, *named)
    assert said == ("accepted", {"status": "Accepted"})
    asked = await cp.request("TriggerMessage", nth=cp.asked("TriggerMessage"))
    assert asked["requested_message"] == requested
    assert asked.get("connector_id") == connector_id


async def test_tc_054_csms(tmp_path, capsys):
    """TriggerMessage for MeterValues, Heartbeat, StatusNotification (connector 1),
    DiagnosticsStatusNotification and FirmwareStatusNotification in turn, each Accepted;
    each triggered message is answered (the Heartbeat with the time) and stored: the
    reading, the connector's status, the two notifications (Idle)."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        answers = {"TriggerMessage": {"status": "Accepted"}}
        async with system.station(version="1.6", answers=answers) as cp:
            await booted(cp)
            await trigger(system, cp, "MeterValues", 1)
            reading = {"value": "1234", "measurand": "Energy.Active.Import.Register",
                       "unit": "Wh", "context": "Trigger"}  # fmt: skip
            sampled = [{"timestamp": stamp(), "sampled_value": [reading]}]
            assert await cp.call(call.MeterValues(connector_id=1, meter_value=sampled)) is not None
            await trigger(system, cp, "Heartbeat")
            assert (await cp.call(call.Heartbeat())).current_time
            await trigger(system, cp, "StatusNotification", 1)
            await status(cp, "Available", 1)
            await trigger(system, cp, "DiagnosticsStatusNotification")
            await cp.call(call.DiagnosticsStatusNotification(status="Idle"))
            await trigger(system, cp, "FirmwareStatusNotification")
            await cp.call(call.FirmwareStatusNotification(status="Idle"))
        [stored] = system.rows(MeterValue)
        assert (stored.connector_id, stored.value, stored.context) == (1, "1234", "Trigger")
        assert [c.status for c in system.rows(Connector, Connector.connector_id == 1)] == [
            "Available"
        ]
        assert [(n.action, n.payload) for n in system.rows(StationNotification)] == [
            ("DiagnosticsStatusNotification", {"status": "Idle"}),
            ("FirmwareStatusNotification", {"status": "Idle"}),
        ]


async def test_tc_055_csms(tmp_path, capsys):
    """TriggerMessage for MeterValues answered Rejected: the command is recorded as
    refused, with the answer."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        answers = {"TriggerMessage": {"status": "Rejected"}}
        async with system.station(version="1.6", answers=answers) as cp:
            await booted(cp)
            state, answer = await operate(system, "trigger", "CP-1", "MeterValues")
            assert (state, answer) == ("rejected", {"status": "Rejected"})
            assert (await cp.request("TriggerMessage"))["requested_message"] == "MeterValues"
