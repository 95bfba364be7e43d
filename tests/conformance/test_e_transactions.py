"""OCA 2.0.1 CSMS cases, block E (Transactions)."""

from __future__ import annotations

from ocpp.v201 import call

from ocpp_cable.channels.storage.models import Command, MeterValue, Transaction, TransactionEvent
from tests.support.conformance import T0, csms
from tests.support.conformance_states import (
    SIGNED_AS_KEPT,
    SIGNED_METER_VALUE,
    Tx,
    accepted,
    authorized,
    availability,
    booted,
    connector_status,
    energy_transfer_started,
    energy_transfer_suspended,
    ev_connected_post_session,
    ev_connected_pre_session,
    ev_disconnected,
    open_transaction,
    operate,
    parking_bay_occupied,
    sent,
    stop_authorized,
    stored_transaction,
)

TOKEN = {"id_token": "TAG-1", "type": "ISO14443"}


def event(event_type, seq_no, trigger, at=T0, **fields):
    info = {"transaction_id": "tx-e", **fields.pop("info", {})}
    return call.TransactionEvent(
        event_type=event_type, timestamp=at, trigger_reason=trigger, seq_no=seq_no,
        transaction_info=info, **fields,
    )  # fmt: skip


async def test_tc_e_31_csms(tmp_path, capsys):
    """Check Transaction status, a transaction that ended with messages still queued (E14):
    the CSMS asks GetTransactionStatus for the ended transaction, the station says it has
    messages in queue, then delivers them (offline events, older seqNo, after the Ended):
    each gets a TransactionEventResponse, none an error, and each is stored."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        status = {"messages_in_queue": True, "ongoing_indicator": False}
        async with system.station(answers={"GetTransactionStatus": status}) as cp:
            await cp.boot()
            await cp.call(event("Started", 0, "Authorized", id_token=TOKEN,
                                evse={"id": 1, "connector_id": 1}))  # fmt: skip
            await cp.call(event("Ended", 3, "StopAuthorized", at="2026-12-01T11:00:00Z",
                                info={"stopped_reason": "Local"}))  # fmt: skip
            code, out, err = await system.operator("transaction-status", "CP-1", "tx-e", "--wait")
            assert code == 0, (out, err)
            request = await cp.request("GetTransactionStatus")
            assert request == {"transaction_id": "tx-e"}
            assert '{"messagesInQueue":true,"ongoingIndicator":false}' in out
            # The queued events: sent while offline, before the Ended the CSMS already has.
            suspended = {"charging_state": "SuspendedEV"}
            late = [
                event("Updated", 1, "MeterValuePeriodic", at="2026-12-01T10:15:00Z", offline=True),
                event("Updated", 2, "ChargingStateChanged", "2026-12-01T10:30:00Z", offline=True,
                      info=suspended),
            ]  # fmt: skip
            for queued in late:
                assert await cp.call(queued) is not None  # a CALLERROR raises here
        stored = system.rows(TransactionEvent)
        assert sorted(e.seq_no for e in stored) == [0, 1, 2, 3]
        [tx] = system.rows(Transaction)
        # The Ended stays the transaction's last word: its state is the highest seqNo's.
        assert tx.stop_reason == "Local" and tx.seq_no == 3


def is_open(tx: Transaction) -> bool:
    return tx.stop_time is None and tx.stop_reason is None


async def test_tc_e_01_csms(tmp_path, capsys):
    """Start at PowerPathClosed (E01.FR.05): the driver authorizes (Accepted), plugs in
    (Occupied), the station starts the transaction as the power path closes (Started,
    ChargingStateChanged, SuspendedEVSE, with the idToken: Accepted) and then charges. The
    transaction is stored with its token, EVSE, connector, start and last state."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station() as cp:
            await booted(cp)
            tx = Tx(cp)
            accepted(await sent(cp, call.Authorize(id_token=tx.token)))
            await availability(cp, "Occupied", when=tx.tick())
            started = await tx.event(
                "Started", "ChargingStateChanged", with_evse=True, id_token=tx.token,
                info={"charging_state": "SuspendedEVSE"},
            )  # fmt: skip
            accepted(started)
            await tx.event("Updated", "ChargingStateChanged", info={"charging_state": "Charging"})
        row = stored_transaction(system, tx)
        assert (row.id_tag, row.id_token_type) == ("TAG-1", "ISO14443")
        assert (row.evse_id, row.connector_id, row.charging_state) == (1, 1, "Charging")
        assert row.start_time.isoformat() == "2026-12-01T10:02:00+00:00" and is_open(row)
        assert connector_status(system) == "Occupied"


async def test_tc_e_02_csms(tmp_path, capsys):
    """Start at EnergyTransfer (E01.FR.06): authorized and plugged in, the station starts
    the transaction only when energy flows (Started, ChargingStateChanged, Charging, with
    the idToken): the answer's idTokenInfo is Accepted and the transaction is stored."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station() as cp:
            await booted(cp)
            tx = Tx(cp)
            accepted(await sent(cp, call.Authorize(id_token=tx.token)))
            await availability(cp, "Occupied", when=tx.tick())
            started = await tx.event(
                "Started", "ChargingStateChanged", with_evse=True, id_token=tx.token,
                info={"charging_state": "Charging"},
            )  # fmt: skip
            accepted(started)
        row = stored_transaction(system, tx)
        assert (row.id_tag, row.evse_id, row.charging_state) == ("TAG-1", 1, "Charging")
        assert is_open(row)


async def test_tc_e_03_csms(tmp_path, capsys):
    """Local start, cable plugged in first (E02.FR.02): plugging in starts the transaction
    (Started, CablePluggedIn, EVConnected, no idToken yet); the driver then authorizes
    (Authorize and an Updated Authorized event, both Accepted) and energy flows. The
    transaction keeps the plug-in as its start and takes the token from the later event."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station() as cp:
            await booted(cp)
            tx = Tx(cp)
            await ev_connected_pre_session(tx, starts=True)
            await authorized(tx, ev_connected=True)
            await energy_transfer_started(tx, ev_connected=True)
        row = stored_transaction(system, tx)
        assert (row.id_tag, row.charging_state, row.seq_no) == ("TAG-1", "Charging", 2)
        assert row.start_time.isoformat() == "2026-12-01T10:02:00+00:00" and is_open(row)


async def test_tc_e_04_csms(tmp_path, capsys):
    """Local start, authorization first (E03.FR.02): Authorize and a Started Authorized
    event (both Accepted), then the cable is plugged in (Occupied, CablePluggedIn) and
    energy flows (Charging); every event is answered and stored."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station() as cp:
            await booted(cp)
            tx = Tx(cp)
            await authorized(tx)
            await energy_transfer_started(tx)
        row = stored_transaction(system, tx)
        assert (row.id_tag, row.evse_id, row.connector_id) == ("TAG-1", 1, 1)
        assert row.charging_state == "Charging" and is_open(row)
        assert connector_status(system) == "Occupied"


async def test_tc_e_07_csms(tmp_path, capsys):
    """Stop at PowerPathClosed, local stop (E06.FR.06): while charging, the driver stops
    and the station ends the transaction (Ended, StopAuthorized, stoppedReason Local): the
    transaction is stored as stopped then, for that reason."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station() as cp:
            await booted(cp)
            tx = Tx(cp)
            await authorized(tx)
            await energy_transfer_started(tx)
            await tx.event("Ended", "StopAuthorized", info={"stopped_reason": "Local"})
        row = stored_transaction(system, tx)
        assert row.stop_reason == "Local"
        assert row.stop_time.isoformat() == f"2026-12-01T10:{tx.minute:02d}:00+00:00"


async def test_tc_e_08_csms(tmp_path, capsys):
    """Stop when energy transfer stops, after StopAuthorized (E06.FR.07): the driver's stop
    is authorized (Updated StopAuthorized, Accepted), then the transaction ends as the
    energy stops (Ended, ChargingStateChanged, EVConnected, Local)."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station() as cp:
            await booted(cp)
            tx = Tx(cp)
            await authorized(tx)
            await energy_transfer_started(tx)
            await stop_authorized(tx)
            await tx.event(
                "Ended", "ChargingStateChanged",
                info={"charging_state": "EVConnected", "stopped_reason": "Local"},
            )  # fmt: skip
        row = stored_transaction(system, tx)
        assert (row.stop_reason, row.charging_state) == ("Local", "EVConnected")
        assert row.stop_time is not None


async def test_tc_e_09_csms(tmp_path, capsys):
    """Start at EVConnected (E01.FR.02): plugging in (Occupied) starts the transaction
    (Started, CablePluggedIn, EVConnected, with its EVSE and connector), before anyone is
    authorized: answered, and stored without a token."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station() as cp:
            await booted(cp)
            tx = Tx(cp)
            await ev_connected_pre_session(tx, starts=True)
        row = stored_transaction(system, tx)
        assert (row.evse_id, row.connector_id, row.charging_state) == (1, 1, "EVConnected")
        assert row.id_tag is None and is_open(row)
        assert connector_status(system) == "Occupied"


async def test_tc_e_10_csms(tmp_path, capsys):
    """Start at Authorized, local (E01.FR.03): the driver's Authorize and the Started
    Authorized event with the idToken are both answered Accepted; the transaction is
    stored with the token."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station() as cp:
            await booted(cp)
            tx = Tx(cp)
            await authorized(tx)
        row = stored_transaction(system, tx)
        assert (row.id_tag, row.id_token_type, row.evse_id) == ("TAG-1", "ISO14443", 1)
        assert is_open(row)


async def test_tc_e_11_csms(tmp_path, capsys):
    """Start at DataSigned (E01.FR.04): the station starts the transaction once its meter
    has signed the start reading (Started, SignedDataReceived, SuspendedEVSE, with the
    idToken and a Transaction.Begin reading carrying signedMeterValue): Accepted; then it
    charges. The reading is stored, its signed data with it."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station() as cp:
            await booted(cp)
            tx = Tx(cp)
            accepted(await sent(cp, call.Authorize(id_token=tx.token)))
            await availability(cp, "Occupied", when=tx.tick())
            reading = {
                "value": 0.0,
                "context": "Transaction.Begin",
                "signed_meter_value": SIGNED_METER_VALUE,
            }
            started = await tx.event(
                "Started", "SignedDataReceived", with_evse=True, id_token=tx.token,
                info={"charging_state": "SuspendedEVSE"},
                meter_value=[{"timestamp": tx.tick(), "sampled_value": [reading]}],
            )  # fmt: skip
            accepted(started)
            await tx.event("Updated", "ChargingStateChanged", info={"charging_state": "Charging"})
        row = stored_transaction(system, tx)
        assert (row.id_tag, row.charging_state, row.meter_start) == ("TAG-1", "Charging", 0)
        readings = system.rows(MeterValue, MeterValue.transaction_id == row.id)
        assert sorted((r.context, r.format or "", r.value) for r in readings) == [
            ("Transaction.Begin", "", "0"),
            ("Transaction.Begin", "SignedData", SIGNED_AS_KEPT),
        ]


async def test_tc_e_12_csms(tmp_path, capsys):
    """Start at ParkingBayOccupancy (E01.FR.01): the bay's detector sees an EV and the
    station starts the transaction (Started, EVDetected), no cable or token yet: answered
    and stored."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station() as cp:
            await booted(cp)
            tx = Tx(cp)
            await parking_bay_occupied(tx)
        row = stored_transaction(system, tx)
        assert row.id_tag is None and row.evse_id == 1 and is_open(row)


async def test_tc_e_14_csms(tmp_path, capsys):
    """Stop at EVConnected, cable removed at the station (E06.FR.02): after the driver
    stopped and energy ended (EVConnectedPostSession), the cable is unplugged (Available)
    and the station ends the transaction (Ended, EVCommunicationLost, Idle,
    EVDisconnected)."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station() as cp:
            await booted(cp)
            tx = Tx(cp)
            await authorized(tx)
            await energy_transfer_started(tx)
            await stop_authorized(tx)
            await ev_connected_post_session(tx)
            await ev_disconnected(tx)
        row = stored_transaction(system, tx)
        assert (row.stop_reason, row.charging_state) == ("EVDisconnected", "Idle")
        assert connector_status(system) == "Available"


async def test_tc_e_15_csms(tmp_path, capsys):
    """Stop at Authorized, local (E06.FR.03): the driver presents their idToken and the
    station ends the transaction (Ended, StopAuthorized, Local, with the idToken): the
    idTokenInfo is Accepted and the transaction stored as stopped, by its own token."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station() as cp:
            await booted(cp)
            tx = Tx(cp)
            await authorized(tx)
            await energy_transfer_started(tx)
            ended = await tx.event(
                "Ended", "StopAuthorized", id_token=tx.token, info={"stopped_reason": "Local"}
            )
            accepted(ended)
        row = stored_transaction(system, tx)
        assert row.stop_reason == "Local" and row.stop_time is not None
        assert row.stop_id_tag is None  # stopped by the token that started it


async def test_tc_e_16_csms(tmp_path, capsys):
    """Deauthorized, invalid idToken (E06.FR.04, E01.FR.11, E01.FR.12): a Started event
    names a token the CSMS does not accept; its answer's idTokenInfo says so (Invalid or
    Unknown), and the station ends the transaction (Ended, Deauthorized, DeAuthorized)."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station() as cp:
            await booted(cp)
            tx = Tx(cp, token={"id_token": "TAG-NOT-KNOWN", "type": "ISO14443"})
            started = await tx.event("Started", "Authorized", with_evse=True, id_token=tx.token)
            assert started.id_token_info["status"] in ("Invalid", "Unknown")
            await tx.event("Ended", "Deauthorized", info={"stopped_reason": "DeAuthorized"})
        row = stored_transaction(system, tx)
        assert (row.id_tag, row.stop_reason) == ("TAG-NOT-KNOWN", "DeAuthorized")


async def test_tc_e_17_csms(tmp_path, capsys):
    """Deauthorized, EV-side disconnect (E06.FR.04): the EV suspended charging
    (SuspendedEV), then its connection is lost and the station ends the transaction
    (Ended, EVCommunicationLost, Idle, EVDisconnected)."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station() as cp:
            await booted(cp)
            tx = Tx(cp)
            await authorized(tx)
            await energy_transfer_started(tx)
            await energy_transfer_suspended(tx)
            await tx.event(
                "Ended", "EVCommunicationLost",
                info={"charging_state": "Idle", "stopped_reason": "EVDisconnected"},
            )  # fmt: skip
        row = stored_transaction(system, tx)
        assert (row.stop_reason, row.charging_state) == ("EVDisconnected", "Idle")


async def test_tc_e_19_csms(tmp_path, capsys):
    """Stop at ParkingBayOccupancy (E06.FR.01): the cable is unplugged but the transaction
    goes on (Updated, EVCommunicationLost, Idle) until the EV leaves the bay (Ended,
    EVDeparted, Local)."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station() as cp:
            await booted(cp)
            tx = Tx(cp)
            await authorized(tx)
            await energy_transfer_started(tx)
            await stop_authorized(tx)
            await ev_connected_post_session(tx)
            await ev_disconnected(tx, ends=False)
            await tx.event("Ended", "EVDeparted", info={"stopped_reason": "Local"})
        row = stored_transaction(system, tx)
        assert (row.stop_reason, row.charging_state) == ("Local", "Idle")
        assert connector_status(system) == "Available"


async def test_tc_e_20_csms(tmp_path, capsys):
    """Stop at EVConnected, cable removed at the EV (a basic IEC 61851-1 EV; E06.FR.02):
    the EV suspended, then is unplugged (Available) and the station ends the transaction
    (Ended, EVCommunicationLost, Idle, EVDisconnected)."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station() as cp:
            await booted(cp)
            tx = Tx(cp)
            await authorized(tx)
            await energy_transfer_started(tx)
            await energy_transfer_suspended(tx)
            await ev_disconnected(tx)
        row = stored_transaction(system, tx)
        assert (row.stop_reason, row.charging_state) == ("EVDisconnected", "Idle")
        assert connector_status(system) == "Available"


async def test_tc_e_21_csms(tmp_path, capsys):
    """Remote stop (E06.FR.03, F03.FR.01, .09, .10): while charging, the operator stops the
    session; the CSMS sends RequestStopTransaction with the station's own transactionId,
    the station accepts and ends it (Ended, RemoteStop, Remote). The command is recorded
    with its answer and the transaction stored as stopped remotely."""
    async with csms(tmp_path, capsys, api=True) as system:
        system.seed()
        answers = {"RequestStopTransaction": {"status": "Accepted"}}
        async with system.station(answers=answers) as cp:
            await booted(cp)
            tx = Tx(cp, transaction_id="tx-remote-stop")
            await authorized(tx)
            await energy_transfer_started(tx)
            found = await open_transaction(system)
            # The operator names our transaction; the CSMS sends the station's own id.
            record = await operate(system, "remote-stop", {"transaction": str(found["id"])})
            payload = {"transactionId": found["station_transaction_id"]}
            assert await cp.request("RequestStopTransaction") == {
                "transaction_id": tx.transaction_id
            }
            assert (record["status"], record["response"]) == ("accepted", {"status": "Accepted"})
            await tx.event("Ended", "RemoteStop", info={"stopped_reason": "Remote"})
        row = stored_transaction(system, tx)
        assert row.stop_reason == "Remote" and row.stop_time is not None
        [kept] = system.rows(Command, Command.action == "RequestStopTransaction")
        assert kept.status == "accepted" and kept.payload == payload


async def test_tc_e_22_csms(tmp_path, capsys):
    """Stop when the EV stops drawing energy (E06.FR.07): the station ends the transaction
    (Ended, ChargingStateChanged, SuspendedEV, StoppedByEV)."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station() as cp:
            await booted(cp)
            tx = Tx(cp)
            await authorized(tx)
            await energy_transfer_started(tx)
            await tx.event(
                "Ended", "ChargingStateChanged",
                info={"charging_state": "SuspendedEV", "stopped_reason": "StoppedByEV"},
            )  # fmt: skip
        row = stored_transaction(system, tx)
        assert (row.stop_reason, row.charging_state) == ("StoppedByEV", "SuspendedEV")


async def test_tc_e_26_csms(tmp_path, capsys):
    """EV-side cable unplugged suspends the transaction (E10.FR.01): with the EV suspended,
    the cable comes out at the EV (Updated, EVCommunicationLost, Idle; Available) and goes
    back in (Occupied, CablePluggedIn, EVConnected), and charging resumes: the transaction
    stays open through it all."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station() as cp:
            await booted(cp)
            tx = Tx(cp)
            await authorized(tx)
            await energy_transfer_started(tx)
            await energy_transfer_suspended(tx)
            await tx.event("Updated", "EVCommunicationLost", info={"charging_state": "Idle"})
            await availability(cp, "Available", when=tx.tick())
            await ev_connected_pre_session(tx, starts=False)
            await energy_transfer_started(tx, ev_connected=True)
        row = stored_transaction(system, tx)
        assert row.charging_state == "Charging" and is_open(row)
        assert connector_status(system) == "Occupied"


async def queued_reading(tx: Tx) -> None:
    """A periodic reading the station queued while offline, delivered now (offline true)."""
    reading = {"value": 1.5, "unit_of_measure": {"unit": "kWh"}}
    await tx.event(
        "Updated", "MeterValuePeriodic", offline=True,
        meter_value=[{"timestamp": tx.tick(), "sampled_value": [reading]}],
    )  # fmt: skip


async def test_tc_e_29_csms(tmp_path, capsys):
    """Transaction status, ongoing, messages queued (E14.FR.02, .04): the station charges,
    loses its connection and comes back; the operator has the CSMS ask GetTransactionStatus
    for the station's transactionId; the station says the transaction goes on and messages
    are queued, then delivers them (offline): each answered and stored."""
    async with csms(tmp_path, capsys, api=True) as system:
        system.seed()
        async with system.station() as cp:
            await booted(cp)
            tx = Tx(cp)
            await authorized(tx)
            await energy_transfer_started(tx)
        status = {"ongoing_indicator": True, "messages_in_queue": True}
        async with system.station(answers={"GetTransactionStatus": status}) as cp:
            tx.cp = cp
            found = await open_transaction(system)
            body = {"transaction": str(found["id"])}
            record = await operate(system, "transaction-status", body)
            assert await cp.request("GetTransactionStatus") == {"transaction_id": "tx-1"}
            assert record["status"] == "accepted"
            assert record["response"] == {"ongoingIndicator": True, "messagesInQueue": True}
            await queued_reading(tx)
        row = stored_transaction(system, tx)
        assert is_open(row)
        [offline] = system.rows(TransactionEvent, TransactionEvent.offline.is_(True))
        assert offline.seq_no == tx.seq_no - 1
        [reading] = system.rows(MeterValue, MeterValue.transaction_id == row.id)
        assert (reading.value, reading.unit) == ("1.5", "kWh")


async def test_tc_e_30_csms(tmp_path, capsys):
    """Transaction status, ongoing, nothing queued (E14.FR.02, .05): the operator has the
    CSMS ask GetTransactionStatus for the charging transaction's id; the station says it
    goes on with no messages queued. The command is recorded with that answer."""
    async with csms(tmp_path, capsys, api=True) as system:
        system.seed()
        status = {"ongoing_indicator": True, "messages_in_queue": False}
        async with system.station(answers={"GetTransactionStatus": status}) as cp:
            await booted(cp)
            tx = Tx(cp)
            await authorized(tx)
            await energy_transfer_started(tx)
            found = await open_transaction(system)
            body = {"transaction": found["station_transaction_id"]}
            record = await operate(system, "transaction-status", body)
            assert await cp.request("GetTransactionStatus") == {"transaction_id": "tx-1"}
        assert record["status"] == "accepted"
        [kept] = system.rows(Command, Command.action == "GetTransactionStatus")
        assert kept.payload == {"transactionId": "tx-1"}
        assert kept.response == {"ongoingIndicator": True, "messagesInQueue": False}
        assert is_open(stored_transaction(system, tx))


async def test_tc_e_33_csms(tmp_path, capsys):
    """Transaction status without a transactionId, messages queued (E14.FR.06, .07): the
    station charges, goes offline and comes back; the CSMS asks GetTransactionStatus for
    no transaction in particular; the station says messages are queued (no ongoing
    indicator) and delivers them: answered and stored."""
    async with csms(tmp_path, capsys, api=True) as system:
        system.seed()
        async with system.station() as cp:
            await booted(cp)
            tx = Tx(cp)
            await authorized(tx)
            await energy_transfer_started(tx)
        status = {"messages_in_queue": True}
        async with system.station(answers={"GetTransactionStatus": status}) as cp:
            tx.cp = cp
            record = await operate(system, "transaction-status", {})
            assert await cp.request("GetTransactionStatus") == {}
            assert (record["status"], record["response"]) == ("accepted", {"messagesInQueue": True})
            await queued_reading(tx)
        row = stored_transaction(system, tx)
        [reading] = system.rows(MeterValue, MeterValue.transaction_id == row.id)
        assert reading.value == "1.5"


async def test_tc_e_34_csms(tmp_path, capsys):
    """Transaction status without a transactionId, nothing queued (E14.FR.06, .08): the CSMS
    asks GetTransactionStatus with no transactionId; the station has nothing queued. The
    command is recorded with that answer."""
    async with csms(tmp_path, capsys, api=True) as system:
        system.seed()
        status = {"messages_in_queue": False}
        async with system.station(answers={"GetTransactionStatus": status}) as cp:
            await booted(cp)
            record = await operate(system, "transaction-status", {})
            assert await cp.request("GetTransactionStatus") == {}
        assert (record["status"], record["response"]) == ("accepted", {"messagesInQueue": False})
        [kept] = system.rows(Command, Command.action == "GetTransactionStatus")
        assert (kept.payload, kept.response) == ({}, {"messagesInQueue": False})


async def test_tc_e_38_csms(tmp_path, capsys):
    """Local start, EV not ready (E03): authorized first, then plugged in (CablePluggedIn,
    EVConnected), but the EV does not take energy yet (ChargingStateChanged, SuspendedEV):
    answered, and the transaction stored open in that state."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station() as cp:
            await booted(cp)
            tx = Tx(cp)
            await authorized(tx)
            await ev_connected_pre_session(tx, starts=False)
            await energy_transfer_suspended(tx)
        row = stored_transaction(system, tx)
        assert row.charging_state == "SuspendedEV" and is_open(row)


async def test_tc_e_39_csms(tmp_path, capsys):
    """Deauthorized by timeout (E03.FR.04, .05, E06.FR.04): authorized, but no EV is plugged
    in before EVConnectionTimeOut; the station ends the transaction (Ended,
    EVConnectTimeout, stoppedReason Timeout)."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station() as cp:
            await booted(cp)
            tx = Tx(cp)
            await authorized(tx)
            await tx.event("Ended", "EVConnectTimeout", info={"stopped_reason": "Timeout"})
        row = stored_transaction(system, tx)
        assert row.stop_reason == "Timeout" and row.stop_time is not None


async def whole_session(tx: Tx) -> None:
    """Authorized, charging, stopped by the driver, unplugged: one transaction start to end."""
    await authorized(tx)
    await energy_transfer_started(tx)
    await stop_authorized(tx)
    await ev_connected_post_session(tx)
    await ev_disconnected(tx)


async def test_tc_e_53_csms(tmp_path, capsys):
    """seqNo starts at 0 for each transaction (E01.FR.07): two whole sessions in a row on
    one station, each numbering its events from 0; the second's Started (seqNo 0) is
    Accepted like the first's, and both transactions are stored with all their events."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station() as cp:
            await booted(cp)
            first = Tx(cp, transaction_id="tx-first")
            await whole_session(first)
            second = Tx(cp, transaction_id="tx-second", minute=first.minute)
            await whole_session(second)
        assert first.answered[0][0] == second.answered[0][0] == 0
        for tx in (first, second):
            row = stored_transaction(system, tx)
            assert (row.id_tag, row.stop_reason) == ("TAG-1", "EVDisconnected")
