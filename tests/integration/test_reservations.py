"""Reservations: `ocpp-cable reserve|reservations` and /api/v1/.../reservations, against
an `ocpp` 1.6 ChargePoint that answers ReserveNow and CancelReservation, through the
gateway; what its StartTransaction and StatusNotification change."""

from __future__ import annotations

import json
from datetime import timedelta

import httpx
from ocpp.exceptions import NotSupportedError
from ocpp.routing import on
from ocpp.v16 import call, call_result
from ocpp.v16.enums import Action

from ocpp_cable.channels.domain import reservations
from ocpp_cable.channels.domain.timeutil import now
from ocpp_cable.channels.storage import db
from ocpp_cable.channels.storage.models import (
    ChargePoint,
    Command,
    IdTag,
    Reservation,
    StationConfiguration,
)
from tests.support.api import api_server, bearer, make_token
from tests.support.central import (
    CentralCharger,
    central_system,
    connected,
    operator,
    rows,
    seed,
)
from tests.support.servers import eventually, subscribed

T0 = "2026-12-01T10:00:00Z"
TAGS = (("TAG-1", "Accepted", None), ("TAG-2", "Blocked", None))


class ReservingCharger(CentralCharger):
    """Answers ReserveNow with `reserve_answer` ("error": a CALLERROR) and CancelReservation
    with `cancel_answer`; keeps what it was asked."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.reserved: list[dict] = []
        self.reserve_answer, self.cancel_answer = "Accepted", "Accepted"

    @on(Action.reserve_now)
    def on_reserve_now(self, **request):
        self.reserved.append(request)
        if self.reserve_answer == "error":
            raise NotSupportedError("no reservations here")
        return call_result.ReserveNow(status=self.reserve_answer)

    @on(Action.cancel_reservation)
    def on_cancel_reservation(self, reservation_id, **_):
        return call_result.CancelReservation(status=self.cancel_answer)


def reservation(url: str, reservation_id: int) -> Reservation:
    (found,) = rows(url, Reservation, Reservation.id == reservation_id)
    return found


def status_is(url: str, reservation_id: int, status: str):
    return lambda: reservation(url, reservation_id).status == status


def reserve_args(connector: int = 1, tag: str = "TAG-1", expires: str = "30m") -> list[str]:
    return ["reserve", "CP-1", "--connector", str(connector), "--id-tag", tag,
            "--expires", expires]  # fmt: skip


async def test_a_reservation_is_accepted_and_used_by_the_transaction_it_is_for(
    database_url, capsys
):
    seed(database_url, tags=(*TAGS, ("CARD-A", "Accepted", None), ("CARD-B", "Accepted", None)))
    with db.session_scope(database_url) as session:
        for tag in ("CARD-A", "CARD-B"):
            session.get(IdTag, tag).parent_id_tag = "FLEET"
    async with central_system(database_url) as (node, _):
        async with connected(node, cls=ReservingCharger) as cp:
            await eventually(lambda: subscribed(node, "CP-1"))
            code, out, err = await operator(capsys, node, database_url, *reserve_args())
            assert code == 0, err
            assert out.startswith("reservation 1 of connector 1 at CP-1 until ")
            await eventually(status_is(database_url, 1, "active"))
            start = await cp.call(
                call.StartTransaction(
                    connector_id=1, id_tag="TAG-1", meter_start=0, timestamp=T0, reservation_id=1
                )
            )
            # No reservationId: CARD-B is of CARD-A's group (parent FLEET) on its connector.
            code, _, err = await operator(
                capsys, node, database_url, *reserve_args(connector=2, tag="CARD-A")
            )
            assert code == 0, err
            await eventually(status_is(database_url, 2, "active"))
            group = await cp.call(
                call.StartTransaction(connector_id=2, id_tag="CARD-B", meter_start=0, timestamp=T0)
            )
            code, out, _ = await operator(
                capsys, node, database_url, "reservations", "list", "--all", "--json"
            )
    first, second = reservation(database_url, 1), reservation(database_url, 2)
    assert (first.status, first.transaction_id) == ("used", start.transaction_id)
    assert (second.status, second.transaction_id) == ("used", group.transaction_id)
    assert second.parent_id_tag == "FLEET"  # the idTag's own parent, by default
    assert cp.reserved[0] == {
        "connector_id": 1,
        "expiry_date": cp.reserved[0]["expiry_date"],
        "id_tag": "TAG-1",
        "reservation_id": 1,
    }
    assert cp.reserved[1]["parent_id_tag"] == "FLEET"
    assert [(r["id"], r["status"]) for r in json.loads(out)] == [(2, "used"), (1, "used")]


async def test_what_the_station_answers_and_reports_ends_a_reservation(database_url, capsys):
    seed(database_url, tags=TAGS)
    async with central_system(database_url) as (node, _):
        async with connected(node, cls=ReservingCharger) as cp:
            await eventually(lambda: subscribed(node, "CP-1"))
            cp.reserve_answer = "Occupied"
            await operator(capsys, node, database_url, *reserve_args())
            await eventually(status_is(database_url, 1, "ended"))
            cp.reserve_answer = "error"
            await operator(capsys, node, database_url, *reserve_args())
            await eventually(status_is(database_url, 2, "ended"))

            cp.reserve_answer = "Accepted"
            await operator(capsys, node, database_url, *reserve_args(connector=1))
            await operator(capsys, node, database_url, *reserve_args(connector=2))
            await operator(capsys, node, database_url, *reserve_args(connector=3))
            await eventually(status_is(database_url, 5, "active"))
            await cp.call(call.StatusNotification(connector_id=1, error_code="GroundFailure",
                                                  status="Faulted"))  # fmt: skip
            await eventually(status_is(database_url, 3, "ended"))
            assert reservation(database_url, 4).status == "active"
            await cp.call(call.StatusNotification(connector_id=0, error_code="NoError",
                                                  status="Unavailable"))  # fmt: skip
            await eventually(status_is(database_url, 5, "ended"))

            await operator(capsys, node, database_url, *reserve_args(connector=1))
            await eventually(status_is(database_url, 6, "active"))
            with db.session_scope(database_url) as session:  # as if its time had passed
                session.get(Reservation, 6).expiry_date = now() - timedelta(seconds=1)
            code, out, _ = await operator(capsys, node, database_url, "reservations", "list")
            assert (code, out) == (0, "no reservations\n")
    reasons = {r.id: (r.status, r.reason) for r in rows(database_url, Reservation)}
    assert reasons == {
        1: ("ended", "ReserveNow answered Occupied"),
        2: ("ended", "ReserveNow failed: NotSupported"),
        3: ("ended", "connector 1 Faulted"),
        4: ("ended", "connector 0 Unavailable"),
        5: ("ended", "connector 0 Unavailable"),
        6: ("expired", "its expiryDate passed"),
    }


async def test_cancel_is_sent_and_the_answer_kept(database_url, capsys):
    seed(database_url, tags=TAGS)
    async with central_system(database_url) as (node, _):
        async with connected(node, cls=ReservingCharger) as cp:
            await eventually(lambda: subscribed(node, "CP-1"))
            await operator(capsys, node, database_url, *reserve_args())
            await eventually(status_is(database_url, 1, "active"))
            cp.cancel_answer = "Rejected"
            code, out, err = await operator(
                capsys, node, database_url, "reservations", "cancel", "1"
            )
            assert code == 0 and "CancelReservation" in out, err
            await eventually(lambda: reservation(database_url, 1).reason is not None)
            assert reservation(database_url, 1).status == "active"  # the station keeps it
            cp.cancel_answer = "Accepted"
            await operator(capsys, node, database_url, "reservations", "cancel", "1")
            await eventually(status_is(database_url, 1, "cancelled"))
            code, _, err = await operator(capsys, node, database_url, "reservations", "cancel", "1")
            assert code == 1 and "reservation 1 is cancelled already" in err
            code, _, err = await operator(capsys, node, database_url, "reservations", "cancel", "9")
            assert code == 1 and "no reservation 9" in err
    cancels = rows(database_url, Command, Command.action == "CancelReservation")
    assert sorted(c.status for c in cancels) == ["accepted", "rejected"]


async def test_what_is_checked_before_a_reservation_is_sent(database_url, capsys):
    seed(database_url, tags=TAGS)
    async with central_system(database_url) as (node, _):
        async with connected(node, cls=ReservingCharger) as cp:
            await eventually(lambda: subscribed(node, "CP-1"))
            refusals = [
                (reserve_args(connector=0), 2, "ReserveConnectorZeroSupported"),
                (reserve_args(expires="2020-01-01T00:00:00Z"), 2, "not in the future"),
                (reserve_args(expires="soon"), 2, "nor a duration such as 30m"),
                (reserve_args(tag="TAG-2"), 2, "the idTag is Blocked, not Accepted"),
                (reserve_args(tag="NOBODY"), 2, "the idTag is Invalid, not Accepted"),
                (["send", "CP-1", "ReserveNow", json.dumps({
                    "connectorId": 1, "expiryDate": "2030-01-01T00:00:00Z", "idTag": "TAG-1",
                    "reservationId": 77})], 2, "goes with a reservation made by"),
            ]  # fmt: skip
            for argv, expected_code, message in refusals:
                code, _, err = await operator(capsys, node, database_url, *argv)
                assert (code, err.startswith("ocpp-cable: ")) == (expected_code, True), err
                assert message in err, err
            with db.session_scope(database_url) as session:
                session.add(StationConfiguration(
                    station_id="CP-1", key="ReserveConnectorZeroSupported", value="true"
                ))  # fmt: skip
            code, _, err = await operator(capsys, node, database_url, *reserve_args(connector=0))
            assert code == 0, err
            code, _, err = await operator(capsys, node, database_url, *reserve_args(connector=0))
            assert code == 1 and "connector 0 of CP-1 is reserved already" in err
    assert [r["connector_id"] for r in cp.reserved] == [0]
    assert [r.status for r in rows(database_url, Reservation)] == ["active"]


def test_ended_reservations_beyond_the_last_100_go_when_one_is_made(database_url):
    seed(database_url)
    with db.session_scope(database_url) as session:
        session.add_all(
            Reservation(station_id="CP-1", connector_id=1, id_tag="TAG-1", status="expired",
                        expiry_date=now() - timedelta(hours=1))
            for _ in range(105)
        )  # fmt: skip
    with db.session_scope(database_url) as session:
        station = session.get(ChargePoint, "CP-1")
        made = reservations.create(session, station, 1, "TAG-1", None, now() + timedelta(hours=1),
                                   "cmd-1")  # fmt: skip
        assert made.id == 106
    kept = sorted(r.id for r in rows(database_url, Reservation))
    assert kept == list(range(7, 107))  # the newest 99 ended, and the new one


async def test_the_api_reserves_lists_and_cancels(database_url):
    seed(database_url, tags=TAGS)
    async with central_system(database_url) as (node, settings):
        async with (
            api_server(node, settings) as server,
            connected(node, cls=ReservingCharger) as cp,
        ):
            await eventually(lambda: subscribed(node, "CP-1"))
            auth = bearer(make_token(database_url))
            base = f"http://127.0.0.1:{server.port}/api/v1"
            async with httpx.AsyncClient(base_url=base, timeout=15) as api:
                expiry = (now() + timedelta(minutes=30)).isoformat()
                body = {"connector_id": 1, "id_tag": "TAG-1", "expiry_date": expiry}
                made = await api.post("/stations/CP-1/reservations", json=body, headers=auth)
                assert made.status_code == 201, made.text
                assert made.headers["location"] == "/api/v1/reservations/1"
                await eventually(status_is(database_url, 1, "active"))
                taken = await api.post("/stations/CP-1/reservations", json=body, headers=auth)
                assert taken.status_code == 409
                assert taken.headers["content-type"] == "application/problem+json"
                past = {**body, "expiry_date": "2020-01-01T00:00:00Z"}
                late = await api.post("/stations/CP-1/reservations", json=past, headers=auth)
                assert late.status_code == 422 and "not in the future" in late.json()["detail"]

                listed = (await api.get("/reservations?station=CP-1", headers=auth)).json()
                assert [r["id"] for r in listed["items"]] == [1] and listed["total"] == 1
                cancelled = await api.delete("/reservations/1", headers=auth)
                assert cancelled.status_code == 202, cancelled.text
                await eventually(status_is(database_url, 1, "cancelled"))
                gone = (await api.get("/reservations", headers=auth)).json()
                assert gone["total"] == 0
                everything = (await api.get("/reservations?all=true", headers=auth)).json()
                assert [r["status"] for r in everything["items"]] == ["cancelled"]
                assert (await api.delete("/reservations/1", headers=auth)).status_code == 409
                assert (await api.get("/reservations/5", headers=auth)).status_code == 404
    assert len(cp.reserved) == 1
