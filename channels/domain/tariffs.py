"""Tariffs: kept by name, assigned to stations, one of them the default.

A station's sessions are priced by the tariff assigned to it, else by the default
tariff; with neither, they are not priced. Any number of stations may share a tariff.
A transaction keeps a snapshot of the tariff in force when it started (`snapshot`):
changing or removing a tariff later changes no session's cost. The arithmetic is in
channels/domain/pricing.py.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from ocpp_cable.channels.domain import pricing
from ocpp_cable.channels.domain.timeutil import now
from ocpp_cable.channels.storage.models import ChargePoint, Tariff

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
NAME_RULE = "1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit"
# Costs beyond this many minor units are no session's (and near a BIGINT's bound).
MAX_MINOR_UNITS = 2**62


class TariffError(Exception):
    """What an operator asked of tariffs cannot be done; `kind` says why: `invalid`
    (bad input), `unknown-tariff`, `unknown-station`, `exists` or `in-use`."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def check_name(name: str) -> None:
    if not NAME.fullmatch(name):
        raise TariffError("invalid", f"invalid tariff name {name!r}: {NAME_RULE}")


def priced(
    currency: str, energy_price: Any = 0, time_price: Any = 0, session_fee: Any = 0
) -> pricing.Tariff:
    """The prices as given, checked (TariffError `invalid` says what is wrong)."""
    try:
        pricing.currency_places(currency)
        return pricing.Tariff(
            currency,
            pricing.parse_price(energy_price, "energy price"),
            pricing.parse_price(time_price, "time price"),
            pricing.parse_price(session_fee, "session fee"),
        )
    except pricing.PriceError as exc:
        raise TariffError("invalid", str(exc)) from None


def find(session: Session, name: str) -> Tariff:
    tariff = session.scalar(select(Tariff).where(Tariff.name == name))
    if tariff is None:
        raise TariffError("unknown-tariff", f"no tariff {name}")
    return tariff


def put(session: Session, name: str, prices: pricing.Tariff, default: bool = False) -> bool:
    """Add the tariff, or set an existing one to exactly these prices (and default or
    not); True when it was added. Sessions under way keep the prices they started with."""
    check_name(name)
    tariff = session.scalar(select(Tariff).where(Tariff.name == name))
    created = tariff is None
    if tariff is None:
        tariff = Tariff(name=name, is_default=False)
        session.add(tariff)
    for field, value in prices.values().items():
        setattr(tariff, field, value)
    tariff.updated_at = now()
    session.flush()
    if default:
        make_default(session, name)
    elif tariff.is_default:
        tariff.is_default = False
    return created


def make_default(session: Session, name: str | None) -> None:
    """Make `name` the default tariff (None: there is none)."""
    tariff = None if name is None else find(session, name)
    # One default at a time (uq_tariffs_default): the old one gives way first.
    session.execute(
        update(Tariff)
        .where(Tariff.is_default, *(() if tariff is None else (Tariff.id != tariff.id,)))
        .values(is_default=False)
        .execution_options(synchronize_session="fetch")
    )
    session.flush()
    if tariff is not None:
        tariff.is_default = True
        session.flush()


def _stations(session: Session, station_ids: list[str]) -> list[ChargePoint]:
    found = {
        s.id: s for s in session.scalars(select(ChargePoint).where(ChargePoint.id.in_(station_ids)))
    }
    missing = [station_id for station_id in station_ids if station_id not in found]
    if missing:
        raise TariffError("unknown-station", f"no station {missing[0]}")
    return [found[station_id] for station_id in station_ids]


def assign(session: Session, name: str, station_ids: list[str]) -> None:
    """Price these stations' sessions by `name` from their next session on."""
    tariff = find(session, name)
    for station in _stations(session, station_ids):
        station.tariff_id = tariff.id


def unassign(session: Session, station_ids: list[str]) -> None:
    """These stations' sessions are priced by the default tariff again."""
    for station in _stations(session, station_ids):
        station.tariff_id = None


def remove(session: Session, name: str) -> None:
    """Remove a tariff no station is assigned and that is not the default (past sessions
    keep what they cost: their snapshot)."""
    tariff = find(session, name)
    assigned = stations_of(session, tariff.id)
    if assigned:
        shown = ", ".join(assigned[:3]) + (", ..." if len(assigned) > 3 else "")
        raise TariffError(
            "in-use",
            f"tariff {name} is assigned to {len(assigned)} station(s) ({shown}): "
            "unassign them or assign them another first",
        )
    if tariff.is_default:
        raise TariffError(
            "in-use", f"tariff {name} is the default: make another the default, or none, first"
        )
    session.delete(tariff)


def stations_of(session: Session, tariff_id: int) -> list[str]:
    return list(
        session.scalars(
            select(ChargePoint.id)
            .where(ChargePoint.tariff_id == tariff_id)
            .order_by(ChargePoint.id)
        )
    )


def all_tariffs(session: Session) -> list[Tariff]:
    return list(session.scalars(select(Tariff).order_by(Tariff.name)))


def row(session: Session, tariff: Tariff) -> dict[str, Any]:
    """A tariff as people see it, with the stations assigned to it."""
    return {
        "name": tariff.name,
        "currency": tariff.currency,
        "energy_price": tariff.energy_price,
        "time_price": tariff.time_price,
        "session_fee": tariff.session_fee,
        "default": tariff.is_default,
        "stations": stations_of(session, tariff.id),
        "created_at": tariff.created_at,
        "updated_at": tariff.updated_at,
    }


def in_force(session: Session, station_id: str) -> Tariff | None:
    """The tariff a new session of the station is priced by: its own, else the default."""
    own = select(ChargePoint.tariff_id).where(ChargePoint.id == station_id).scalar_subquery()
    return session.scalar(
        select(Tariff)
        .where(or_(Tariff.id == own, Tariff.is_default))
        # Its own first: is_default false sorts first where the station has its own.
        .order_by((Tariff.id == func.coalesce(own, -1)).desc())
        .limit(1)
    )


def snapshot(tariff: Tariff | None) -> dict[str, Any]:
    """The transaction columns that keep the tariff a session started under."""
    if tariff is None:
        return {}
    values = {"name": tariff.name, "currency": tariff.currency, "energy_price": tariff.energy_price,
              "time_price": tariff.time_price, "session_fee": tariff.session_fee}  # fmt: skip
    return {"tariff": values, "currency": tariff.currency}


def cost_minor(
    kept: dict[str, Any], energy_wh: int | None, started: datetime, until: datetime
) -> int | None:
    """What a session costs in minor units under its snapshot, `energy_wh` delivered from
    `started` to `until`. None when it cannot be told: the energy is unknown and priced,
    or the snapshot is not one a tariff makes."""
    try:
        tariff = pricing.Tariff.of(kept)
    except (pricing.PriceError, KeyError):
        return None
    if energy_wh is None and tariff.energy_price:
        return None
    cost = pricing.session_cost(tariff, energy_wh or 0, pricing.seconds_of(until - started))
    units = pricing.minor_units(cost, tariff.currency)
    return units if units <= MAX_MINOR_UNITS else None
