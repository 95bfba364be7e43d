"""OCA 2.0.1 CSMS cases, block F (Remote control): remote start and stop, unlock, and
TriggerMessage. The operator has the CSMS send RequestStartTransaction, TriggerMessage and
UnlockConnector with their own commands (`ocpp-cable remote-start|trigger|unlock`, POST
/api/v1/stations/{id}/remote-start|trigger|unlock), which the CSMS composes: the
remoteStartId is the CSMS's own."""

from __future__ import annotations

from ocpp.v201 import call

from ocpp_cable.channels.storage.models import Command, Connector, MeterValue
from tests.support.conformance import csms
from tests.support.conformance_states import (
    Tx,
    accepted,
    authorized,
    availability,
    booted,
    connector_status,
    energy_transfer_started,
    ev_connected_pre_session,
    notifications,
    operate,
    sent,
    stored_transaction,
)


def kept(system, action: str) -> Command:
    """The one command of `action` the central system recorded."""
    [row] = system.rows(Command, Command.action == action)
    return row


async def asked_to_start(system, cp, tx: Tx) -> int:
    """The operator starts a session remotely for the valid idToken on the configured EVSE:
    the request names the token (the tool's validation) and a remoteStartId of the CSMS's,
    and the station's answer is recorded. The remoteStartId."""
    body = {"id_tag": tx.token["id_token"], "token_type": tx.token["type"], "evse": tx.evse_id}
    record = await operate(system, "remote-start", body)
    request = await cp.request("RequestStartTransaction")
    assert request["id_token"] == {"id_token": "TAG-1", "type": "ISO14443"}
    assert request["evse_id"] == tx.evse_id
    assert 1 <= request["remote_start_id"] <= 2**31 - 1
    assert record["status"] == "accepted", record
    return request["remote_start_id"]


async def test_tc_f_01_csms(tmp_path, capsys):
    """Remote start, cable plugged in first (F01): the EV is connected (the transaction
    started at plug-in); the operator has the CSMS send RequestStartTransaction with the
    valid idToken; the station accepts with its transactionId and reports the remote
    start (Updated, RemoteStart, the remoteStartId), then charges. The transaction keeps
    the token and the remoteStartId, the command the station's answer."""
    async with csms(tmp_path, capsys, api=True) as system:
        system.seed()
        # The transaction started at plug-in: the station names it in its answer.
        answer = {"status": "Accepted", "transaction_id": "tx-1"}
        async with system.station(answers={"RequestStartTransaction": answer}) as cp:
            await booted(cp)
            tx = Tx(cp, transaction_id="tx-1")
            await ev_connected_pre_session(tx, starts=True)
            remote_start_id = await asked_to_start(system, cp, tx)
            started = await tx.event(
                "Updated", "RemoteStart", with_evse=True, id_token=tx.token,
                info={"remote_start_id": remote_start_id},
            )  # fmt: skip
            accepted(started)
            await energy_transfer_started(tx, ev_connected=True)
        row = stored_transaction(system, tx)
        assert (row.id_tag, row.remote_start_id, row.charging_state) == (
            "TAG-1", remote_start_id, "Charging",
        )  # fmt: skip
        assert kept(system, "RequestStartTransaction").response == {
            "status": "Accepted", "transactionId": "tx-1",
        }  # fmt: skip


async def test_tc_f_02_csms(tmp_path, capsys):
    """Remote start first, AuthorizeRemoteStart true (F02.FR.01, F01.FR.01): the CSMS sends
    RequestStartTransaction with the valid idToken; the station accepts (no transaction
    yet), authorizes the token (Authorize: Accepted), starts the transaction (Started,
    RemoteStart, the remoteStartId) and, once plugged in, charges."""
    async with csms(tmp_path, capsys, api=True) as system:
        system.seed()
        answers = {"RequestStartTransaction": {"status": "Accepted"}}
        async with system.station(answers=answers) as cp:
            await booted(cp)
            tx = Tx(cp)
            remote_start_id = await asked_to_start(system, cp, tx)
            accepted(await sent(cp, call.Authorize(id_token=tx.token)))
            started = await tx.event(
                "Started", "RemoteStart", with_evse=True, id_token=tx.token,
                info={"remote_start_id": remote_start_id},
            )  # fmt: skip
            accepted(started)
            await energy_transfer_started(tx)
        row = stored_transaction(system, tx)
        assert (row.id_tag, row.remote_start_id, row.charging_state) == (
            "TAG-1", remote_start_id, "Charging",
        )  # fmt: skip
        assert kept(system, "RequestStartTransaction").response == {"status": "Accepted"}


async def test_tc_f_03_csms(tmp_path, capsys):
    """Remote start first, AuthorizeRemoteStart false (F02.FR.01, F01.FR.02): the station
    accepts RequestStartTransaction and starts the transaction at once, with no Authorize
    (Started, RemoteStart, the remoteStartId): Accepted; then it charges."""
    async with csms(tmp_path, capsys, api=True) as system:
        system.seed()
        answers = {"RequestStartTransaction": {"status": "Accepted"}}
        async with system.station(answers=answers) as cp:
            await booted(cp)
            tx = Tx(cp)
            remote_start_id = await asked_to_start(system, cp, tx)
            started = await tx.event(
                "Started", "RemoteStart", with_evse=True, id_token=tx.token,
                info={"remote_start_id": remote_start_id},
            )  # fmt: skip
            accepted(started)
            await energy_transfer_started(tx)
        row = stored_transaction(system, tx)
        assert (row.id_tag, row.remote_start_id, row.charging_state) == (
            "TAG-1", remote_start_id, "Charging",
        )  # fmt: skip


async def test_tc_f_04_csms(tmp_path, capsys):
    """Remote start first, no cable before the timeout (E03.FR.04, .05): the station starts
    the transaction on the CSMS's RequestStartTransaction (Started, RemoteStart), but no
    EV is plugged in before EVConnectionTimeOut and it reports so (Updated,
    EVConnectTimeout): answered and stored."""
    async with csms(tmp_path, capsys, api=True) as system:
        system.seed()
        answers = {"RequestStartTransaction": {"status": "Accepted"}}
        async with system.station(answers=answers) as cp:
            await booted(cp)
            tx = Tx(cp)
            remote_start_id = await asked_to_start(system, cp, tx)
            started = await tx.event(
                "Started", "RemoteStart", with_evse=True, id_token=tx.token,
                info={"remote_start_id": remote_start_id},
            )  # fmt: skip
            accepted(started)
            await tx.event("Updated", "EVConnectTimeout")
        row = stored_transaction(system, tx)
        assert (row.id_tag, row.remote_start_id) == ("TAG-1", remote_start_id)


async def test_tc_f_06_csms(tmp_path, capsys):
    """Remote unlock, no transaction (F05): the CSMS sends UnlockConnector for the
    configured EVSE and connector; the station answers Unlocked, recorded as done."""
    async with csms(tmp_path, capsys, api=True) as system:
        system.seed()
        async with system.station(answers={"UnlockConnector": {"status": "Unlocked"}}) as cp:
            await booted(cp)
            record = await operate(system, "unlock", {"evse": 1, "connector": 1})
            assert await cp.request("UnlockConnector") == {"evse_id": 1, "connector_id": 1}
        assert (record["status"], record["response"]) == ("accepted", {"status": "Unlocked"})
        assert kept(system, "UnlockConnector").response == {"status": "Unlocked"}


async def triggered(system, cp, body: dict) -> dict:
    """The operator has the CSMS send TriggerMessage; the request as the station got it."""
    record = await operate(system, "trigger", body)
    assert (record["status"], record["response"]) == ("accepted", {"status": "Accepted"})
    return await cp.request("TriggerMessage")


def trigger_reading(at: str, value: float = 1234.0) -> list[dict]:
    return [{"timestamp": at, "sampled_value": [{"value": value, "context": "Trigger"}]}]


ACCEPT = {"TriggerMessage": {"status": "Accepted"}}


async def test_tc_f_11_csms(tmp_path, capsys):
    """TriggerMessage MeterValues for one EVSE (F06.FR.01, .02): the request names the
    EVSE; the station sends MeterValues of that EVSE (context Trigger), answered and
    stored as that EVSE's readings."""
    async with csms(tmp_path, capsys, api=True) as system:
        system.seed()
        async with system.station(answers=ACCEPT) as cp:
            await booted(cp)
            request = await triggered(system, cp, {"message": "MeterValues", "evse": 1})
            assert request == {"requested_message": "MeterValues", "evse": {"id": 1}}
            await sent(
                cp, call.MeterValues(evse_id=1, meter_value=trigger_reading("2026-12-01T10:05:00Z"))
            )
        [reading] = system.rows(MeterValue)
        assert (reading.connector_id, reading.context, reading.value) == (1, "Trigger", "1234")


async def test_tc_f_12_csms(tmp_path, capsys):
    """TriggerMessage MeterValues for every EVSE (F06.FR.01): no EVSE in the request; the
    station sends MeterValues for each of its EVSEs (context Trigger): each answered and
    stored."""
    async with csms(tmp_path, capsys, api=True) as system:
        system.seed()
        async with system.station(answers=ACCEPT) as cp:
            await booted(cp, connectors=((1, 1), (2, 1)))
            request = await triggered(system, cp, {"message": "MeterValues"})
            assert request == {"requested_message": "MeterValues"}
            for evse_id in (1, 2):
                reading = trigger_reading("2026-12-01T10:05:00Z", 1000.0 * evse_id)
                await sent(cp, call.MeterValues(evse_id=evse_id, meter_value=reading))
        readings = system.rows(MeterValue)
        assert sorted((r.connector_id, r.context, r.value) for r in readings) == [
            (1, "Trigger", "1000"), (2, "Trigger", "2000"),
        ]  # fmt: skip


async def test_tc_f_13_csms(tmp_path, capsys):
    """TriggerMessage TransactionEvent for one EVSE (F06.FR.01, .02): during a charging
    transaction the request names the EVSE; the station sends an Updated event (Trigger,
    Charging, a reading of context Trigger) for it: answered and stored."""
    async with csms(tmp_path, capsys, api=True) as system:
        system.seed()
        async with system.station(answers=ACCEPT) as cp:
            await booted(cp)
            tx = Tx(cp)
            await authorized(tx)
            await energy_transfer_started(tx)
            request = await triggered(system, cp, {"message": "TransactionEvent", "evse": 1})
            assert request == {"requested_message": "TransactionEvent", "evse": {"id": 1}}
            await tx.event(
                "Updated", "Trigger", with_evse=True, info={"charging_state": "Charging"},
                meter_value=trigger_reading(tx.tick()),
            )  # fmt: skip
        row = stored_transaction(system, tx)
        [reading] = system.rows(MeterValue, MeterValue.transaction_id == row.id)
        assert (reading.context, reading.value, reading.connector_id) == ("Trigger", "1234", 1)


async def test_tc_f_14_csms(tmp_path, capsys):
    """TriggerMessage TransactionEvent for every EVSE (F06.FR.01): no EVSE in the request;
    the station sends an Updated event (Trigger, Charging, a reading of context Trigger)
    for its one running transaction: answered and stored."""
    async with csms(tmp_path, capsys, api=True) as system:
        system.seed()
        async with system.station(answers=ACCEPT) as cp:
            await booted(cp)
            tx = Tx(cp)
            await authorized(tx)
            await energy_transfer_started(tx)
            request = await triggered(system, cp, {"message": "TransactionEvent"})
            assert request == {"requested_message": "TransactionEvent"}
            await tx.event(
                "Updated", "Trigger", info={"charging_state": "Charging"},
                meter_value=trigger_reading(tx.tick()),
            )  # fmt: skip
        row = stored_transaction(system, tx)
        [reading] = system.rows(MeterValue, MeterValue.transaction_id == row.id)
        assert (reading.context, reading.value) == ("Trigger", "1234")


async def test_tc_f_15_csms(tmp_path, capsys):
    """TriggerMessage LogStatusNotification, no upload going on (F06.FR.01): the station
    sends LogStatusNotification Idle, answered and kept with its notifications."""
    async with csms(tmp_path, capsys, api=True) as system:
        system.seed()
        async with system.station(answers=ACCEPT) as cp:
            await booted(cp)
            request = await triggered(system, cp, {"message": "LogStatusNotification"})
            assert request == {"requested_message": "LogStatusNotification"}
            await sent(cp, call.LogStatusNotification(status="Idle"))
        assert notifications(system, "LogStatusNotification") == [{"status": "Idle"}]


async def test_tc_f_18_csms(tmp_path, capsys):
    """TriggerMessage FirmwareStatusNotification, no update going on (F06.FR.01): the
    station sends FirmwareStatusNotification Idle, answered and kept."""
    async with csms(tmp_path, capsys, api=True) as system:
        system.seed()
        async with system.station(answers=ACCEPT) as cp:
            await booted(cp)
            request = await triggered(system, cp, {"message": "FirmwareStatusNotification"})
            assert request == {"requested_message": "FirmwareStatusNotification"}
            await sent(cp, call.FirmwareStatusNotification(status="Idle"))
        assert notifications(system, "FirmwareStatusNotification") == [{"status": "Idle"}]


async def test_tc_f_20_csms(tmp_path, capsys):
    """TriggerMessage Heartbeat (F06.FR.01): the station sends a Heartbeat and gets the
    central system's current time."""
    async with csms(tmp_path, capsys, api=True) as system:
        system.seed()
        async with system.station(answers=ACCEPT) as cp:
            await booted(cp)
            request = await triggered(system, cp, {"message": "Heartbeat"})
            assert request == {"requested_message": "Heartbeat"}
            answer = await sent(cp, call.Heartbeat())
            assert answer.current_time
        assert kept(system, "TriggerMessage").response == {"status": "Accepted"}


async def test_tc_f_23_csms(tmp_path, capsys):
    """TriggerMessage StatusNotification of an Available connector (F06.FR.01, .02, .13):
    the CSMS names the EVSE, as it must for StatusNotification (and refuses to send one
    that names none); the station reports the connector Available (StatusNotification and
    NotifyEvent AvailabilityState), stored as its status."""
    async with csms(tmp_path, capsys, api=True) as system:
        system.seed()
        async with system.station(answers=ACCEPT) as cp:
            await booted(cp)
            # Asked for no EVSE, by its command or written out: refused, nothing sent.
            for path, body in (
                ("trigger", {"message": "StatusNotification"}),
                ("commands", {"action": "TriggerMessage",
                              "payload": {"requestedMessage": "StatusNotification"}}),
            ):  # fmt: skip
                refused = await system.http("POST", f"/api/v1/stations/CP-1/{path}", json=body)
                assert refused.status_code == 422, refused.text
            body = {"message": "StatusNotification", "evse": 1, "connector": 1}
            request = await triggered(system, cp, body)
            assert request == {
                "requested_message": "StatusNotification", "evse": {"id": 1, "connector_id": 1},
            }  # fmt: skip
            await availability(cp, "Available", when="2026-12-01T10:05:00Z")
        assert kept(system, "TriggerMessage").payload == {
            "requestedMessage": "StatusNotification", "evse": {"id": 1, "connectorId": 1},
        }  # fmt: skip
        assert connector_status(system) == "Available"
        [connector] = system.rows(Connector)
        assert connector.updated_at.isoformat() == "2026-12-01T10:05:00+00:00"
        assert (
            notifications(system, "NotifyEvent")[-1]["eventData"][0]["actualValue"] == "Available"
        )


async def test_tc_f_24_csms(tmp_path, capsys):
    """TriggerMessage StatusNotification of an Occupied connector (F06.FR.01, .02, .13):
    the connector is Occupied; asked for its status (the EVSE named), the station reports
    Occupied again, answered and stored."""
    async with csms(tmp_path, capsys, api=True) as system:
        system.seed()
        async with system.station(answers=ACCEPT) as cp:
            await booted(cp)
            await availability(cp, "Occupied", when="2026-12-01T10:01:00Z")
            body = {"message": "StatusNotification", "evse": 1, "connector": 1}
            request = await triggered(system, cp, body)
            assert request == {
                "requested_message": "StatusNotification", "evse": {"id": 1, "connector_id": 1},
            }  # fmt: skip
            await availability(cp, "Occupied", when="2026-12-01T10:05:00Z")
        assert connector_status(system) == "Occupied"
        [connector] = system.rows(Connector)
        assert connector.updated_at.isoformat() == "2026-12-01T10:05:00+00:00"


async def test_tc_f_27_csms(tmp_path, capsys):
    """TriggerMessage the station has not implemented (F06.FR.08): it answers
    NotImplemented; the CSMS records the command as refused, with that answer."""
    async with csms(tmp_path, capsys, api=True) as system:
        system.seed()
        answers = {"TriggerMessage": {"status": "NotImplemented"}}
        async with system.station(answers=answers) as cp:
            await booted(cp)
            body = {"message": "SignChargingStationCertificate"}
            record = await operate(system, "trigger", body)
            assert await cp.request("TriggerMessage") == {
                "requested_message": "SignChargingStationCertificate"
            }
        assert (record["status"], record["response"]) == ("rejected", {"status": "NotImplemented"})
