"""OCA OCPP 1.6 Central System cases, the Reservation profile: `ocpp-cable reserve`
(ReserveNow), `reservations cancel` (CancelReservation) and DELETE
/api/v1/reservations/{id}, and the transactions and status changes that follow."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

from ocpp.v16 import call

from ocpp_cable.channels.storage.models import Command, Reservation, Transaction
from tests.support.conformance import csms
from tests.support.conformance_16 import authorized, booted, charging, operate, status, stop
from tests.support.servers import eventually


def reservation(system, reservation_id: int = 1) -> Reservation:
    [found] = system.rows(Reservation, Reservation.id == reservation_id)
    return found


async def reserve(system, cp, connector_id: int = 1, expires: str = "30m", **more) -> dict:
    """The operator reserves `connector_id` for TAG-1 (`ocpp-cable reserve`): the ReserveNow
    the charge point got, checked against what the operator asked."""
    extra = [arg for name, value in more.items() for arg in (f"--{name}", value)]
    code, out, err = await system.operator(
        "reserve", "CP-1", "--connector", str(connector_id), "--id-tag", "TAG-1",
        "--expires", expires, *extra,
    )  # fmt: skip
    assert code == 0, (out, err)
    sent = await cp.request("ReserveNow")
    assert (sent["connector_id"], sent["id_tag"]) == (connector_id, "TAG-1")
    assert datetime.fromisoformat(sent["expiry_date"]) > datetime.now(UTC)
    return sent


def settled(system, reservation_id: int):
    return lambda: reservation(system, reservation_id).status != "pending"


async def test_tc_046_csms(tmp_path, capsys):
    """A connector reserved for an idTag (ReserveNow, Accepted; the connector Reserved);
    the idTag is authorized and its transaction starts with the reservationId (Accepted,
    then Charging): the reservation is stored as used by that transaction."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station(
            version="1.6", answers={"ReserveNow": {"status": "Accepted"}}
        ) as cp:
            await booted(cp)
            sent = await reserve(system, cp)
            await eventually(settled(system, sent["reservation_id"]))
            assert reservation(system, sent["reservation_id"]).status == "active"
            await status(cp, "Reserved")
            await authorized(cp)
            transaction_id = await charging(cp, reservation_id=sent["reservation_id"])
        [tx] = system.rows(Transaction)
        assert (tx.id, tx.reservation_id) == (transaction_id, sent["reservation_id"])
        used = reservation(system, sent["reservation_id"])
        assert (used.status, used.transaction_id) == ("used", transaction_id)


async def test_tc_047_csms(tmp_path, capsys):
    """A reservation nobody uses: ReserveNow with an expiryDate (Accepted; Reserved);
    past it, the connector reports Available, and the reservation is expired."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station(
            version="1.6", answers={"ReserveNow": {"status": "Accepted"}}
        ) as cp:
            await booted(cp)
            sent = await reserve(system, cp, expires="2s")
            await status(cp, "Reserved")
            left = datetime.fromisoformat(sent["expiry_date"]) - datetime.now(UTC)
            await asyncio.sleep(max(left.total_seconds(), 0) + 0.2)
            await status(cp, "Available")
            code, out, err = await system.operator("reservations", "list", "--all", "--json")
            assert code == 0, err
        [listed] = json.loads(out)
        assert (listed["id"], listed["status"]) == (sent["reservation_id"], "expired")
        assert reservation(system, sent["reservation_id"]).status == "expired"


async def refused(system, cp, answer: str) -> None:
    """ReserveNow answered `answer`: the command is recorded as refused and the
    reservation ends with the answer as its reason, holding nothing."""
    sent = await reserve(system, cp)
    await eventually(settled(system, sent["reservation_id"]))
    ended = reservation(system, sent["reservation_id"])
    assert (ended.status, ended.reason) == ("ended", f"ReserveNow answered {answer}")
    [recorded] = system.rows(Command, Command.action == "ReserveNow")
    assert (recorded.status, recorded.response) == ("rejected", {"status": answer})


async def test_tc_048_1_csms(tmp_path, capsys):
    """ReserveNow answered Faulted: handled as a refusal (the reservation ended)."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station(
            version="1.6", answers={"ReserveNow": {"status": "Faulted"}}
        ) as cp:
            await booted(cp)
            await refused(system, cp, "Faulted")


async def test_tc_048_2_csms(tmp_path, capsys):
    """A cable is plugged in (Preparing), then ReserveNow for that connector is answered
    Occupied: handled as a refusal (the reservation ended)."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station(
            version="1.6", answers={"ReserveNow": {"status": "Occupied"}}
        ) as cp:
            await booted(cp)
            await status(cp, "Preparing")
            await refused(system, cp, "Occupied")


async def test_tc_048_3_csms(tmp_path, capsys):
    """The connector is made Inoperative (ChangeAvailability, Accepted; Unavailable), then
    ReserveNow for it is answered Unavailable: handled as a refusal."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        answers = {"ReserveNow": {"status": "Unavailable"},
                   "ChangeAvailability": {"status": "Accepted"}}  # fmt: skip
        async with system.station(version="1.6", answers=answers) as cp:
            await booted(cp)
            off = ("--inoperative", "--connector", "1")
            said = await operate(system, "availability", "CP-1", *off)
            assert said[0] == "accepted"
            assert await cp.request("ChangeAvailability") == {
                "connector_id": 1,
                "type": "Inoperative",
            }
            await status(cp, "Unavailable")
            await refused(system, cp, "Unavailable")


async def test_tc_048_4_csms(tmp_path, capsys):
    """ReserveNow answered Rejected (the charge point takes no reservations): handled as
    a refusal."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station(
            version="1.6", answers={"ReserveNow": {"status": "Rejected"}}
        ) as cp:
            await booted(cp)
            await refused(system, cp, "Rejected")


async def test_tc_049_csms(tmp_path, capsys):
    """The charge point as a whole reserved (connectorId 0, as it reported
    ReserveConnectorZeroSupported): Accepted, Reserved; the reserved idTag then starts on
    connector 2 with the reservationId (Accepted), which uses the reservation."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        zero = {"configuration_key": [
            {"key": "ReserveConnectorZeroSupported", "readonly": True, "value": "true"}
        ]}  # fmt: skip
        answers = {"ReserveNow": {"status": "Accepted"}, "GetConfiguration": zero}
        async with system.station(version="1.6", answers=answers) as cp:
            await booted(cp, connectors=2)
            assert (await operate(system, "configuration", "get", "CP-1"))[0] == "accepted"
            sent = await reserve(system, cp, connector_id=0)
            await eventually(settled(system, sent["reservation_id"]))
            assert reservation(system, sent["reservation_id"]).status == "active"
            await status(cp, "Reserved", 0)
            await authorized(cp)
            transaction_id = await charging(
                cp, connector_id=2, reservation_id=sent["reservation_id"]
            )
        used = reservation(system, sent["reservation_id"])
        assert (used.connector_id, used.status, used.transaction_id) == (0, "used", transaction_id)


async def test_tc_051_csms(tmp_path, capsys):
    """A reservation (connector 1, Accepted, Reserved) cancelled by the operator:
    CancelReservation names its reservationId (Accepted); the connector reports
    Available; the reservation is stored cancelled."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        answers = {"ReserveNow": {"status": "Accepted"},
                   "CancelReservation": {"status": "Accepted"}}  # fmt: skip
        async with system.station(version="1.6", answers=answers) as cp:
            await booted(cp)
            sent = await reserve(system, cp)
            assert sent["connector_id"] != 0
            await eventually(settled(system, sent["reservation_id"]))
            await status(cp, "Reserved")
            code, out, err = await system.operator(
                "reservations", "cancel", str(sent["reservation_id"])
            )
            assert code == 0, (out, err)
            cancel = await cp.request("CancelReservation")
            assert cancel == {"reservation_id": sent["reservation_id"]}
            await eventually(
                lambda: reservation(system, sent["reservation_id"]).status == "cancelled"
            )
            await status(cp, "Available")


async def test_tc_052_csms(tmp_path, capsys):
    """CancelReservation (through the HTTP API) answered Rejected: the reservation stays
    as it was, with the refusal as its reason."""
    async with csms(tmp_path, capsys, api=True) as system:
        system.seed()
        answers = {"ReserveNow": {"status": "Accepted"},
                   "CancelReservation": {"status": "Rejected"}}  # fmt: skip
        async with system.station(version="1.6", answers=answers) as cp:
            await booted(cp)
            sent = await reserve(system, cp)
            reservation_id = sent["reservation_id"]
            await eventually(settled(system, reservation_id))
            await status(cp, "Reserved")
            cancelled = await system.http("DELETE", f"/api/v1/reservations/{reservation_id}")
            assert cancelled.status_code == 202, cancelled.text
            assert await cp.request("CancelReservation") == {"reservation_id": reservation_id}
            await eventually(lambda: reservation(system, reservation_id).reason is not None)
        kept = reservation(system, reservation_id)
        assert (kept.status, kept.reason) == ("active", "CancelReservation answered Rejected")


async def test_tc_053_csms(tmp_path, capsys):
    """A connector reserved for TAG-1, whose group (parentIdTag) is GROUP-1: ReserveNow
    carries the parentIdTag. TAG-2 of the same group is authorized (Accepted, with that
    parentIdTag) and starts on the reserved connector with the reservationId (Accepted),
    which uses the reservation; TAG-1 then stops it (Accepted, same parentIdTag)."""
    async with csms(tmp_path, capsys, api=True) as system:
        system.seed(tags=())
        for tag in ("TAG-1", "TAG-2"):
            added = await system.http(
                "PUT", f"/api/v1/id-tags/{tag}", json={"parent_id_tag": "GROUP-1"}
            )
            assert added.status_code == 201, added.text
        async with system.station(
            version="1.6", answers={"ReserveNow": {"status": "Accepted"}}
        ) as cp:
            await booted(cp)
            sent = await reserve(system, cp)
            assert sent["parent_id_tag"] == "GROUP-1"
            await eventually(settled(system, sent["reservation_id"]))
            await status(cp, "Reserved")
            answer = await cp.call(call.Authorize(id_tag="TAG-2"))
            assert answer.id_tag_info == {"status": "Accepted", "parent_id_tag": "GROUP-1"}
            transaction_id = await charging(cp, "TAG-2", reservation_id=sent["reservation_id"])
            stopped = await stop(cp, transaction_id, "Local", id_tag="TAG-1")
            assert stopped.id_tag_info == {"status": "Accepted", "parent_id_tag": "GROUP-1"}
            await status(cp, "Finishing")
        used = reservation(system, sent["reservation_id"])
        assert (used.status, used.transaction_id) == ("used", transaction_id)
        [tx] = system.rows(Transaction)
        assert (tx.id_tag, tx.stop_id_tag, tx.stop_reason) == ("TAG-2", "TAG-1", "Local")
