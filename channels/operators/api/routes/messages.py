"""/api/v1/messages: the message log (every message the application saw, in and out)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from sqlalchemy import select

from ocpp_cable.channels.operators import records
from ocpp_cable.channels.operators.api import schemas
from ocpp_cable.channels.operators.api.auth import Reader
from ocpp_cable.channels.operators.api.database import page, session_for
from ocpp_cable.channels.operators.api.problems import responses
from ocpp_cable.channels.storage.models import MessageLog

router = APIRouter(prefix="/messages", tags=["message log"])


@router.get("", response_model=schemas.Page[schemas.Message], responses=responses(401))
def list_messages(
    request: Request,
    _: Reader,
    station_id: str | None = None,
    action: str | None = None,
    direction: Literal["in", "out"] | None = None,
    message_type: Literal["CALL", "CALLRESULT", "CALLERROR"] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    before_id: Annotated[
        int | None,
        Query(
            ge=1,
            le=schemas.INT32,
            description="Only messages older than this id: the last id of a page gives the "
            "next, which stays put while new messages come in (unlike offset)",
        ),
    ] = None,
    limit: schemas.Limit = 50,
    offset: schemas.Offset = 0,
):
    """Newest first. `since` / `until` bound when the message was logged."""
    query = select(MessageLog).order_by(MessageLog.id.desc())
    for column, value in (
        (MessageLog.station_id, station_id),
        (MessageLog.action, action),
        (MessageLog.direction, direction),
        (MessageLog.message_type, message_type),
    ):
        if value is not None:
            query = query.where(column == value)
    if since is not None:
        query = query.where(MessageLog.created_at >= schemas.utc(since))
    if until is not None:
        query = query.where(MessageLog.created_at < schemas.utc(until))
    if before_id is not None:
        query = query.where(MessageLog.id < before_id)
    with session_for(request) as session:
        return page(session, query, limit, offset, records.message_row)
