"""Transactions whose stop never came, and stops for transactions we do not know.

A charger that loses its connection keeps charging and queues its messages; once
back, it sends them with the times they happened, and they are stored as any
other (channels/domain/transactions.py). What it never sends shows only by what came
after: a transaction is **stale** while it is open and

- another transaction started later on its station and connector (EVSE),
- or the station booted after it started (`charge_points.booted_at`),
- or a StatusNotification put its connector in Available after it started.

Stale transactions are listed for operators (`ocpp-cable transactions stale`,
`GET /api/v1/transactions?stale=true`), who close them
(`transactions.close_by_operator`); the station's own stop, if it comes after all,
replaces what the operator guessed. A StopTransaction for a transaction we do not
know is acked and kept as a station notification, for operators to see.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from ocpp_cable.channels.storage.models import (
    ChargePoint,
    Connector,
    StationNotification,
    Transaction,
)

LATER_TRANSACTION = "later-transaction"
STATION_REBOOTED = "station-rebooted"
CONNECTOR_AVAILABLE = "connector-available"
REASONS = (LATER_TRANSACTION, STATION_REBOOTED, CONNECTOR_AVAILABLE)
# OCPP 1.6 Reason: what an operator's close may record.
STOP_REASONS = (
    "EmergencyStop", "EVDisconnected", "HardReset", "Local", "Other", "PowerLoss", "Reboot",
    "Remote", "SoftReset", "UnlockCommand", "DeAuthorized",
)  # fmt: skip


class Reason(NamedTuple):
    reason: str  # one of REASONS
    detail: str  # for people


def stale_reasons(
    start_time: datetime,
    later_transaction: int | None,
    booted_at: datetime | None,
    connector_status: str | None,
    connector_updated_at: datetime | None,
) -> list[Reason]:
    """Why an open transaction that started at `start_time` is stale (none: it is not).

    `later_transaction`: a transaction that started after it on the same connector;
    `booted_at`: the station's last boot; `connector_*`: its connector's status now.
    """
    reasons = []
    if later_transaction is not None:
        reasons.append(
            Reason(
                LATER_TRANSACTION,
                f"transaction {later_transaction} started later on the same connector",
            )
        )
    if booted_at is not None and booted_at > start_time:
        reasons.append(Reason(STATION_REBOOTED, "the station booted after it started"))
    if (
        connector_status == "Available"
        and connector_updated_at is not None
        and connector_updated_at > start_time
    ):
        reasons.append(
            Reason(CONNECTOR_AVAILABLE, "its connector became Available after it started")
        )
    return reasons


# The same three tests in SQL, for filtering (stale_clause) and for reading the facts.
_LATER = aliased(Transaction)
_T = Transaction


def _later_transactions() -> Any:
    return select(_LATER.id).where(
        _LATER.station_id == _T.station_id,
        _LATER.evse_id == _T.evse_id,  # a 1.6 connector is its own EVSE
        or_(
            _LATER.start_time > _T.start_time,
            and_(_LATER.start_time == _T.start_time, _LATER.id > _T.id),
        ),
    )


def _rebooted() -> ColumnElement[bool]:
    return exists().where(ChargePoint.id == _T.station_id, ChargePoint.booted_at > _T.start_time)


def _available() -> ColumnElement[bool]:
    return exists().where(
        Connector.station_id == _T.station_id,
        Connector.evse_id == _T.evse_id,
        Connector.connector_id == _T.connector_id,
        Connector.status == "Available",
        Connector.updated_at > _T.start_time,
    )


def stale_clause() -> ColumnElement[bool]:
    """True for a stale transaction (a WHERE clause on `transactions`)."""
    return and_(
        _T.stop_time.is_(None), or_(_later_transactions().exists(), _rebooted(), _available())
    )


def stale_transactions(
    session: Session, station_id: str | None = None
) -> list[tuple[Transaction, list[Reason]]]:
    """The stale transactions with their reasons, oldest first."""
    later = (
        _later_transactions()
        .with_only_columns(func.min(_LATER.id))
        .scalar_subquery()
        .label("later")
    )
    # Aliases: the clause's EXISTS over charge_points and connectors must not correlate
    # with these joins.
    station, connector = aliased(ChargePoint), aliased(Connector)
    query = (
        select(_T, later, station.booted_at, connector.status, connector.updated_at)
        .join(station, station.id == _T.station_id)
        .outerjoin(
            connector,
            and_(
                connector.station_id == _T.station_id,
                connector.evse_id == _T.evse_id,
                connector.connector_id == _T.connector_id,
            ),
        )
        .where(stale_clause())
        .order_by(_T.start_time, _T.id)
    )
    if station_id is not None:
        query = query.where(_T.station_id == station_id)
    found = []
    for transaction, later_id, booted_at, status, updated_at in session.execute(query):
        reasons = stale_reasons(transaction.start_time, later_id, booted_at, status, updated_at)
        if reasons:  # the clause and the function agree; a row without one is not stale
            found.append((transaction, reasons))
    return found


# --- StopTransaction for a transaction we do not know -----------------------------------------


def record_unknown_stop(session: Session, station_id: str, payload: dict[str, Any]) -> None:
    """Keep a StopTransaction for a transaction we do not know, as the station sent it."""
    session.add(
        StationNotification(station_id=station_id, action="StopTransaction", payload=payload)
    )
