"""OCA 2.0.1 CSMS cases, block J (Meter values): clock-aligned and sampled readings, in
MeterValues and in TransactionEvents, signed and not. A case's clock-aligned interval is
played in timestamps, not waited for."""

from __future__ import annotations

from ocpp.v201 import call

from ocpp_cable.channels.storage.models import MeterValue
from tests.support.conformance import csms
from tests.support.conformance_states import (
    SIGNED_AS_KEPT,
    SIGNED_METER_VALUE,
    Tx,
    at,
    authorized,
    booted,
    energy_transfer_started,
    ev_connected_pre_session,
    ev_disconnected,
    notifications,
    sent,
    stored_transaction,
)

ENERGY = "Energy.Active.Import.Register"
INTERVAL = 15  # minutes: the clock-aligned interval the station is configured with


def reading(when: str, wh: float, context: str, signed: bool = False) -> dict:
    """One meterValue: the energy register in Wh, of `context`, signed if asked."""
    sample = {"value": wh, "context": context, "measurand": ENERGY,
              "unit_of_measure": {"unit": "Wh"}}  # fmt: skip
    if signed:
        sample["signed_meter_value"] = SIGNED_METER_VALUE
    return {"timestamp": when, "sampled_value": [sample]}


def kept(system, *where) -> list[tuple]:
    """The readings stored (EVSE, time, context, format, value), by time."""
    rows = system.rows(MeterValue, *where)
    return sorted(
        (r.connector_id, r.timestamp.isoformat(), r.context, r.format or "", r.value) for r in rows
    )


async def fiscal_metering(cp, when: str, wh: float, event_id: int) -> None:
    """The periodic NotifyEvent of the FiscalMetering component beside a clock-aligned reading."""
    event = {
        "event_id": event_id, "timestamp": when, "trigger": "Periodic",
        "actual_value": str(wh), "event_notification_type": "CustomMonitor",
        "component": {"name": "FiscalMetering"}, "variable": {"name": "MeterValue"},
    }  # fmt: skip
    await sent(cp, call.NotifyEvent(generated_at=when, seq_no=0, event_data=[event]))


async def test_tc_j_01_csms(tmp_path, capsys):
    """Clock-aligned readings, no transaction (J01.FR.18): three clock-aligned MeterValues
    (Sample.Clock) of the station (EVSE 0) and of its EVSE, each with the FiscalMetering
    NotifyEvent: every one answered, every reading stored under its EVSE, in no
    transaction."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station() as cp:
            await booted(cp)
            event_id = 0
            for evse_id in (0, 1):
                for i in range(3):
                    when, wh = at(INTERVAL * (i + 1)), 1000.0 * evse_id + 100 * i
                    meter_value = [reading(when, wh, "Sample.Clock")]
                    await sent(cp, call.MeterValues(evse_id=evse_id, meter_value=meter_value))
                    event_id += 1
                    await fiscal_metering(cp, when, wh, event_id)
        readings = system.rows(MeterValue)
        assert {r.transaction_id for r in readings} == {None}
        assert kept(system) == [
            (evse_id, f"2026-12-01T10:{INTERVAL * (i + 1):02d}:00+00:00", "Sample.Clock", "",
             str(1000 * evse_id + 100 * i))
            for evse_id in (0, 1) for i in range(3)
        ]  # fmt: skip
        periodic = [p for p in notifications(system, "NotifyEvent")
                    if p["eventData"][0]["component"]["name"] == "FiscalMetering"]  # fmt: skip
        assert len(periodic) == 6


async def test_tc_j_02_csms(tmp_path, capsys):
    """Clock-aligned readings during a transaction (J01.FR.18): at each aligned time the
    station sends the station-wide reading (MeterValues, EVSE 0, with the FiscalMetering
    NotifyEvent) and the charging EVSE's in a TransactionEvent (Updated, MeterValueClock,
    Sample.Clock): answered, each stored, the EVSE's in the transaction."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station() as cp:
            await booted(cp)
            tx = Tx(cp)
            await authorized(tx)
            await energy_transfer_started(tx)
            for i in range(3):
                tx.minute = INTERVAL * (i + 1)
                when = at(tx.minute)
                await sent(
                    cp,
                    call.MeterValues(
                        evse_id=0, meter_value=[reading(when, 5000.0 + i, "Sample.Clock")]
                    ),
                )
                await fiscal_metering(cp, when, 5000.0 + i, i + 1)
                await tx.event(
                    "Updated", "MeterValueClock", with_evse=True,
                    info={"charging_state": "Charging"},
                    meter_value=[reading(when, 100.0 * (i + 1), "Sample.Clock")],
                )  # fmt: skip
        row = stored_transaction(system, tx)
        assert [r[2:] for r in kept(system, MeterValue.transaction_id == row.id)] == [
            ("Sample.Clock", "", "100"), ("Sample.Clock", "", "200"), ("Sample.Clock", "", "300"),
        ]  # fmt: skip
        assert [r[4] for r in kept(system, MeterValue.transaction_id.is_(None))] == [
            "5000", "5001", "5002",
        ]  # fmt: skip
        assert (row.meter_start, row.meter_stop) == (100, None)  # still charging


async def ended_with_readings(tx: Tx, context: str, signed: bool = False) -> None:
    """The EV is unplugged and the Ended event carries the readings of the transaction's
    end interval: `context` ones at aligned times, the last Transaction.End."""
    readings = [reading(at(30), 1200.0, context, signed), reading(at(45), 2400.0, context, signed),
                reading(at(50), 3000.0, "Transaction.End", signed)]  # fmt: skip
    tx.minute = 50
    await ev_disconnected(tx, meter_value=readings)


def ended_readings(context: str) -> list[tuple[str, str, str]]:
    return [("2026-12-01T10:30:00+00:00", context, "1200"),
            ("2026-12-01T10:45:00+00:00", context, "2400"),
            ("2026-12-01T10:50:00+00:00", "Transaction.End", "3000")]  # fmt: skip


async def test_tc_j_03_csms(tmp_path, capsys):
    """Clock-aligned readings in the Ended event (J01.FR.18): the EV is unplugged and the
    Ended event (EVCommunicationLost, EVDisconnected) carries the aligned readings
    (Sample.Clock), the last Transaction.End: answered, stored in the transaction, whose
    energy is read from them."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station() as cp:
            await booted(cp)
            tx = Tx(cp)
            await authorized(tx)
            await energy_transfer_started(tx)
            await ended_with_readings(tx, "Sample.Clock")
        row = stored_transaction(system, tx)
        rows = kept(system, MeterValue.transaction_id == row.id)
        assert [(r[1], r[2], r[4]) for r in rows] == ended_readings("Sample.Clock")
        assert (row.meter_start, row.meter_stop, row.energy_wh) == (1200, 3000, 1800)
        assert row.stop_reason == "EVDisconnected"


async def test_tc_j_04_csms(tmp_path, capsys):
    """Signed clock-aligned readings in the Ended event (J01.FR.21): as TC_J_03, each
    reading carrying its signedMeterValue: answered, and each signed reading stored with
    its signed data beside it."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station() as cp:
            await booted(cp)
            tx = Tx(cp)
            await authorized(tx)
            await energy_transfer_started(tx)
            await ended_with_readings(tx, "Sample.Clock", signed=True)
        row = stored_transaction(system, tx)
        rows = kept(system, MeterValue.transaction_id == row.id)
        assert [(r[1], r[2], r[4]) for r in rows if r[3] == ""] == ended_readings("Sample.Clock")
        signed = [(r[1], r[2], r[4]) for r in rows if r[3] == "SignedData"]
        assert signed == [
            (when, context, SIGNED_AS_KEPT) for when, context, _ in ended_readings("Sample.Clock")
        ]
        assert (row.meter_start, row.meter_stop, row.energy_wh) == (1200, 3000, 1800)


async def test_tc_j_07_csms(tmp_path, capsys):
    """The Transaction.Begin reading, EVSE known (J02.FR.19): plugging in starts the
    transaction, and the Started event (CablePluggedIn, with its EVSE) carries the
    Transaction.Begin reading: answered, stored as the transaction's meter start."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station() as cp:
            await booted(cp)
            tx = Tx(cp)
            begin = [reading(at(2), 1000.0, "Transaction.Begin")]
            await ev_connected_pre_session(tx, starts=True, meter_value=begin)
        row = stored_transaction(system, tx)
        [only] = kept(system, MeterValue.transaction_id == row.id)
        assert only == (1, "2026-12-01T10:02:00+00:00", "Transaction.Begin", "", "1000")
        assert (row.meter_start, row.evse_id) == (1000, 1)


async def test_tc_j_08_csms(tmp_path, capsys):
    """The Transaction.Begin reading, EVSE not known at authorization (J02.FR.19): the
    transaction started at authorization; the plug-in event (Updated, CablePluggedIn)
    carries the Transaction.Begin reading; then energy flows: stored as the meter start."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station() as cp:
            await booted(cp)
            tx = Tx(cp)
            await authorized(tx)
            begin = [reading(at(3), 1000.0, "Transaction.Begin")]
            await ev_connected_pre_session(tx, starts=False, meter_value=begin)
            await energy_transfer_started(tx, ev_connected=True)
        row = stored_transaction(system, tx)
        [only] = kept(system, MeterValue.transaction_id == row.id)
        assert only == (1, "2026-12-01T10:03:00+00:00", "Transaction.Begin", "", "1000")
        assert (row.meter_start, row.charging_state) == (1000, "Charging")


async def test_tc_j_09_csms(tmp_path, capsys):
    """Sampled readings in Updated events (J02.FR.19): three periodic events
    (MeterValuePeriodic, Sample.Periodic) while charging: answered, stored in the
    transaction."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station() as cp:
            await booted(cp)
            tx = Tx(cp)
            await authorized(tx)
            await energy_transfer_started(tx)
            for i in range(3):
                await tx.event(
                    "Updated", "MeterValuePeriodic", with_evse=True,
                    meter_value=[reading(tx.tick(), 1000.0 + 500 * i, "Sample.Periodic")],
                )  # fmt: skip
        row = stored_transaction(system, tx)
        rows = kept(system, MeterValue.transaction_id == row.id)
        assert [(r[0], r[2], r[4]) for r in rows] == [
            (1, "Sample.Periodic", "1000"), (1, "Sample.Periodic", "1500"),
            (1, "Sample.Periodic", "2000"),
        ]  # fmt: skip
        assert row.meter_start == 1000


async def test_tc_j_10_csms(tmp_path, capsys):
    """Sampled readings in the Ended event (J02.FR.19): the EV is unplugged and the Ended
    event carries the end interval's periodic readings (Sample.Periodic), the last
    Transaction.End: answered, stored, the energy read from them."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station() as cp:
            await booted(cp)
            tx = Tx(cp)
            await authorized(tx)
            await energy_transfer_started(tx)
            await ended_with_readings(tx, "Sample.Periodic")
        row = stored_transaction(system, tx)
        rows = kept(system, MeterValue.transaction_id == row.id)
        assert [(r[1], r[2], r[4]) for r in rows] == ended_readings("Sample.Periodic")
        assert (row.meter_start, row.meter_stop, row.energy_wh) == (1200, 3000, 1800)


async def test_tc_j_11_csms(tmp_path, capsys):
    """Signed sampled readings in the Ended event (J02.FR.21): as TC_J_10, each reading
    carrying its signedMeterValue: answered, each stored with its signed data."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station() as cp:
            await booted(cp)
            tx = Tx(cp)
            await authorized(tx)
            await energy_transfer_started(tx)
            await ended_with_readings(tx, "Sample.Periodic", signed=True)
        row = stored_transaction(system, tx)
        rows = kept(system, MeterValue.transaction_id == row.id)
        assert [(r[1], r[2], r[4]) for r in rows if r[3] == ""] == ended_readings("Sample.Periodic")
        signed = [(r[1], r[2], r[4]) for r in rows if r[3] == "SignedData"]
        assert signed == [
            (when, context, SIGNED_AS_KEPT)
            for when, context, _ in ended_readings("Sample.Periodic")
        ]
        assert (row.meter_start, row.meter_stop, row.energy_wh) == (1200, 3000, 1800)
