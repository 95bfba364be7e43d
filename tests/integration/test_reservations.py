"""Reservations: `ocpp-cable reserve|reservations` and /api/v1/.../reservations, against
`ocpp` ChargePoints (1.6, 2.0.1, 2.1) that answer ReserveNow and CancelReservation, through
the gateway; what their StartTransaction or TransactionEvent, StatusNotification and
ReservationStatusUpdate change. The OCA cases of block H are in
tests/conformance/test_h_reservation.py."""

from __future__ import annotations

import contextlib
import json
from datetime import timedelta

import httpx
from ocpp.exceptions import NotSupportedError
from ocpp.routing import on
from ocpp.v16 import call, call_result
from ocpp.v16.enums import Action
from ocpp.v21 import ChargePoint as Charger21
from ocpp.v21 import call as call21
from ocpp.v21 import call_result as call_result21
from ocpp.v201 import call as call201
from ocpp.v201 import call_result as call_result201

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
    PASSWORD,
    CentralCharger,
    basic,
    central_system,
    connected,
    operator,
    rows,
    seed,
)
from tests.support.servers import Charger201, charger, eventually, subscribed

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


# --- 2.0.1 and 2.1 stations ----------------------------------------------------------------------


class Reserving2(Charger201):
    """A 2.0.1 station answering ReserveNow with `reserve_answer` ("error": a CALLERROR)
    and CancelReservation with `cancel_answer`; keeps what it was asked."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.reserved: list[dict] = []
        self.reserve_answer, self.cancel_answer = "Accepted", "Accepted"

    @on("ReserveNow")
    def on_reserve_now(self, **request):
        self.reserved.append(request)
        if self.reserve_answer == "error":
            raise NotSupportedError("no reservations here")
        return call_result201.ReserveNow(status=self.reserve_answer)

    @on("CancelReservation")
    def on_cancel_reservation(self, reservation_id, **_):
        return call_result201.CancelReservation(status=self.cancel_answer)


class Reserving21(Charger21):
    """The same, on OCPP 2.1."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.reserved: list[dict] = []

    @on("ReserveNow")
    def on_reserve_now(self, **request):
        self.reserved.append(request)
        return call_result21.ReserveNow(status="Accepted")


@contextlib.asynccontextmanager
async def station2(node, cls=Reserving2, subprotocol="ocpp2.0.1", station_id="CP-2"):
    headers = basic(station_id, PASSWORD)
    async with charger(node, station_id, cls, subprotocol, additional_headers=headers) as cp:
        await eventually(lambda: subscribed(node, station_id))
        yield cp


async def available(cp, *evses: int, status: str = "Available") -> None:
    for evse_id in evses:
        await cp.call(call201.StatusNotification(
            timestamp=T0, connector_status=status, evse_id=evse_id, connector_id=1
        ))  # fmt: skip


def reserve2_args(*flags: str, tag: str = "TAG-1", expires: str = "30m") -> list[str]:
    return ["reserve", "CP-2", "--id-tag", tag, "--expires", expires, *flags]


def seed2(url: str, tags=TAGS) -> None:
    seed(url, station_id="CP-2", tags=tags)
    with db.session_scope(url) as session:
        session.get(ChargePoint, "CP-2").ocpp_version = "2.0.1"


async def test_what_is_checked_before_a_2x_reservation_is_sent(database_url, capsys):
    """A 2.x station's reservation names an EVSE, a connector type or neither, with a
    token its version holds; one EVSE is held once, and no more reservations are made
    than the EVSEs the station reported. A 1.6 station's names its connector."""
    seed(database_url, tags=TAGS)
    seed2(database_url, tags=())
    async with central_system(database_url) as (node, _):
        async with station2(node) as cp, connected(node, cls=ReservingCharger):
            await eventually(lambda: subscribed(node, "CP-1"))
            await available(cp, 1, 2)
            refusals = [
                (reserve2_args("--connector", "1"), 2, "not a connector"),
                (reserve2_args("--evse", "0"), 2, "an EVSE's id is 1 or more"),
                (reserve2_args("--connector-type", "cType9"), 2,
                 "no valid OCPP 2.0.1 ReserveNow: connectorType must be one of"),
                (reserve2_args("--token-type", "Badge"), 2, "no valid OCPP 2.0.1 ReserveNow: "),
                (reserve2_args(tag="T" * 37), 2, "a 2.0.1 idToken has 1 to 36 characters"),
                (reserve2_args(tag="TAG-2"), 2, "the idTag is Blocked, not Accepted"),
                (reserve2_args(expires="2020-01-01T00:00:00Z"), 2, "not in the future"),
                (["send", "CP-2", "ReserveNow", json.dumps({
                    "id": 77, "expiryDateTime": "2030-01-01T00:00:00Z",
                    "idToken": {"idToken": "TAG-1", "type": "Central"}})], 2,
                 "goes with a reservation made by"),
                ([*reserve_args()[:2], "--evse", "1", *reserve_args()[4:]], 2,
                 "station CP-1 speaks OCPP 1.6: a reservation names a connector, not an EVSE"),
                (["reserve", "CP-1", "--id-tag", "TAG-1", "--expires", "30m"], 2,
                 "station CP-1 speaks OCPP 1.6: name the connector to reserve"),
            ]  # fmt: skip
            for argv, expected_code, message in refusals:
                code, _, err = await operator(capsys, node, database_url, *argv)
                assert (code, err.startswith("ocpp-cable: ")) == (expected_code, True), err
                assert message in err, err
            assert rows(database_url, Reservation) == []  # a refusal records nothing

            code, out, err = await operator(capsys, node, database_url,
                                            *reserve2_args("--evse", "1"))  # fmt: skip
            assert (code, out.startswith("reservation 1 of EVSE 1 at CP-2 until ")) == (0, True)
            code, _, err = await operator(capsys, node, database_url, *reserve2_args("--evse", "1"))
            assert code == 1 and "EVSE 1 of CP-2 is reserved already (reservation 1" in err
            code, _, err = await operator(capsys, node, database_url, *reserve2_args())
            assert code == 0, err
            await eventually(status_is(database_url, 2, "active"))
            code, _, err = await operator(
                capsys, node, database_url, *reserve2_args("--connector-type", "cType2")
            )
            assert code == 1, err
            assert "every EVSE of CP-2 is reserved already: it reported 2, reservations 1, 2" in err
    assert [r.get("evse_id") for r in cp.reserved] == [1, None]
    assert cp.reserved[0]["id_token"] == {"id_token": "TAG-1", "type": "ISO14443"}  # default


async def test_the_api_reserves_2x_evses_lists_them_with_16_ones_and_cancels(database_url):
    seed(database_url, tags=TAGS)
    seed2(database_url, tags=())
    async with central_system(database_url) as (node, settings):
        async with (
            api_server(node, settings) as server,
            connected(node, cls=ReservingCharger),
            station2(node) as cp,
        ):
            await eventually(lambda: subscribed(node, "CP-1"))
            auth = bearer(make_token(database_url))
            base = f"http://127.0.0.1:{server.port}/api/v1"
            expiry = (now() + timedelta(minutes=30)).isoformat()
            async with httpx.AsyncClient(base_url=base, timeout=15) as api:

                async def post(station: str, **body):
                    body = {"id_tag": "TAG-1", "expiry_date": expiry, **body}
                    return await api.post(f"/stations/{station}/reservations", json=body,
                                          headers=auth)  # fmt: skip

                made = await post("CP-1", connector_id=1)
                assert made.status_code == 201, made.text
                made = await post("CP-2", evse_id=2, id_token_type="Central",
                                  parent_id_tag="FLEET")  # fmt: skip
                assert made.status_code == 201, made.text
                assert made.json()["reserves"] == "EVSE 2"
                await eventually(status_is(database_url, 2, "active"))
                problems = [
                    (await post("CP-2", connector_id=1), 422, "not a connector"),
                    (await post("CP-1", evse_id=1), 422, "not an EVSE"),
                    (await post("CP-2", connector_type="cType9"), 422,
                     "connectorType must be one of"),
                    (await post("CP-2", evse_id=2), 409, "EVSE 2 of CP-2 is reserved already"),
                    (await post("CP-9", evse_id=1), 404, "no station CP-9"),
                ]  # fmt: skip
                for answer, status, detail in problems:
                    assert answer.status_code == status, answer.text
                    assert detail in answer.json()["detail"], answer.text
                for body in ({"evse_id": 0}, {"evse": 1}, {"id_token_type": "T" * 21}):
                    invalid = await post("CP-2", **body)
                    assert invalid.status_code == 422, invalid.text
                    assert invalid.json()["detail"] == "the request does not match the API's schema"

                listed = (await api.get("/reservations", headers=auth)).json()
                assert [(r["id"], r["station_id"], r["reserves"]) for r in listed["items"]] == [
                    (2, "CP-2", "EVSE 2"), (1, "CP-1", "connector 1"),
                ]  # fmt: skip
                assert (listed["items"][0]["evse_id"], listed["items"][0]["connector_id"]) == (
                    2,
                    None,
                )
                cancelled = await api.delete("/reservations/2", headers=auth)
                assert cancelled.status_code == 202, cancelled.text
                await eventually(status_is(database_url, 2, "cancelled"))
    assert cp.reserved == [{
        "id": 2, "expiry_date_time": cp.reserved[0]["expiry_date_time"], "evse_id": 2,
        "id_token": {"id_token": "TAG-1", "type": "Central"},
        "group_id_token": {"id_token": "FLEET", "type": "Central"},
    }]  # fmt: skip


async def test_what_a_2x_station_answers_and_reports_ends_its_reservation(database_url, capsys):
    seed(database_url, tags=TAGS)
    seed2(database_url, tags=())
    async with central_system(database_url) as (node, _):
        async with station2(node) as cp:
            await available(cp, 1, 2, 3)

            async def reserve(*flags: str) -> None:
                code, _, err = await operator(capsys, node, database_url, *reserve2_args(*flags))
                assert code == 0, err

            cp.reserve_answer = "Occupied"
            await reserve("--evse", "1")
            await eventually(status_is(database_url, 1, "ended"))
            cp.reserve_answer = "error"
            await reserve("--evse", "1")
            await eventually(status_is(database_url, 2, "ended"))
            cp.reserve_answer = "Accepted"
            for flags in (("--evse", "1"), ("--evse", "2"), ()):  # reservations 3, 4, 5
                await reserve(*flags)
            await eventually(status_is(database_url, 5, "active"))
            await available(cp, 2, status="Faulted")  # EVSE 2's ends; any EVSE's stays
            await eventually(status_is(database_url, 4, "ended"))
            assert reservation(database_url, 5).status == "active"
            # Another station's reservation, named in this station's transaction: not used.
            with db.session_scope(database_url) as session:
                session.add(
                    Reservation(
                        station_id="CP-1",
                        connector_id=1,
                        id_tag="TAG-1",
                        status="active",
                        expiry_date=now() + timedelta(hours=1),
                    )
                )
            await cp.call(call201.TransactionEvent(
                event_type="Started", timestamp=T0, trigger_reason="Authorized", seq_no=0,
                transaction_info={"transaction_id": "tx-1"}, reservation_id=6,
                id_token={"id_token": "TAG-1", "type": "ISO14443"},
            ))  # fmt: skip
            await available(cp, 0, status="Unavailable")  # the whole station
            await eventually(status_is(database_url, 5, "ended"))

            cp.cancel_answer = "Rejected"
            await reserve("--evse", "3")  # reservation 7
            await eventually(status_is(database_url, 7, "active"))
            code, _, err = await operator(capsys, node, database_url, "reservations", "cancel", "7")
            assert code == 0, err
            await eventually(lambda: reservation(database_url, 7).reason is not None)
            with db.session_scope(database_url) as session:  # as if its time had passed
                session.get(Reservation, 7).expiry_date = now() - timedelta(seconds=1)
            code, out, _ = await operator(
                capsys, node, database_url, "reservations", "list", "--station", "CP-2"
            )
            assert (code, out) == (0, "no reservations\n")
    reasons = {r.id: (r.status, r.reason) for r in rows(database_url, Reservation)}
    assert reasons == {
        1: ("ended", "ReserveNow answered Occupied"),
        2: ("ended", "ReserveNow failed: NotSupported"),
        3: ("ended", "EVSE 0 connector 1 Unavailable"),
        4: ("ended", "EVSE 2 connector 1 Faulted"),
        5: ("ended", "EVSE 0 connector 1 Unavailable"),
        6: ("active", None),
        7: ("expired", "its expiryDateTime passed"),
    }


async def test_a_21_station_takes_its_own_token_types_and_ends_one_with_no_transaction(
    database_url, capsys
):
    """2.1 names an idToken's type and a connector type with any short string, and adds
    ReservationStatusUpdate NoTransaction (its token came, no transaction started)."""
    seed(database_url, station_id="CP-2", tags=TAGS)
    async with central_system(database_url) as (node, _):
        async with station2(node, Reserving21, "ocpp2.1") as cp:
            code, _, err = await operator(capsys, node, database_url, *reserve2_args(
                "--token-type", "VendorBadge", "--connector-type", "cNACS"
            ))  # fmt: skip
            assert code == 0, err
            await eventually(status_is(database_url, 1, "active"))
            assert await cp.call(call21.ReservationStatusUpdate(
                reservation_id=1, reservation_update_status="NoTransaction"
            )) is not None  # fmt: skip
    ended = reservation(database_url, 1)
    assert (ended.status, ended.reason) == ("ended", "ReservationStatusUpdate NoTransaction")
    assert cp.reserved[0]["id_token"] == {"id_token": "TAG-1", "type": "VendorBadge"}
    assert cp.reserved[0]["connector_type"] == "cNACS"
