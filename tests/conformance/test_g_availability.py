"""OCA 2.0.1 CSMS cases, block G (Availability): ChangeAvailability of the station, an
EVSE or a connector, with and without a transaction running, and a connector's lock
failure. The operator has the CSMS send ChangeAvailability with its own command
(`ocpp-cable availability`, POST /api/v1/stations/{id}/availability), which the CSMS
composes in the station's version."""

from __future__ import annotations

from ocpp.v201 import call

from ocpp_cable.channels.storage.models import Command, Connector
from tests.support.conformance import csms
from tests.support.conformance_states import (
    Tx,
    at,
    authorized,
    availability,
    booted,
    connector_status,
    energy_transfer_started,
    ev_connected_post_session,
    ev_disconnected,
    notifications,
    operate,
    sent,
    stop_authorized,
    stored_transaction,
    unavailable,
)

TWO_EVSES = ((1, 1), (2, 1))


def statuses(system) -> dict[tuple[int, int], str]:
    """Each connector's status as the central system keeps it, by (EVSE, connector)."""
    return {(c.evse_id, c.connector_id): c.status for c in system.rows(Connector)}


def availability_events(system) -> list[tuple[str, str]]:
    """The AvailabilityState events the central system kept: (component, actualValue)."""
    kept = [
        event for payload in notifications(system, "NotifyEvent") for event in payload["eventData"]
    ]
    return [
        (event["component"]["name"], event["actualValue"])
        for event in kept
        if event["variable"]["name"] == "AvailabilityState"
    ]


async def test_tc_g_03_csms(tmp_path, capsys):
    """An EVSE from Operative to Inoperative (G03): the CSMS sends ChangeAvailability
    Inoperative naming the EVSE and no connector; the station accepts and reports its
    connector Unavailable (StatusNotification, NotifyEvent): stored."""
    async with csms(tmp_path, capsys, api=True) as system:
        system.seed()
        async with system.station() as cp:
            await booted(cp)
            record = await unavailable(system, cp, evse_id=1)
            request = await cp.request("ChangeAvailability")
            assert request == {"operational_status": "Inoperative", "evse": {"id": 1}}
        assert record["response"] == {"status": "Accepted"}
        assert connector_status(system) == "Unavailable"
        assert availability_events(system)[-1] == ("Connector", "Unavailable")


async def test_tc_g_04_csms(tmp_path, capsys):
    """An EVSE from Inoperative back to Operative (G03): with the EVSE Unavailable, the
    CSMS sends ChangeAvailability Operative naming the EVSE and no connector; the station
    accepts and reports the connector Available again: stored."""
    async with csms(tmp_path, capsys, api=True) as system:
        system.seed()
        async with system.station() as cp:
            await booted(cp)
            await unavailable(system, cp, evse_id=1)
            record = await operate(system, "availability", {"operative": True, "evse": 1})
            assert await cp.request("ChangeAvailability", nth=2) == {
                "operational_status": "Operative", "evse": {"id": 1},
            }  # fmt: skip
            assert (record["status"], record["response"]) == ("accepted", {"status": "Accepted"})
            await availability(cp, "Available", when=at(40))
        assert connector_status(system) == "Available"
        assert availability_events(system)[-1] == ("Connector", "Available")


async def test_tc_g_05_csms(tmp_path, capsys):
    """The whole station from Operative to Inoperative (G04): ChangeAvailability
    Inoperative names no EVSE; the station accepts and reports every connector
    Unavailable: each stored."""
    async with csms(tmp_path, capsys, api=True) as system:
        system.seed()
        async with system.station(answers={"ChangeAvailability": {"status": "Accepted"}}) as cp:
            await booted(cp, connectors=TWO_EVSES)
            record = await operate(system, "availability", {"operative": False})
            assert await cp.request("ChangeAvailability") == {"operational_status": "Inoperative"}
            assert (record["status"], record["response"]) == ("accepted", {"status": "Accepted"})
            for evse_id, connector_id in TWO_EVSES:
                await availability(cp, "Unavailable", evse_id, connector_id, at(30))
        assert statuses(system) == {(1, 1): "Unavailable", (2, 1): "Unavailable"}


async def test_tc_g_06_csms(tmp_path, capsys):
    """The whole station from Inoperative back to Operative (G04): with every connector
    Unavailable, ChangeAvailability Operative names no EVSE; the station accepts and
    reports every connector Available: each stored."""
    async with csms(tmp_path, capsys, api=True) as system:
        system.seed()
        async with system.station() as cp:
            await booted(cp, connectors=TWO_EVSES)
            await unavailable(system, cp)
            await availability(cp, "Unavailable", 2, 1, at(30))
            assert statuses(system) == {(1, 1): "Unavailable", (2, 1): "Unavailable"}
            record = await operate(system, "availability", {"operative": True})
            assert await cp.request("ChangeAvailability", nth=2) == {
                "operational_status": "Operative"
            }
            assert (record["status"], record["response"]) == ("accepted", {"status": "Accepted"})
            for evse_id, connector_id in TWO_EVSES:
                await availability(cp, "Available", evse_id, connector_id, at(40))
        assert statuses(system) == {(1, 1): "Available", (2, 1): "Available"}


async def test_tc_g_07_csms(tmp_path, capsys):
    """A connector from Operative to Inoperative (G03): ChangeAvailability Inoperative
    names the EVSE and the connector; the station accepts and reports that connector
    Unavailable, and only it: stored."""
    async with csms(tmp_path, capsys, api=True) as system:
        system.seed()
        async with system.station() as cp:
            await booted(cp, connectors=TWO_EVSES)
            await unavailable(system, cp, evse_id=1, connector_id=1)
            assert await cp.request("ChangeAvailability") == {
                "operational_status": "Inoperative", "evse": {"id": 1, "connector_id": 1},
            }  # fmt: skip
        assert statuses(system) == {(1, 1): "Unavailable", (2, 1): "Available"}


async def test_tc_g_08_csms(tmp_path, capsys):
    """A connector from Inoperative back to Operative (G03): with the connector
    Unavailable, ChangeAvailability Operative names the EVSE and the connector; the
    station accepts and reports it Available: stored."""
    async with csms(tmp_path, capsys, api=True) as system:
        system.seed()
        async with system.station() as cp:
            await booted(cp)
            await unavailable(system, cp, evse_id=1, connector_id=1)
            body = {"operative": True, "evse": 1, "connector": 1}
            record = await operate(system, "availability", body)
            assert await cp.request("ChangeAvailability", nth=2) == {
                "operational_status": "Operative", "evse": {"id": 1, "connector_id": 1},
            }  # fmt: skip
            assert (record["status"], record["response"]) == ("accepted", {"status": "Accepted"})
            await availability(cp, "Available", when=at(40))
        assert connector_status(system) == "Available"


async def session_ends(tx: Tx) -> None:
    """The running session ends: the driver stops it, energy stops, the EV is unplugged."""
    await stop_authorized(tx)
    await ev_connected_post_session(tx)
    await ev_disconnected(tx)


SCHEDULED = {"ChangeAvailability": {"status": "Scheduled"}}


async def test_tc_g_11_csms(tmp_path, capsys):
    """An EVSE Inoperative during a transaction (G03): ChangeAvailability Inoperative for
    the charging EVSE is Scheduled (recorded so); when the session has ended (stopped,
    unplugged), the station reports the connector Unavailable: the transaction and the
    new status are stored."""
    async with csms(tmp_path, capsys, api=True) as system:
        system.seed()
        async with system.station(answers=SCHEDULED) as cp:
            await booted(cp)
            tx = Tx(cp)
            await authorized(tx)
            await energy_transfer_started(tx)
            record = await operate(system, "availability", {"operative": False, "evse": 1})
            assert await cp.request("ChangeAvailability") == {
                "operational_status": "Inoperative", "evse": {"id": 1},
            }  # fmt: skip
            assert (record["status"], record["response"]) == ("accepted", {"status": "Scheduled"})
            await session_ends(tx)
            await availability(cp, "Unavailable", when=tx.tick())
        assert stored_transaction(system, tx).stop_reason == "EVDisconnected"
        assert connector_status(system) == "Unavailable"


async def test_tc_g_14_csms(tmp_path, capsys):
    """The whole station Inoperative during a transaction (G04): ChangeAvailability with
    no EVSE is Scheduled; the idle EVSE goes Unavailable at once, the charging one when its
    session has ended: every connector's status stored."""
    async with csms(tmp_path, capsys, api=True) as system:
        system.seed()
        async with system.station(answers=SCHEDULED) as cp:
            await booted(cp, connectors=TWO_EVSES)
            tx = Tx(cp)
            await authorized(tx)
            await energy_transfer_started(tx)
            record = await operate(system, "availability", {"operative": False})
            assert await cp.request("ChangeAvailability") == {"operational_status": "Inoperative"}
            assert (record["status"], record["response"]) == ("accepted", {"status": "Scheduled"})
            await availability(cp, "Unavailable", 2, 1, tx.tick())
            assert statuses(system) == {(1, 1): "Occupied", (2, 1): "Unavailable"}
            await session_ends(tx)
            await availability(cp, "Unavailable", 1, 1, tx.tick())
        assert stored_transaction(system, tx).stop_time is not None
        assert statuses(system) == {(1, 1): "Unavailable", (2, 1): "Unavailable"}


async def test_tc_g_17_csms(tmp_path, capsys):
    """A connector Inoperative during a transaction (G03): ChangeAvailability for the
    charging connector (EVSE and connector named) is Scheduled; once the session has
    ended, the station reports it Unavailable: stored."""
    async with csms(tmp_path, capsys, api=True) as system:
        system.seed()
        async with system.station(answers=SCHEDULED) as cp:
            await booted(cp)
            tx = Tx(cp)
            await authorized(tx)
            await energy_transfer_started(tx)
            body = {"operative": False, "evse": 1, "connector": 1}
            record = await operate(system, "availability", body)
            assert await cp.request("ChangeAvailability") == {
                "operational_status": "Inoperative", "evse": {"id": 1, "connector_id": 1},
            }  # fmt: skip
            assert (record["status"], record["response"]) == ("accepted", {"status": "Scheduled"})
            await session_ends(tx)
            await availability(cp, "Unavailable", when=tx.tick())
        assert stored_transaction(system, tx).stop_time is not None
        assert connector_status(system) == "Unavailable"
        [kept] = system.rows(Command, Command.action == "ChangeAvailability")
        sent_as = {"operationalStatus": "Inoperative", "evse": {"id": 1, "connectorId": 1}}
        assert (kept.payload, kept.response) == (sent_as, {"status": "Scheduled"})


async def test_tc_g_20_csms(tmp_path, capsys):
    """A connector's lock failure (G05.FR.03): the station reports the
    ConnectorPlugRetentionLock's Problem (NotifyEvent, Delta, actualValue true); the CSMS
    answers NotifyEventResponse and keeps the event as sent."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station() as cp:
            await booted(cp)
            event = {
                "event_id": 7, "timestamp": at(5), "trigger": "Delta", "actual_value": "true",
                "event_notification_type": "HardWiredNotification", "tech_code": "LockFailure",
                "component": {"name": "ConnectorPlugRetentionLock",
                              "evse": {"id": 1, "connector_id": 1}},
                "variable": {"name": "Problem"},
            }  # fmt: skip
            await sent(cp, call.NotifyEvent(generated_at=at(5), seq_no=0, event_data=[event]))
        [kept] = notifications(system, "NotifyEvent")[-1:]
        assert kept["eventData"] == [{
            "eventId": 7, "timestamp": at(5), "trigger": "Delta", "actualValue": "true",
            "eventNotificationType": "HardWiredNotification", "techCode": "LockFailure",
            "component": {"name": "ConnectorPlugRetentionLock",
                          "evse": {"id": 1, "connectorId": 1}},
            "variable": {"name": "Problem"},
        }]  # fmt: skip
