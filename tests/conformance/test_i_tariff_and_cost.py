"""OCA 2.0.1 CSMS cases, block I (Tariff and cost)."""

from __future__ import annotations

from ocpp.v201 import call

from ocpp_cable.channels.storage.models import Command, MessageLog, Transaction
from tests.support.central import command_line
from tests.support.conformance import csms
from tests.support.servers import eventually

TOKEN = {"id_token": "TAG-1", "type": "ISO14443"}
EVSE = {"id": 1, "connector_id": 1}
# The energy-based tariff the cases' memory state asks for, set up as an operator does.
TARIFF = ("tariffs", "add", "energy", "--currency", "EUR", "--per-kwh", "0.30", "--default")


def event(event_type, seq_no, trigger, at, **fields):
    info = {"transaction_id": "tx-i", **fields.pop("info", {})}
    return call.TransactionEvent(
        event_type=event_type, timestamp=at, trigger_reason=trigger, seq_no=seq_no,
        transaction_info=info, **fields,
    )  # fmt: skip


def reading(wh, at, context):
    return [{"timestamp": at, "sampled_value": [{"value": wh, "context": context}]}]


def availability(state, at):
    return call.NotifyEvent(
        generated_at=at, seq_no=0,
        event_data=[{
            "event_id": 1, "timestamp": at, "trigger": "Delta", "actual_value": state,
            "component": {"name": "Connector", "evse": {"id": 1, "connector_id": 1}},
            "variable": {"name": "AvailabilityState"}, "event_notification_type": "CustomMonitor",
        }],
    )  # fmt: skip


async def test_tc_i_01_csms(tmp_path, capsys):
    """Show EV Driver running total cost during charging (I02): the transaction is
    authorized (the Authorize and the Authorized event are Accepted), the cable plugged
    in, energy flowing; after each of two periodic meter values the CSMS's
    TransactionEventResponse holds no totalCost, so it sends CostUpdatedRequest naming
    the transaction, with the running cost of the energy so far under its tariff."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        code, out, err = await command_line(capsys, *TARIFF, "--database-url", system.url)
        assert code == 0, (out, err)
        async with system.station(answers={"CostUpdated": {}}) as cp:
            await cp.boot()
            await cp.status("Available")
            authorized = await cp.call(call.Authorize(id_token=TOKEN))
            assert authorized.id_token_info["status"] == "Accepted"
            response = await cp.call(event("Updated", 0, "Authorized", "2026-12-01T10:00:00Z",
                                           id_token=TOKEN, evse=EVSE))  # fmt: skip
            assert response.id_token_info["status"] == "Accepted"
            await cp.status("Occupied")
            await cp.call(availability("Occupied", "2026-12-01T10:00:01Z"))
            await cp.call(event("Updated", 1, "CablePluggedIn", "2026-12-01T10:00:02Z",
                                info={"charging_state": "EVConnected"}, evse=EVSE))  # fmt: skip
            await cp.call(event("Updated", 2, "ChargingStateChanged", "2026-12-01T10:00:03Z",
                                info={"charging_state": "Charging"}, evse=EVSE))  # fmt: skip
            assert cp.asked("CostUpdated") == 0  # no energy read yet: nothing to tell
            for i, (wh, at) in enumerate([(1000, "2026-12-01T10:00:04Z"),
                                          (2000, "2026-12-01T10:00:05Z")], start=1):  # fmt: skip
                periodic = event("Updated", 2 + i, "MeterValuePeriodic", at,
                                 info={"charging_state": "Charging"},
                                 meter_value=reading(wh, at, "Sample.Periodic"))  # fmt: skip
                response = await cp.call(periodic)
                assert response.total_cost is None
                update = await cp.request("CostUpdated", nth=i)
                assert update["transaction_id"] == "tx-i"
                # From the first reading (1000 Wh) on: 0 kWh, then 1 kWh at 0.30.
                assert update["total_cost"] == [0.0, 0.3][i - 1]

            def answered():  # the station's answers, recorded with what was sent
                sent = system.rows(Command, Command.action == "CostUpdated")
                return {c.status for c in sent} == {"accepted"} and sent

            sent = await eventually(answered)
            assert sorted(c.payload["totalCost"] for c in sent) == [0.0, 0.3]
        [tx] = system.rows(Transaction)
        assert (tx.cost_minor, tx.currency, tx.tariff["name"]) == (30, "EUR", "energy")


async def test_tc_i_02_csms(tmp_path, capsys):
    """Show EV Driver final total cost after charging (I03): with a tariff based on the
    energy consumed, a whole session (EV connected with the meter at 1000 Wh, authorized,
    charging, stop authorized, EV connected after the session, connector Available) ends
    with the meter at 6000 Wh; the TransactionEventResponse to the Ended event holds
    totalCost (not omitted): 5 kWh at 0.30, and the cost is kept with the transaction."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        code, out, err = await command_line(capsys, *TARIFF, "--database-url", system.url)
        assert code == 0, (out, err)
        async with system.station(answers={"CostUpdated": {}}) as cp:
            await cp.boot()
            await cp.status("Occupied")
            await cp.call(availability("Occupied", "2026-12-01T10:00:00Z"))
            await cp.call(event("Updated", 0, "CablePluggedIn", "2026-12-01T10:00:00Z",
                                info={"charging_state": "EVConnected"}, evse=EVSE,
                                meter_value=reading(1000, "2026-12-01T10:00:00Z",
                                                    "Transaction.Begin")))  # fmt: skip
            authorized = await cp.call(call.Authorize(id_token=TOKEN))
            assert authorized.id_token_info["status"] == "Accepted"
            response = await cp.call(event("Updated", 1, "Authorized", "2026-12-01T10:00:01Z",
                                           id_token=TOKEN, evse=EVSE))  # fmt: skip
            assert response.id_token_info["status"] == "Accepted"
            await cp.call(event("Updated", 2, "ChargingStateChanged", "2026-12-01T10:00:02Z",
                                info={"charging_state": "Charging"}, evse=EVSE))  # fmt: skip
            await cp.call(event("Updated", 3, "StopAuthorized", "2026-12-01T10:30:00Z",
                                info={"charging_state": "Charging"}, evse=EVSE))  # fmt: skip
            await cp.call(event("Updated", 4, "ChargingStateChanged", "2026-12-01T10:30:01Z",
                                info={"charging_state": "EVConnected"}, evse=EVSE))  # fmt: skip
            await cp.status("Available")
            await cp.call(availability("Available", "2026-12-01T10:30:02Z"))
            ended = await cp.call(event(
                "Ended", 5, "EVCommunicationLost", "2026-12-01T10:30:03Z",
                info={"charging_state": "Idle", "stopped_reason": "EVDisconnected"}, evse=EVSE,
                meter_value=reading(6000, "2026-12-01T10:30:03Z", "Transaction.End"),
            ))  # fmt: skip
            assert ended.total_cost == 1.5
        [tx] = system.rows(Transaction)
        assert (tx.energy_wh, tx.cost_minor, tx.currency) == (5000, 150, "EUR")
        answers = system.rows(MessageLog, MessageLog.message_type == "CALLRESULT",
                              MessageLog.action == "TransactionEvent")  # fmt: skip
        assert answers[-1].payload == {"totalCost": 1.5}  # what was acked is what is stored
