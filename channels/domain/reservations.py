"""Reservations: ReserveNow and CancelReservation, of OCPP 1.6 connectors (Reservation
profile) and of 2.0.1 and 2.1 EVSEs (block H), one state machine for both.

A reservation is a row before it is a command: its id is the reservationId. It is
`pending` until the station answers ReserveNow, then `active` (Accepted) or `ended`
with the station's answer as reason; it ends as `used` (a StartTransaction, or a 2.x
TransactionEvent naming it, took it), `cancelled` (CancelReservation accepted),
`expired` (past its expiry, or a 2.x station's ReservationStatusUpdate Expired) or
`ended` (its connector or EVSE went Faulted or Unavailable; a 2.x station removed it).

A 1.6 reservation names its connector (0: any). A 2.x one names an EVSE, a connector
type, or neither (any EVSE), and the idToken's type; its `connector_id` is empty. What
differs between the versions is in small functions (`_place_problem_16`, `_reserve_now_2`,
...); the states, the checks of our records and the hooks are shared.

Expiry needs no timer: reservations past their expiry are marked expired whenever
reservations are read or made (`expire`), and when a 1.6 StartTransaction of the station
arrives, before it may use one (a 2.x transaction names the reservation it uses).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, case, delete, distinct, func, select, update
from sqlalchemy.orm import Session

from ocpp_cable.channels.domain import configuration
from ocpp_cable.channels.domain.authorization import GROUP_TOKEN_TYPE, id_tag_info
from ocpp_cable.channels.domain.timeutil import TimeFormatError, now, parse_when
from ocpp_cable.channels.storage.db import core
from ocpp_cable.channels.storage.models import ChargePoint, Connector, IdTag, Reservation
from ocpp_cable.contract.timestamps import utc_text
from ocpp_cable.ocppj import versions
from ocpp_cable.ocppj.schemas import SchemaViolation

PENDING, ACTIVE, USED, CANCELLED, EXPIRED, ENDED = (
    "pending", "active", "used", "cancelled", "expired", "ended",
)  # fmt: skip
HOLDING = (PENDING, ACTIVE)  # a reservation holding its connector
# Ended reservations kept per station; older ones go when a new one is made.
KEPT_ENDED = 100
# A 1.6 idTag and parentIdTag are CiString20.
ID_TAG_LENGTH = 20
# A 2.x idToken's (and groupIdToken's) longest value, per version.
ID_TOKEN_LENGTH = {"2.0.1": 36, "2.1": 255}
# The idToken type of a 2.x reservation when the operator names none: an RFID card's.
DEFAULT_TOKEN_TYPE = "ISO14443"
# A reason we write holds at most this much of what a station sent (an error code).
REASON_LENGTH = 200
# What ends a reservation on its connector or EVSE (on connector or EVSE 0: the whole
# station's).
ENDING_STATUSES = frozenset({"Faulted", "Unavailable"})
# What a 2.x station's ReservationStatusUpdate makes of a reservation (NoTransaction, 2.1:
# used by its token, but no transaction started).
STATION_UPDATES = {"Expired": EXPIRED, "Removed": ENDED, "NoTransaction": ENDED}
MAX_ID = 2**31 - 1  # the database's integer


class ReservationProblem(Exception):
    """The reservation cannot be made as asked (bad input)."""


class ReservationConflict(Exception):
    """The reservation cannot be made or changed as things stand (connector taken, ended)."""


def is_id(value: Any) -> bool:
    """Can `value` be one of our reservation ids?"""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID


def parse_expiry(text: str, at: datetime) -> datetime:
    """An ISO 8601 time (UTC when it names no zone), or a duration from `at`: 90s, 30m,
    2h, 1d."""
    try:
        return parse_when(text, at)
    except (TimeFormatError, ValueError):
        raise ReservationProblem(
            f"--expires {text!r} is neither an ISO 8601 time nor a duration such as 30m"
        ) from None


def expire(session: Session, station_id: str | None = None) -> None:
    """Mark reservations past their expiryDate expired (one station's, or all)."""
    at = now()
    query = update(Reservation).where(
        Reservation.status.in_(HOLDING), Reservation.expiry_date <= at
    )
    if station_id is not None:
        query = query.where(Reservation.station_id == station_id)
    # Each version's name of the field.
    reason = case(
        (Reservation.connector_id.is_(None), "its expiryDateTime passed"),
        else_="its expiryDate passed",
    )
    session.execute(
        query.values(status=EXPIRED, reason=reason, ended_at=at),
        execution_options={"synchronize_session": False},
    )


@dataclass(frozen=True, slots=True)
class Place:
    """What a reservation holds: a 1.6 connector (0: any), or on a 2.x station an EVSE,
    a connector type, or neither (any EVSE)."""

    connector_id: int | None = None
    evse_id: int | None = None
    connector_type: str | None = None

    def describe(self) -> str:
        """As people read it: "connector 1", "EVSE 2", "any cType2 connector", "any EVSE"."""
        if self.connector_id is not None:
            return f"connector {self.connector_id}"
        if self.evse_id is not None:
            return f"EVSE {self.evse_id}"
        if self.connector_type is not None:
            return f"any {self.connector_type} connector"
        return "any EVSE"


def place_of(reservation: Reservation) -> Place:
    return Place(reservation.connector_id, reservation.evse_id, reservation.connector_type)


def version_of(station: ChargePoint) -> str:
    """The OCPP version the station speaks ("1.6" when it never said)."""
    return station.ocpp_version or "1.6"


def problem(
    session: Session,
    station: ChargePoint,
    place: Place,
    id_tag: str,
    parent_id_tag: str | None,
    expiry: datetime,
    id_token_type: str | None = None,
) -> str | None:
    """What OCPP and our records say against this reservation, or None (the payload's
    own schema is checked by `create`)."""
    version = version_of(station)
    if version == "1.6":
        found = _place_problem_16(session, station, place, id_token_type)
        length, what = ID_TAG_LENGTH, ("a 1.6 idTag", "a 1.6 parent idTag")
    else:
        found = _place_problem_2(station, place)
        length = ID_TOKEN_LENGTH[version]
        what = (f"a {version} idToken", f"a {version} groupIdToken")
    if found is not None:
        return found
    if expiry <= now():
        return f"the expiry {utc_text(expiry)} is not in the future"
    for name, tag in zip(what, (id_tag, parent_id_tag), strict=True):
        if tag is not None and not 1 <= len(tag) <= length:
            return f"{name} has 1 to {length} characters"
    # ConcurrentTx says the tag is charging now, not that it may not reserve.
    status = id_tag_info(session, id_tag)["status"]
    if status not in ("Accepted", "ConcurrentTx"):
        return f"the idTag is {status}, not Accepted (ocpp-cable tags list)"
    return None


def _place_problem_16(
    session: Session, station: ChargePoint, place: Place, id_token_type: str | None
) -> str | None:
    if place.evse_id is not None or place.connector_type is not None or id_token_type:
        return (
            f"station {station.id} speaks OCPP 1.6: a reservation names a connector, "
            "not an EVSE, a connector type or an idToken type (those are 2.x's)"
        )
    if place.connector_id is None:
        return (
            f"station {station.id} speaks OCPP 1.6: name the connector to reserve "
            "(0: any, if the station reports ReserveConnectorZeroSupported)"
        )
    if place.connector_id < 0:
        return "the connector is 0 (any) or a connector's number"
    if place.connector_id == 0 and not configuration.enabled(
        session, station.id, "ReserveConnectorZeroSupported"
    ):
        return (
            f"station {station.id} has not reported ReserveConnectorZeroSupported true: "
            "reserve a connector by its number"
        )
    return None


def _place_problem_2(station: ChargePoint, place: Place) -> str | None:
    if place.connector_id is not None:
        return (
            f"station {station.id} speaks OCPP {station.ocpp_version}: a reservation names "
            "an EVSE, a connector type or neither (any EVSE), not a connector"
        )
    if place.evse_id is not None and place.evse_id < 1:
        return "an EVSE's id is 1 or more (name none to reserve any EVSE)"
    return None


def holder(session: Session, station_id: str, connector_id: int) -> Reservation | None:
    """The reservation holding the 1.6 connector, if any (expired ones are not)."""
    expire(session, station_id)
    return session.scalars(
        select(Reservation).where(
            Reservation.station_id == station_id,
            Reservation.connector_id == connector_id,
            Reservation.status.in_(HOLDING),
        )
    ).first()


def taken(session: Session, station: ChargePoint, place: Place) -> str | None:
    """Why the place asked for is not free as our records stand, or None.

    1.6: another reservation holds the connector. 2.x: another holds the EVSE, or the
    station has no EVSE left to reserve: as many reservations hold as it has EVSEs
    (those its StatusNotifications named; none named, the station decides)."""
    if place.connector_id is not None:
        found = holder(session, station.id, place.connector_id)
        if found is None:
            return None
        return (
            f"connector {place.connector_id} of {station.id} is reserved already "
            f"(reservation {found.id}, {found.status})"
        )
    expire(session, station.id)
    holding = session.scalars(
        select(Reservation)
        .where(Reservation.station_id == station.id, Reservation.status.in_(HOLDING))
        .order_by(Reservation.id)
    ).all()
    same = next((r for r in holding if r.evse_id is not None and r.evse_id == place.evse_id), None)
    if same is not None:
        return (
            f"EVSE {place.evse_id} of {station.id} is reserved already "
            f"(reservation {same.id}, {same.status})"
        )
    evses = session.scalar(
        select(func.count(distinct(Connector.evse_id))).where(
            Connector.station_id == station.id, Connector.evse_id > 0
        )
    )
    if evses and len(holding) >= evses:
        ids = ", ".join(str(r.id) for r in holding)
        return (
            f"every EVSE of {station.id} is reserved already: it reported {evses}, "
            f"reservations {ids} hold them"
        )
    return None


def create(
    session: Session,
    station: ChargePoint,
    connector_id: int | None,
    id_tag: str,
    parent_id_tag: str | None,
    expiry: datetime,
    command_id: str,
    *,
    evse_id: int | None = None,
    connector_type: str | None = None,
    id_token_type: str | None = None,
) -> Reservation:
    """A pending reservation, with its id (flushed), its ReserveNow (`reserve_now`)
    checked against the schema of the station's version; ended ones beyond KEPT_ENDED go.

    A 1.6 station's names `connector_id`; a 2.x station's `evse_id`, `connector_type`
    or neither, and `id_token_type` (default DEFAULT_TOKEN_TYPE). Without a parent
    given, the idTag's own parent in our table (if the station can hold it), so a tag of
    the same group may use the reservation too.

    Raises:
        ReservationProblem: bad input (see `problem`, and the schema).
        ReservationConflict: the connector or EVSE is reserved already (see `taken`).
    """
    version, place = version_of(station), Place(connector_id, evse_id, connector_type)
    if version != "1.6" and id_token_type is None:
        id_token_type = DEFAULT_TOKEN_TYPE
    if parent_id_tag is None:
        own = session.scalar(select(IdTag.parent_id_tag).where(IdTag.tag == id_tag))
        longest = ID_TAG_LENGTH if version == "1.6" else ID_TOKEN_LENGTH.get(version, 0)
        parent_id_tag = own if own and len(own) <= longest else None
    found = problem(session, station, place, id_tag, parent_id_tag, expiry, id_token_type)
    if found is not None:
        raise ReservationProblem(found)
    conflict = taken(session, station, place)
    if conflict is not None:
        raise ReservationConflict(conflict)
    reservation = Reservation(
        station_id=station.id,
        connector_id=connector_id,
        evse_id=evse_id,
        connector_type=connector_type,
        id_tag=id_tag,
        id_token_type=id_token_type,
        parent_id_tag=parent_id_tag,
        expiry_date=expiry,
        status=PENDING,
        command_id=command_id,
    )
    found = _schema_problem(version, reservation)
    if found is not None:
        raise ReservationProblem(found)
    _forget_old(session, station.id)
    session.add(reservation)
    session.flush()
    return reservation


def _schema_problem(version: str, reservation: Reservation) -> str | None:
    """What the schema of `version` says against the reservation's ReserveNow, before the
    row is made (so no id is used up by a refusal)."""
    payload = reserve_now(reservation)
    # Its id comes with the row; any id will do for the schema.
    payload["reservationId" if "reservationId" in payload else "id"] = 1
    try:
        versions.named(version).schemas.validate_request("ReserveNow", payload)
    except SchemaViolation as exc:
        return f"no valid OCPP {version} ReserveNow: {exc.description}"
    return None


def _forget_old(session: Session, station_id: str) -> None:
    kept = (
        select(Reservation.id)
        .where(Reservation.station_id == station_id, Reservation.status.not_in(HOLDING))
        .order_by(Reservation.id.desc())
        .limit(KEPT_ENDED - 1)  # the one being made will end too, one day
    )
    session.execute(
        delete(Reservation).where(
            Reservation.station_id == station_id,
            Reservation.status.not_in(HOLDING),
            Reservation.id.not_in(kept.scalar_subquery()),
        ),
        execution_options={"synchronize_session": False},
    )


def reserve_now(reservation: Reservation) -> dict[str, Any]:
    """The ReserveNow payload of a reservation, in its station's version."""
    if reservation.connector_id is not None:
        return _reserve_now_16(reservation)
    return _reserve_now_2(reservation)


def _reserve_now_16(reservation: Reservation) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "connectorId": reservation.connector_id,
        "expiryDate": utc_text(reservation.expiry_date, timespec="auto"),
        "idTag": reservation.id_tag,
        "reservationId": reservation.id,
    }
    if reservation.parent_id_tag:
        payload["parentIdTag"] = reservation.parent_id_tag
    return payload


def _reserve_now_2(reservation: Reservation) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "id": reservation.id,
        "expiryDateTime": utc_text(reservation.expiry_date, timespec="auto"),
        "idToken": {"idToken": reservation.id_tag, "type": reservation.id_token_type},
    }
    if reservation.evse_id is not None:
        payload["evseId"] = reservation.evse_id
    if reservation.connector_type is not None:
        payload["connectorType"] = reservation.connector_type
    if reservation.parent_id_tag:
        payload["groupIdToken"] = {"idToken": reservation.parent_id_tag, "type": GROUP_TOKEN_TYPE}
    return payload


def reservation_id_of(payload: dict[str, Any]) -> Any:
    """The reservation a ReserveNow or CancelReservation names (a 2.x ReserveNow calls it
    `id`)."""
    return payload["reservationId"] if "reservationId" in payload else payload.get("id")


def end(
    session: Session, station_id: str, reservation_id: Any, status: str, reason: str | None
) -> None:
    """End the station's reservation, if it still holds its connector."""
    session.execute(
        update(Reservation)
        .where(
            Reservation.id == reservation_id,
            Reservation.station_id == station_id,
            Reservation.status.in_(HOLDING),
        )
        .values(status=status, reason=reason and reason[:REASON_LENGTH], ended_at=now()),
        execution_options={"synchronize_session": False},
    )


def cancellable(session: Session, reservation_id: int, station_id: str | None) -> Reservation:
    """The reservation, if a CancelReservation may be sent for it.

    Raises:
        LookupError: no such reservation.
        ReservationConflict: it holds nothing any more, or is another station's.
    """
    found = session.get(Reservation, reservation_id)
    if found is None:
        raise LookupError(f"no reservation {reservation_id}")
    expire(session, found.station_id)
    session.refresh(found)
    if station_id is not None and found.station_id != station_id:
        raise ReservationConflict(f"reservation {reservation_id} is {found.station_id}'s")
    if found.status not in HOLDING:
        raise ReservationConflict(f"reservation {reservation_id} is {found.status} already")
    return found


# --- what the station's messages change --------------------------------------------------------


_ANY_HOLDING = (
    select(Reservation.__table__.c.id)
    .where(
        Reservation.__table__.c.station_id == bindparam("station"),
        Reservation.__table__.c.status.in_(HOLDING),
    )
    .limit(1)
)


def use_reservation(
    session: Session, station_id: str, payload: dict[str, Any], transaction_id: int
) -> None:
    """A StartTransaction uses the reservation it names; without one, the reservation on
    its connector (or on connector 0) for its idTag, or for the parent of its idTag.
    Then the station's reservations past their expiryDate expire."""
    if core(session).execute(_ANY_HOLDING, {"station": station_id}).first() is None:
        return  # the usual start: one indexed look, without the ORM
    holding = session.scalars(
        select(Reservation)
        .where(Reservation.station_id == station_id, Reservation.status.in_(HOLDING))
        .order_by(Reservation.id)
    ).all()
    if not holding:
        return  # the usual start: one look, by an index
    at, tag = now(), payload["idTag"]
    parent = None
    if payload.get("reservationId") is None:
        parent = session.scalar(select(IdTag.parent_id_tag).where(IdTag.tag == tag))
    chosen = used_by(holding, payload, parent, at)
    if chosen is not None:
        chosen.status, chosen.transaction_id, chosen.ended_at = USED, transaction_id, at
        session.flush()
    expire(session, station_id)


def used_by(
    holding: Sequence[Reservation], payload: dict[str, Any], parent: str | None, at: datetime
) -> Reservation | None:
    """Which of the station's `holding` reservations a StartTransaction uses: the one it
    names; else one on its connector (or on connector 0) not expired at `at`, for its
    idTag, or for `parent` (its idTag's parent)."""
    reservation_id = payload.get("reservationId")
    if reservation_id is not None:
        # The station's word that it used it counts even if our clock says it expired.
        return next((r for r in holding if r.id == reservation_id), None)
    tag, connector_id = payload["idTag"], payload["connectorId"]
    fitting = [
        r
        for r in holding
        if r.expiry_date > at
        and r.connector_id in (0, connector_id)
        and (r.id_tag == tag or (parent is not None and r.parent_id_tag == parent))
    ]
    # Its own connector's before one for any connector, the oldest first.
    return min(fitting, key=lambda r: (r.connector_id == 0, r.id), default=None)


def use_reservation_2(
    session: Session, station_id: str, payload: dict[str, Any], transaction_id: int
) -> None:
    """A 2.x TransactionEvent naming a reservationId ends that reservation, used by its
    transaction: a 2.x station names the reservation its transaction ends (H03), so
    nothing is guessed from the token, and an event naming none costs nothing."""
    reservation_id = payload.get("reservationId")
    if reservation_id is None:
        return
    # The station's word that it used it counts even if our clock says it expired.
    session.execute(
        update(Reservation)
        .where(
            Reservation.id == reservation_id,
            Reservation.station_id == station_id,
            Reservation.status.in_(HOLDING),
        )
        .values(status=USED, transaction_id=transaction_id, ended_at=now()),
        execution_options={"synchronize_session": False},
    )


def end_reservations_on_status(session: Session, station_id: str, payload: dict[str, Any]) -> None:
    """A connector Faulted or Unavailable (ENDING_STATUSES) ends the reservations of its
    1.6 connector, or of its 2.x EVSE (connector or EVSE 0: all of the station's)."""
    if "connectorStatus" in payload:  # 2.x: the EVSE is what is reserved
        status, column, number = payload["connectorStatus"], Reservation.evse_id, payload["evseId"]
        reason = f"EVSE {number} connector {payload['connectorId']} {status}"
    else:
        status, column, number = payload["status"], Reservation.connector_id, payload["connectorId"]
        reason = f"connector {number} {status}"
    if status not in ENDING_STATUSES:
        return
    query = update(Reservation).where(
        Reservation.station_id == station_id, Reservation.status.in_(HOLDING)
    )
    if number != 0:
        query = query.where(column == number)
    session.execute(
        query.values(status=ENDED, reason=reason, ended_at=now()),
        execution_options={"synchronize_session": False},
    )


def on_status_update(session: Session, station_id: str, payload: dict[str, Any]) -> None:
    """A 2.x ReservationStatusUpdate ends the station's reservation it names
    (STATION_UPDATES), if it still holds."""
    update_status = payload["reservationUpdateStatus"]
    ended = STATION_UPDATES.get(update_status)
    if ended is not None:
        end(session, station_id, payload["reservationId"], ended,
            f"ReservationStatusUpdate {update_status}")  # fmt: skip


# --- the hooks ---------------------------------------------------------------------------------


def _reservation(session: Session, payload: dict) -> Reservation | None:
    reservation_id = reservation_id_of(payload)
    return session.get(Reservation, reservation_id) if is_id(reservation_id) else None


def check_reserved_here(session: Session, station: ChargePoint, payload: dict) -> str | None:
    found = _reservation(session, payload)
    if found is None or found.station_id != station.id or found.status != PENDING:
        return (
            "a ReserveNow goes with a reservation made by `ocpp-cable reserve` "
            "(or POST /api/v1/stations/{id}/reservations), which checks and records it"
        )
    return None


def check_still_holding(session: Session, station: ChargePoint, payload: dict) -> str | None:
    found = _reservation(session, payload)
    if found is None:
        return None  # one made elsewhere: the station decides
    if found.station_id != station.id:
        return f"reservation {found.id} is {found.station_id}'s"
    if found.status not in HOLDING:
        return f"reservation {found.id} is {found.status} already"
    return None


def on_reserve_answered(session: Session, station_id: str, payload: dict, answer: dict) -> None:
    status, reservation_id = answer.get("status"), reservation_id_of(payload)
    if status == "Accepted":
        session.execute(
            update(Reservation)
            .where(
                Reservation.id == reservation_id,
                Reservation.station_id == station_id,
                Reservation.status == PENDING,
            )
            .values(status=ACTIVE),
            execution_options={"synchronize_session": False},
        )
    else:  # Faulted, Occupied, Rejected, Unavailable
        end(session, station_id, reservation_id, ENDED, f"ReserveNow answered {str(status)[:40]}")


def on_reserve_failed(session: Session, station_id: str, payload: dict, code: str) -> None:
    end(session, station_id, reservation_id_of(payload), ENDED, f"ReserveNow failed: {code}")


def on_cancel_answered(session: Session, station_id: str, payload: dict, answer: dict) -> None:
    reservation_id = payload.get("reservationId")
    if answer.get("status") == "Accepted":
        end(session, station_id, reservation_id, CANCELLED, None)
        return
    # Rejected: the station holds no such reservation, or will not let it go.
    session.execute(
        update(Reservation)
        .where(Reservation.id == reservation_id, Reservation.station_id == station_id)
        .values(reason=f"CancelReservation answered {str(answer.get('status'))[:40]}"),
        execution_options={"synchronize_session": False},
    )
