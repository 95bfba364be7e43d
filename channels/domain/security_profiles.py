"""A station's security profile floor: once an operator moved it up (2.x SetNetworkProfile,
1.6 ChangeConfiguration SecurityProfile) and it connected on the new profile, connections
on a lower one are refused (OCPP 2.0.1 A05, the OCA's TC_A_19; the 1.6 security
whitepaper's profile upgrade). A stolen password is then no way in over plain ws://.

A connection's profile is what its handshake proved: 3, a client certificate issued to
the station; 2, TLS (wss://) with its password; 1, plain ws://. TLS ended by a proxy in
front of the gateway reaches it as ws://, so such a deployment sees profile 1 only.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from ocpp_cable.channels.storage.models import ChargePoint

PROFILES = (1, 2, 3)
# The 1.6 security whitepaper's configuration key for the profile a station uses.
KEY_16 = "SecurityProfile"


def connection_profile(tls: bool, certificate: bool) -> int:
    """The security profile a handshake proved."""
    if certificate:
        return 3
    return 2 if tls else 1


def refusal(floor: int | None, profile: int) -> str | None:
    """Why a connection on `profile` is refused to a station whose floor is `floor`."""
    if floor is not None and profile < floor:
        return f"security profile {floor} or higher required (this connection: {profile})"
    return None


def raised(floor: int | None, pending: int | None, profile: int) -> int | None:
    """The new floor when a connection on `profile` completes a move to `pending`, else None."""
    if pending is None or profile < pending:
        return None
    return max(pending, floor or 0)


def settle(session: Session, station_id: str, floor: int) -> None:
    """The station connected on the profile it moved to: that is its floor now."""
    session.execute(
        update(ChargePoint)
        .where(ChargePoint.id == station_id)
        .values(security_profile=floor, pending_security_profile=None)
    )


def set_floor(session: Session, station_id: str, floor: int | None) -> bool:
    """An operator's word on the floor (None: any profile); False for an unknown station."""
    done = session.execute(
        update(ChargePoint)
        .where(ChargePoint.id == station_id)
        .values(security_profile=floor, pending_security_profile=None)
    )
    return done.rowcount == 1


def _moving(session: Session, station_id: str, profile: Any) -> None:
    if isinstance(profile, int) and profile in PROFILES:
        session.execute(
            update(ChargePoint)
            .where(ChargePoint.id == station_id)
            .values(pending_security_profile=profile)
        )


def on_network_profile_answered(session, station_id, payload, answer):
    """2.x SetNetworkProfile accepted: the station will connect on the slot's profile once
    its NetworkConfigurationPriority names it and it reconnects."""
    if isinstance(answer, dict) and answer.get("status") == "Accepted":
        _moving(session, station_id, payload["connectionData"].get("securityProfile"))


def on_security_profile_changed(session, station_id, payload, answer):
    """1.6 ChangeConfiguration SecurityProfile accepted: the station reconnects on it."""
    if payload.get("key") != KEY_16:
        return
    if isinstance(answer, dict) and answer.get("status") in ("Accepted", "RebootRequired"):
        value = str(payload.get("value", "")).strip()
        _moving(session, station_id, int(value) if value.isdigit() else None)
