"""/api/v1/reports/energy: energy delivered per period and station."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from sqlalchemy import ColumnElement, func, select

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
    started in (UTC; weeks start on Monday) and station."""
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
        if station_id is not None:
            query = query.where(Transaction.station_id == station_id)
        if since is not None:
            query = query.where(Transaction.start_time >= since)
        if until is not None:
            query = query.where(Transaction.start_time < until)
        rows = [
            {
                "period_start": _as_time(row.period_start),
                "station_id": row.station_id,
                "transactions": row.transactions,
                "energy_wh": int(row.energy_wh),
                "energy_kwh": int(row.energy_wh) / 1000,
            }
            for row in session.execute(query)
        ]
    total = sum(row["energy_wh"] for row in rows)
    return {
        "period": period,
        "since": since,
        "until": until,
        "rows": rows,
        "total_wh": total,
        "total_kwh": total / 1000,
    }
