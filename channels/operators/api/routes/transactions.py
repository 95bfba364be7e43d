"""/api/v1/transactions: charging sessions, their meter values, and an operator's close."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import structlog
from fastapi import APIRouter, Query, Request
from sqlalchemy import select

from ocpp_cable.channels.domain import offline, transactions
from ocpp_cable.channels.operators import live, records
from ocpp_cable.channels.operators.api import schemas
from ocpp_cable.channels.operators.api.auth import Reader, Writer
from ocpp_cable.channels.operators.api.database import page, row_or_404, session_for
from ocpp_cable.channels.operators.api.problems import Problem, responses
from ocpp_cable.channels.storage.models import MeterValue, Transaction

router = APIRouter(prefix="/transactions", tags=["transactions"])
log = structlog.get_logger("channels.api")


def _get(session, transaction_id: int) -> Transaction:
    return row_or_404(session, Transaction, transaction_id, "unknown-transaction", "transaction")


@router.get("", response_model=schemas.Page[schemas.Transaction], responses=responses(401))
def list_transactions(
    request: Request,
    _: Reader,
    station_id: str | None = None,
    state: Literal["open", "closed"] | None = None,
    id_tag: str | None = None,
    since: Annotated[datetime | None, Query(description="Started at or after")] = None,
    until: Annotated[datetime | None, Query(description="Started before")] = None,
    stale: Annotated[
        bool | None,
        Query(
            description="true: only open transactions whose stop never came (a later start "
            "on the connector, the station booted, or the connector went Available since "
            "it started; `ocpp-cable transactions stale` says which); false: all others"
        ),
    ] = None,
    limit: schemas.Limit = 50,
    offset: schemas.Offset = 0,
):
    """Newest first."""
    query = select(Transaction).order_by(Transaction.start_time.desc(), Transaction.id.desc())
    if station_id is not None:
        query = query.where(Transaction.station_id == station_id)
    if id_tag is not None:
        query = query.where(Transaction.id_tag == id_tag)
    if state is not None:
        stop = Transaction.stop_time
        query = query.where(stop.is_(None) if state == "open" else stop.is_not(None))
    if since is not None:
        query = query.where(Transaction.start_time >= schemas.utc(since))
    if until is not None:
        query = query.where(Transaction.start_time < schemas.utc(until))
    if stale is not None:
        query = query.where(offline.stale_clause() if stale else ~offline.stale_clause())
    with session_for(request) as session:
        return page(session, query, limit, offset, lambda t: records.transaction_row(t, session))


@router.get("/{transaction_id}", response_model=schemas.Transaction, responses=responses(401, 404))
def show_transaction(request: Request, transaction_id: schemas.TransactionId, _: Reader):
    with session_for(request) as session:
        return records.transaction_row(_get(session, transaction_id), session)


@router.get(
    "/{transaction_id}/meter-values",
    response_model=schemas.Page[schemas.MeterValue],
    responses=responses(401, 404),
)
def meter_values(
    request: Request,
    transaction_id: schemas.TransactionId,
    _: Reader,
    measurand: str | None = None,
    kept_apart: Annotated[
        bool,
        Query(
            description="true: the readings that named this transaction but are not counted "
            "into it (another station sent them, or it did not exist yet), each with the "
            "station that sent it"
        ),
    ] = False,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    offset: schemas.Offset = 0,
):
    """Every sampled value of the transaction, by time: only its own station's."""
    query = transactions.readings_query(transaction_id, kept_apart)
    if measurand is not None:
        query = query.where(MeterValue.measurand == measurand)
    with session_for(request) as session:
        # Readings kept apart may name an id no transaction has.
        if not kept_apart:
            _get(session, transaction_id)
        return page(session, query, limit, offset, records.meter_value_row)


@router.post(
    "/{transaction_id}/close",
    response_model=schemas.Transaction,
    responses=responses(401, 403, 404, 409),
)
def close(
    request: Request,
    transaction_id: schemas.TransactionId,
    body: schemas.CloseTransaction,
    who: Writer,
):
    """Close a transaction whose stop never came (StopTransaction, or a 2.x Ended event:
    the station lost it, or is gone). Nothing is sent to the station: to stop a session
    that is still charging, send RemoteStopTransaction (2.x: RequestStopTransaction)."""
    with session_for(request) as session:
        found = _get(session, transaction_id)
        start = found.meter_start
        if body.meter_stop is not None and start is not None and body.meter_stop < start:
            raise Problem(
                422,
                "meter-stop-before-start",
                f"meter_stop {body.meter_stop} is below the session's meter_start "
                f"{start}: a session gives no negative energy",
            )
        if not transactions.close_by_operator(session, found, body.meter_stop, body.reason):
            raise Problem(409, "transaction-closed", f"transaction {transaction_id} is closed")
        row = records.transaction_row(found, session)
    log.info(
        "transaction closed by operator",
        station_id=row["station_id"],
        transaction_id=transaction_id,
        by=who.name,
    )
    live.events.publish(
        row["station_id"],
        "transaction_stopped",
        transaction_id=transaction_id,
        meter_stop=row["meter_stop"],
        reason=row["stop_reason"],
    )
    return row
