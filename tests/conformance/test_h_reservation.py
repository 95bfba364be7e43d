"""OCA 2.0.1 CSMS cases, block H (Reservation).

The operator makes each reservation with our own tools (`ocpp-cable reserve`, `ocpp-cable
reservations cancel`, POST /api/v1/stations/{id}/reservations): the CSMS composes the
ReserveNow and CancelReservation itself from what the operator asked for.
"""

from __future__ import annotations

from datetime import timedelta

from ocpp.v201 import call

from ocpp_cable.channels.domain.timeutil import now, parse_time
from ocpp_cable.channels.storage import db
from ocpp_cable.channels.storage.models import (
    Command,
    Connector,
    IdTag,
    Reservation,
    StationNotification,
    Transaction,
)
from tests.support.conformance import T0, csms
from tests.support.servers import eventually

# The case's configured idToken and its type (the tool's VALID_ID_TOKEN_TYPE).
TOKEN = {"id_token": "TAG-1", "type": "Central"}
EVSE_ID, CONNECTOR_ID = 1, 1


def reserve_args(*flags: str, expires: str = "30m") -> list[str]:
    return ["reserve", "CP-1", "--id-tag", "TAG-1", "--token-type", "Central",
            "--expires", expires, *flags]  # fmt: skip


def reservation(system, reservation_id: int) -> Reservation:
    (found,) = system.rows(Reservation, Reservation.id == reservation_id)
    return found


def status_is(system, reservation_id: int, status: str):
    return lambda: reservation(system, reservation_id).status == status


def availability(status: str, evse_id: int = EVSE_ID, connector_id: int = CONNECTOR_ID):
    """The NotifyEvent a station sends with a connector's new AvailabilityState."""
    return call.NotifyEvent(
        generated_at=T0,
        seq_no=0,
        event_data=[{
            "event_id": evse_id, "timestamp": T0, "trigger": "Delta", "actual_value": status,
            "event_notification_type": "CustomMonitor",
            "component": {"name": "Connector",
                          "evse": {"id": evse_id, "connector_id": connector_id}},
            "variable": {"name": "AvailabilityState"},
        }],
    )  # fmt: skip


async def report(cp, status: str, evse_id: int = EVSE_ID) -> None:
    """The station tells of its connector's new state: StatusNotification and NotifyEvent,
    each answered (a CALLERROR would raise here)."""
    assert await cp.status(status, evse_id=evse_id) is not None
    assert await cp.call(availability(status, evse_id)) is not None


def connector_status(system, evse_id: int = EVSE_ID) -> str:
    (row,) = system.rows(Connector, Connector.station_id == "CP-1", Connector.evse_id == evse_id)
    return row.status


def notifications(system, action: str) -> list[dict]:
    return [
        n.payload for n in system.rows(StationNotification, StationNotification.action == action)
    ]


def assert_token_and_place(request: dict, evse_id: int | None, connector_type: str | None = None):
    """The tool's validations of a ReserveNowRequest: the EVSE (or none), the connector
    type (or none) and the configured idToken."""
    assert request.get("evse_id") == evse_id
    assert request.get("connector_type") == connector_type
    assert request["id_token"] == TOKEN


async def test_tc_h_01_csms(tmp_path, capsys):
    """Reserve a specific EVSE for a valid idToken (H01 S2, H03): the CSMS sends a
    ReserveNow naming the EVSE and the token, no connector type; the station accepts and
    reports the connector Reserved. The reservation is consumed by the transaction that
    token starts with its reservationId."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station(answers={"ReserveNow": {"status": "Accepted"}}) as cp:
            await cp.boot()
            await cp.status("Available")
            code, out, err = await system.operator(*reserve_args("--evse", str(EVSE_ID)))
            assert code == 0, (out, err)
            assert out.startswith("reservation 1 of EVSE 1 at CP-1 until ")
            request = await cp.request("ReserveNow")
            assert_token_and_place(request, EVSE_ID)
            assert request["id"] == 1
            await eventually(status_is(system, 1, "active"))
            await report(cp, "Reserved")
            started = await cp.call(call.TransactionEvent(
                event_type="Started", timestamp=T0, trigger_reason="Authorized", seq_no=0,
                transaction_info={"transaction_id": "tx-h01"}, id_token=TOKEN,
                evse={"id": EVSE_ID, "connector_id": CONNECTOR_ID}, reservation_id=1,
            ))  # fmt: skip
            assert started.id_token_info["status"] == "Accepted"
        [tx] = system.rows(Transaction)
        used = reservation(system, 1)
        assert (used.status, used.transaction_id, tx.reservation_id) == ("used", tx.id, 1)
        assert (used.evse_id, used.id_tag, used.id_token_type) == (EVSE_ID, "TAG-1", "Central")
        assert connector_status(system) == "Reserved"
        [event] = notifications(system, "NotifyEvent")
        assert event["eventData"][0]["actualValue"] == "Reserved"


async def test_tc_h_07_csms(tmp_path, capsys):
    """A reservation ended unused (H01 S2, H04): the CSMS reserves the EVSE until now plus
    the transaction duration; once that time has passed the station reports the connector
    Available and a ReservationStatusUpdate Expired, which the CSMS answers, and the
    reservation is expired."""
    # The tool's TRANSACTION_DURATION, in seconds: long enough that the reservation is
    # answered well before it expires on a busy machine.
    duration = 10
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station(answers={"ReserveNow": {"status": "Accepted"}}) as cp:
            await cp.boot()
            await cp.status("Available")
            asked_at = now()
            code, out, err = await system.operator(
                *reserve_args("--evse", str(EVSE_ID), expires=f"{duration}s")
            )
            assert code == 0, (out, err)
            request = await cp.request("ReserveNow")
            assert_token_and_place(request, EVSE_ID)
            expiry, _ = parse_time(request["expiry_date_time"])
            late = expiry - asked_at - timedelta(seconds=duration)  # the command's own time
            assert timedelta(0) <= late < timedelta(seconds=5)
            await eventually(status_is(system, 1, "active"))
            await report(cp, "Reserved")
            await eventually(lambda: now() > expiry, within=duration + 5)
            await report(cp, "Available")
            update = call.ReservationStatusUpdate(
                reservation_id=request["id"], reservation_update_status="Expired"
            )
            assert await cp.call(update) is not None
        ended = reservation(system, 1)
        assert (ended.status, ended.reason) == ("expired", "ReservationStatusUpdate Expired")
        assert notifications(system, "ReservationStatusUpdate") == [
            {"reservationId": 1, "reservationUpdateStatus": "Expired"}
        ]
        assert connector_status(system) == "Available"


async def test_tc_h_08_csms(tmp_path, capsys):
    """Reserve an unspecified EVSE (H01 S1, H03): the operator asks through the API with
    no EVSE; the ReserveNow names neither an EVSE nor a connector type, the station
    accepts and reports its connector Reserved."""
    async with csms(tmp_path, capsys, api=True) as system:
        system.seed()
        async with system.station(answers={"ReserveNow": {"status": "Accepted"}}) as cp:
            await cp.boot()
            await cp.status("Available")
            expiry = (now() + timedelta(minutes=30)).isoformat()
            body = {"id_tag": "TAG-1", "id_token_type": "Central", "expiry_date": expiry}
            made = await system.http("POST", "/api/v1/stations/CP-1/reservations", json=body)
            assert made.status_code == 201, made.text
            assert made.headers["location"] == "/api/v1/reservations/1"
            # The station answers at once: the record may already say so when read back.
            assert made.json()["evse_id"] is None
            assert made.json()["status"] in ("pending", "active")
            request = await cp.request("ReserveNow")
            assert_token_and_place(request, None)
            await eventually(status_is(system, 1, "active"))
            await report(cp, "Reserved")
            shown = await system.http("GET", "/api/v1/reservations/1")
            assert shown.json()["status"] == "active"
        assert connector_status(system) == "Reserved"


async def test_tc_h_14_csms(tmp_path, capsys):
    """As many unspecified-EVSE reservations as the station has EVSEs (H01 S1): the CSMS
    sends one ReserveNow without an EVSE per EVSE, each accepted; after the last, the
    station reports every connector Reserved."""
    evses = (1, 2)
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station(answers={"ReserveNow": {"status": "Accepted"}}) as cp:
            await cp.boot()
            for evse_id in evses:
                await cp.status("Available", evse_id=evse_id)
            for nth in (1, 2):
                code, out, err = await system.operator(*reserve_args())
                assert code == 0, (out, err)
                assert out.startswith(f"reservation {nth} of any EVSE at CP-1 until ")
                request = await cp.request("ReserveNow", nth=nth)
                assert_token_and_place(request, None)
                await eventually(status_is(system, nth, "active"))
            for evse_id in evses:
                await report(cp, "Reserved", evse_id)
        assert [connector_status(system, evse_id) for evse_id in evses] == ["Reserved"] * 2
        code, out, _ = await system.operator("reservations", "list", "--station", "CP-1")
        assert [line.split()[:4] for line in out.splitlines()[1:]] == [
            ["2", "CP-1", "any", "EVSE"], ["1", "CP-1", "any", "EVSE"]
        ]  # fmt: skip


async def test_tc_h_15_csms(tmp_path, capsys):
    """Reserve a connector of a type (H01 S3, H03): the operator asks through the API for
    a cType2 connector; the ReserveNow names the type and no EVSE, the station accepts
    and reports the connector Reserved."""
    async with csms(tmp_path, capsys, api=True) as system:
        system.seed()
        async with system.station(answers={"ReserveNow": {"status": "Accepted"}}) as cp:
            await cp.boot()
            await cp.status("Available")
            expiry = (now() + timedelta(minutes=30)).isoformat()
            body = {"id_tag": "TAG-1", "id_token_type": "Central", "expiry_date": expiry,
                    "connector_type": "cType2"}  # fmt: skip
            made = await system.http("POST", "/api/v1/stations/CP-1/reservations", json=body)
            assert made.status_code == 201, made.text
            request = await cp.request("ReserveNow")
            assert_token_and_place(request, None, "cType2")
            await eventually(status_is(system, 1, "active"))
            await report(cp, "Reserved")
        assert reservation(system, 1).connector_type == "cType2"
        assert connector_status(system) == "Reserved"


async def test_tc_h_17_csms(tmp_path, capsys):
    """Cancel a reservation (H02): after a reservation of the EVSE is accepted, the
    operator cancels it; the CancelReservation names the reservation the ReserveNow made,
    the station accepts and reports its connector Available again."""
    answers = {"ReserveNow": {"status": "Accepted"}, "CancelReservation": {"status": "Accepted"}}
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station(answers=answers) as cp:
            await cp.boot()
            await cp.status("Available")
            code, out, err = await system.operator(*reserve_args("--evse", str(EVSE_ID)))
            assert code == 0, (out, err)
            request = await cp.request("ReserveNow")
            assert_token_and_place(request, EVSE_ID)
            await eventually(status_is(system, 1, "active"))
            await report(cp, "Reserved")
            code, out, err = await system.operator("reservations", "cancel", str(request["id"]))
            assert code == 0, (out, err)
            cancel = await cp.request("CancelReservation")
            assert cancel == {"reservation_id": request["id"]}
            await eventually(status_is(system, 1, "cancelled"))
            await report(cp, "Available")
        cancels = system.rows(Command, Command.action == "CancelReservation")
        assert [(c.payload, c.status) for c in cancels] == [({"reservationId": 1}, "accepted")]
        assert connector_status(system) == "Available"


async def test_tc_h_19_csms(tmp_path, capsys):
    """Reserve an EVSE for a group (H01, H03): the ReserveNow names the EVSE, the token
    and its groupIdToken; the station accepts. Another token of that group is authorized
    with the same group, and its transaction uses the reservation."""
    async with csms(tmp_path, capsys) as system:
        system.seed(tags=(("TAG-1", "Accepted", None), ("TAG-2", "Accepted", None)))
        with db.session_scope(system.url) as session:
            for tag in ("TAG-1", "TAG-2"):
                session.get(IdTag, tag).parent_id_tag = "GROUP001"
        async with system.station(answers={"ReserveNow": {"status": "Accepted"}}) as cp:
            await cp.boot()
            await cp.status("Available")
            code, out, err = await system.operator(
                *reserve_args("--evse", str(EVSE_ID), "--group-id-token", "GROUP001")
            )
            assert code == 0, (out, err)
            request = await cp.request("ReserveNow")
            assert_token_and_place(request, EVSE_ID)
            assert request["group_id_token"] == {"id_token": "GROUP001", "type": "Central"}
            await eventually(status_is(system, 1, "active"))
            await report(cp, "Reserved")
            other = {"id_token": "TAG-2", "type": "Central"}
            authorized = await cp.call(call.Authorize(id_token=other))
            assert authorized.id_token_info["status"] == "Accepted"
            assert authorized.id_token_info["group_id_token"]["id_token"] == "GROUP001"
            await cp.call(call.TransactionEvent(
                event_type="Started", timestamp=T0, trigger_reason="Authorized", seq_no=0,
                transaction_info={"transaction_id": "tx-h19"}, id_token=other,
                evse={"id": EVSE_ID, "connector_id": CONNECTOR_ID}, reservation_id=1,
            ))  # fmt: skip
        [tx] = system.rows(Transaction)
        used = reservation(system, 1)
        assert (used.status, used.transaction_id, used.parent_id_tag) == ("used", tx.id, "GROUP001")


async def test_tc_h_20_csms(tmp_path, capsys):
    """The station drops a reservation when its EVSE goes Faulted (H01): after the
    reservation is accepted, the station reports the connector Faulted, then a
    ReservationStatusUpdate Removed; each is answered and the reservation has ended."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station(answers={"ReserveNow": {"status": "Accepted"}}) as cp:
            await cp.boot()
            await cp.status("Available")
            code, out, err = await system.operator(*reserve_args("--evse", str(EVSE_ID)))
            assert code == 0, (out, err)
            request = await cp.request("ReserveNow")
            assert_token_and_place(request, EVSE_ID)
            await eventually(status_is(system, 1, "active"))
            await report(cp, "Reserved")
            await report(cp, "Faulted")
            ended = reservation(system, 1)
            assert (ended.status, ended.reason) == ("ended", "EVSE 1 connector 1 Faulted")
            update = call.ReservationStatusUpdate(
                reservation_id=request["id"], reservation_update_status="Removed"
            )
            assert await cp.call(update) is not None
        assert reservation(system, 1).status == "ended"
        assert notifications(system, "ReservationStatusUpdate") == [
            {"reservationId": 1, "reservationUpdateStatus": "Removed"}
        ]
        assert connector_status(system) == "Faulted"


async def test_tc_h_22_csms(tmp_path, capsys):
    """A station configured not to take reservations (H01): it answers the ReserveNow
    Rejected; the CSMS keeps the answer and the reservation ends, holding nothing."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station(answers={"ReserveNow": {"status": "Rejected"}}) as cp:
            await cp.boot()
            await cp.status("Available")
            code, out, err = await system.operator(*reserve_args("--evse", str(EVSE_ID)))
            assert code == 0, (out, err)
            await cp.request("ReserveNow")
            await eventually(status_is(system, 1, "ended"))
            code, out, _ = await system.operator("reservations", "list")
            assert (code, out) == (0, "no reservations\n")
        assert reservation(system, 1).reason == "ReserveNow answered Rejected"
        [command] = system.rows(Command, Command.action == "ReserveNow")
        assert (command.status, command.response) == ("rejected", {"status": "Rejected"})
