"""Registration: what a station's BootNotification is answered (Accepted, Pending or
Rejected), as an operator decided, and what follows from it.

OCPP 2.0.1 B01-B03 and 1.6 4.2: Accepted lets the station send what it likes;
Pending lets it send nothing but BootNotification and what the central system asks
for (the gateway keeps that rule: gateway/ocpp/session.py), while the central system
may send it commands (how an operator provisions it); Rejected lets it send nothing
but BootNotification, and the central system sends it nothing. A Pending or Rejected
answer carries the interval after which the station boots again.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from ocpp_cable.channels.storage.db import core
from ocpp_cable.channels.storage.models import ChargePoint

ACCEPTED, PENDING, REJECTED = "accepted", "pending", "rejected"
STATUSES = (ACCEPTED, PENDING, REJECTED)


def boot_status(registration: str) -> str:
    """The RegistrationStatus a boot is answered (`Accepted`, `Pending`, `Rejected`)."""
    if registration not in STATUSES:
        raise ValueError(f"unknown registration {registration!r}; one of {', '.join(STATUSES)}")
    return registration.capitalize()


def boot_answer(
    registration: str, current_time: str, heartbeat_interval: int, retry_interval: int
) -> dict[str, Any]:
    """The BootNotification answer: Accepted with the Heartbeat interval; Pending or
    Rejected with the interval the station waits before it boots again."""
    status = boot_status(registration)
    interval = heartbeat_interval if registration == ACCEPTED else retry_interval
    return {"status": status, "currentTime": current_time, "interval": interval}


def connect_boot_state(registration: str) -> str | None:
    """What Connect tells the gateway of a station that is not accepted (contract.state's
    BOOT_STATE_KEY): served as if its boot had been answered so, as a station that
    reconnects sends no BootNotification. None for an accepted station."""
    return None if registration == ACCEPTED else boot_status(registration)


def command_refusal(registration: str) -> str | None:
    """Why no command goes to a station of this registration (B03: the central system
    sends a Rejected station nothing), or None. A Pending one may be sent anything."""
    if registration == REJECTED:
        return "the station is rejected: nothing is sent to it (ocpp-cable stations accept)"
    return None


def boot_again(before: str, after: str, connected: bool) -> bool:
    """Whether an operator's change asks the station to boot again now
    (TriggerMessage BootNotification, B02 / TC_B_31): a connected station that was not
    accepted and now is, so it need not wait out its interval. A change the other way
    takes effect at its next boot or connection (a 2.0.1 station refuses to boot again
    when it is Accepted, F06.FR.17)."""
    return connected and after == ACCEPTED and before != ACCEPTED


_STATIONS = ChargePoint.__table__
_REGISTRATION = select(_STATIONS.c.registration).where(_STATIONS.c.id == bindparam("station"))


def registration_of(session: Session, station_id: str) -> str | None:
    """The station's registration; None for a station we do not know. (Every boot asks:
    a Core statement built once, a fifth of the ORM's cost.)"""
    return core(session).execute(_REGISTRATION, {"station": station_id}).scalar()


def set_registration(session: Session, station: ChargePoint, registration: str) -> str:
    """Set the station's registration; the one it had before."""
    boot_status(registration)  # a known one
    before = station.registration
    session.execute(
        update(ChargePoint)
        .where(ChargePoint.id == station.id)
        .values(registration=registration)
        .execution_options(synchronize_session=False)
    )
    station.registration = registration
    return before
