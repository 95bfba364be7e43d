"""Reservations of OCPP 1.6 connectors (Reservation profile): ReserveNow, CancelReservation.

A reservation is a row before it is a command: its id is the reservationId. It is
`pending` until the station answers ReserveNow, then `active` (Accepted) or `ended`
with the station's answer as reason; it ends as `used` (a StartTransaction took it),
`cancelled` (CancelReservation accepted), `expired` (past its expiryDate) or `ended`
(the connector went Faulted or Unavailable).

Expiry needs no timer: reservations past their expiryDate are marked expired whenever
reservations are read or made (`expire`), and when a StartTransaction of the station
arrives, before it may use one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.orm import Session

from ocpp_cable.channels.domain import configuration
from ocpp_cable.channels.domain.authorization import id_tag_info
from ocpp_cable.channels.domain.timeutil import TimeFormatError, now, parse_time
from ocpp_cable.channels.storage.db import core
from ocpp_cable.channels.storage.models import ChargePoint, IdTag, Reservation
from ocpp_cable.contract.timestamps import utc_text

PENDING, ACTIVE, USED, CANCELLED, EXPIRED, ENDED = (
    "pending", "active", "used", "cancelled", "expired", "ended",
)  # fmt: skip
HOLDING = (PENDING, ACTIVE)  # a reservation holding its connector
# Ended reservations kept per station; older ones go when a new one is made.
KEPT_ENDED = 100
# A 1.6 idTag and parentIdTag are CiString20.
ID_TAG_LENGTH = 20
# A reason we write holds at most this much of what a station sent (an error code).
REASON_LENGTH = 200
# What ends a reservation on its connector (on connector 0: the whole station's).
ENDING_STATUSES = frozenset({"Faulted", "Unavailable"})
MAX_ID = 2**31 - 1  # the database's integer
_DURATION = re.compile(r"(\d+)([smhd])\Z")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


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
    match = _DURATION.match(text.strip())
    if match:
        return at + timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    try:
        value, _ = parse_time(text)
    except (TimeFormatError, ValueError):
        raise ReservationProblem(
            f"--expires {text!r} is neither an ISO 8601 time nor a duration such as 30m"
        ) from None
    return value


def expire(session: Session, station_id: str | None = None) -> None:
    """Mark reservations past their expiryDate expired (one station's, or all)."""
    at = now()
    query = update(Reservation).where(
        Reservation.status.in_(HOLDING), Reservation.expiry_date <= at
    )
    if station_id is not None:
        query = query.where(Reservation.station_id == station_id)
    session.execute(
        query.values(status=EXPIRED, reason="its expiryDate passed", ended_at=at),
        execution_options={"synchronize_session": False},
    )


def problem(
    session: Session,
    station: ChargePoint,
    connector_id: int,
    id_tag: str,
    parent_id_tag: str | None,
    expiry: datetime,
) -> str | None:
    """What OCPP 1.6 and our records say against this reservation, or None."""
    if (station.ocpp_version or "1.6") != "1.6":
        return (
            f"station {station.id} speaks OCPP {station.ocpp_version}: reservations "
            "are made for 1.6 stations"
        )
    if connector_id < 0:
        return "the connector is 0 (any) or a connector's number"
    if connector_id == 0 and not configuration.enabled(
        session, station.id, "ReserveConnectorZeroSupported"
    ):
        return (
            f"station {station.id} has not reported ReserveConnectorZeroSupported true: "
            "reserve a connector by its number"
        )
    if expiry <= now():
        return f"the expiry {utc_text(expiry)} is not in the future"
    for what, tag in (("idTag", id_tag), ("parent idTag", parent_id_tag)):
        if tag is not None and not 1 <= len(tag) <= ID_TAG_LENGTH:
            return f"a 1.6 {what} has 1 to {ID_TAG_LENGTH} characters"
    # ConcurrentTx says the tag is charging now, not that it may not reserve.
    status = id_tag_info(session, id_tag)["status"]
    if status not in ("Accepted", "ConcurrentTx"):
        return f"the idTag is {status}, not Accepted (ocpp-cable tags list)"
    return None


def holder(session: Session, station_id: str, connector_id: int) -> Reservation | None:
    """The reservation holding the connector, if any (expired ones are not)."""
    expire(session, station_id)
    return session.scalars(
        select(Reservation).where(
            Reservation.station_id == station_id,
            Reservation.connector_id == connector_id,
            Reservation.status.in_(HOLDING),
        )
    ).first()


def create(
    session: Session,
    station: ChargePoint,
    connector_id: int,
    id_tag: str,
    parent_id_tag: str | None,
    expiry: datetime,
    command_id: str,
) -> Reservation:
    """A pending reservation, with its id (flushed); ended ones beyond KEPT_ENDED go.

    Without a parent given, the idTag's own parent in our table (if a 1.6 station can
    hold it), so a tag of the same group may use the reservation too.

    Raises:
        ReservationProblem: bad input (see `problem`).
        ReservationConflict: another reservation holds the connector.
    """
    if parent_id_tag is None:
        own = session.scalar(select(IdTag.parent_id_tag).where(IdTag.tag == id_tag))
        parent_id_tag = own if own and len(own) <= ID_TAG_LENGTH else None
    found = problem(session, station, connector_id, id_tag, parent_id_tag, expiry)
    if found is not None:
        raise ReservationProblem(found)
    taken = holder(session, station.id, connector_id)
    if taken is not None:
        raise ReservationConflict(
            f"connector {connector_id} of {station.id} is reserved already "
            f"(reservation {taken.id}, {taken.status})"
        )
    _forget_old(session, station.id)
    reservation = Reservation(
        station_id=station.id,
        connector_id=connector_id,
        id_tag=id_tag,
        parent_id_tag=parent_id_tag,
        expiry_date=expiry,
        status=PENDING,
        command_id=command_id,
    )
    session.add(reservation)
    session.flush()
    return reservation


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
    """The ReserveNow payload of a reservation."""
    payload: dict[str, Any] = {
        "connectorId": reservation.connector_id,
        "expiryDate": utc_text(reservation.expiry_date, timespec="auto"),
        "idTag": reservation.id_tag,
        "reservationId": reservation.id,
    }
    if reservation.parent_id_tag:
        payload["parentIdTag"] = reservation.parent_id_tag
    return payload


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


def end_reservations_on_status(session: Session, station_id: str, payload: dict[str, Any]) -> None:
    """A connector Faulted or Unavailable (ENDING_STATUSES) ends its reservations
    (connector 0: all of the station's)."""
    status, connector_id = payload["status"], payload["connectorId"]
    query = update(Reservation).where(
        Reservation.station_id == station_id, Reservation.status.in_(HOLDING)
    )
    if connector_id != 0:
        query = query.where(Reservation.connector_id == connector_id)
    session.execute(
        query.values(status=ENDED, reason=f"connector {connector_id} {status}", ended_at=now()),
        execution_options={"synchronize_session": False},
    )


# --- the hooks ---------------------------------------------------------------------------------


def _reservation(session: Session, payload: dict) -> Reservation | None:
    reservation_id = payload.get("reservationId")
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
    status, reservation_id = answer.get("status"), payload.get("reservationId")
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
    end(session, station_id, payload.get("reservationId"), ENDED, f"ReserveNow failed: {code}")


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
