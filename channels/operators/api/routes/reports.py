"""/api/v1/reports/energy: energy delivered per period and station, and what it cost."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from sqlalchemy import ColumnElement, Select, func, select

from ocpp_cable.channels.domain import costs
from ocpp_cable.channels.operators.api import schemas
from ocpp_cable.channels.operators.api.auth import Reader
from ocpp_cable.channels.operators.api.database import session_for
from ocpp_cable.channels.operators.api.problems import responses
from ocpp_cable.channels.storage.models import Transaction

router = APIRouter(prefix="/reports", tags=["reports"])

Period = Literal["day", "week", "month"]

# SQLite keeps times as UTC text; these give the start of the period, as text.
_SQLITE_PERIOD = {
    "day": lambda t: func.date(t),
    "week": lambda t: func.date(t, "-6 days", "weekday 1"),  # the Monday on or before
    "month": lambda t: func.strftime("%Y-%m-01", t),
}


def _period_start(dialect: str, period: Period) -> ColumnElement:
    if dialect == "postgresql":
        return func.date_trunc(period, func.timezone("UTC", Transaction.start_time))
    return _SQLITE_PERIOD[period](Transaction.start_time)


def _as_time(value: datetime | str) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC)


@router.get("/energy", response_model=schemas.EnergyReport, responses=responses(401))
def energy(
    request: Request,
    _: Reader,
    period: Period = "day",
    station_id: str | None = None,
    since: Annotated[datetime | None, Query(description="Sessions started at or after")] = None,
    until: Annotated[datetime | None, Query(description="Sessions started before")] = None,
):
    """Energy of the closed sessions (meter_stop - meter_start), by the period they
    started in (UTC; weeks start on Monday) and station, with what the priced ones cost
    (per currency: a station's tariff may change currency)."""
    since = schemas.utc(since) if since else None
    until = schemas.utc(until) if until else None
    with session_for(request) as session:
        start = _period_start(session.get_bind().dialect.name, period).label("period_start")
        query = (
            select(
                start,
                Transaction.station_id,
                func.count().label("transactions"),
                func.sum(Transaction.energy_wh).label("energy_wh"),
            )
            .where(Transaction.energy_wh.is_not(None))
            .group_by(start, Transaction.station_id)
            .order_by(start, Transaction.station_id)
        )
        filters = []
        if station_id is not None:
            filters.append(Transaction.station_id == station_id)
        if since is not None:
            filters.append(Transaction.start_time >= since)
        if until is not None:
            filters.append(Transaction.start_time < until)
        query = query.where(*filters)
        priced = _costs(start, filters)
        found: dict[tuple[datetime, str], dict[str, int]] = {}
        for row in session.execute(priced):
            key = (_as_time(row.period_start), row.station_id)
            found.setdefault(key, {})[row.currency] = int(row.cost_minor)
        rows = [
            {
                "period_start": _as_time(row.period_start),
                "station_id": row.station_id,
                "transactions": row.transactions,
                "energy_wh": int(row.energy_wh),
                "energy_kwh": int(row.energy_wh) / 1000,
                "costs": found.get((_as_time(row.period_start), row.station_id), {}),
            }
            for row in session.execute(query)
        ]
    total = sum(row["energy_wh"] for row in rows)
    totals: dict[str, int] = {}
    for row in rows:
        for currency, units in row["costs"].items():
            totals[currency] = totals.get(currency, 0) + units
        row["costs"] = _amounts(row["costs"])
    return {
        "period": period,
        "since": since,
        "until": until,
        "rows": rows,
        "total_wh": total,
        "total_kwh": total / 1000,
        "total_costs": _amounts(totals),
    }


def _costs(start: ColumnElement, filters: list[ColumnElement]) -> Select:
    """The cost of the same sessions that were priced, by period, station and currency."""
    return (
        select(
            start,
            Transaction.station_id,
            Transaction.currency,
            func.sum(Transaction.cost_minor).label("cost_minor"),
        )
        .where(
            Transaction.energy_wh.is_not(None),
            Transaction.cost_minor.is_not(None),
            Transaction.currency.is_not(None),
            *filters,
        )
        .group_by(start, Transaction.station_id, Transaction.currency)
    )


def _amounts(minor: dict[str, int]) -> dict[str, str]:
    """Sums in minor units as exact amounts of their currencies, by code."""
    return {code: str(costs.amount(units, code)) for code, units in sorted(minor.items())}
