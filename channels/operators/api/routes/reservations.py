"""/api/v1/stations/{id}/reservations and /api/v1/reservations: ReserveNow and
CancelReservation for 1.6 connectors and 2.x EVSEs, checked and recorded as `ocpp-cable
reserve` does."""

from __future__ import annotations

from typing import Annotated

import structlog
from fastapi import APIRouter, Path, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from ocpp_cable.channels.domain import reservations
from ocpp_cable.channels.operators.admin import operations
from ocpp_cable.channels.operators.api import schemas
from ocpp_cable.channels.operators.api.auth import Reader, Writer
from ocpp_cable.channels.operators.api.database import page, session_for, settings_of
from ocpp_cable.channels.operators.api.problems import responses
from ocpp_cable.channels.operators.api.routes.commands import Wait, followed
from ocpp_cable.channels.operators.api.sending import OPERATION_PROBLEMS, sending
from ocpp_cable.rpc_app import broadcasting

router = APIRouter(tags=["reservations"])
log = structlog.get_logger("channels.api")

ReservationId = Annotated[int, Path(ge=1, le=schemas.INT32)]


@router.post(
    "/stations/{station_id}/reservations",
    status_code=201,
    response_model=schemas.Reservation,
    responses=responses(401, 403, 404, 409, 422, 502),
)
async def reserve(
    request: Request,
    station_id: str,
    body: schemas.NewReservation,
    who: Writer,
    response: Response,
):
    """Reserve a 1.6 connector (`connector_id`), or a 2.x EVSE (`evse_id`, `connector_type`
    or neither: any EVSE), for an idTag: the reservation is recorded (`pending`; its id
    is the reservationId) and ReserveNow sent in the station's version; the station's
    answer makes it `active`, or `ended` with the answer as reason. 422: what the
    station's version does not take (a connector for a 2.x station, an EVSE for a 1.6
    one, a connector or idToken type its schema does not know), connector 0 without the
    station's ReserveConnectorZeroSupported, an expiry not in the future, an idTag that
    is not Accepted; 409: the connector or EVSE is reserved already (or every EVSE the
    station reported), or the station is offline."""
    with sending(*OPERATION_PROBLEMS):
        row = await run_in_threadpool(
            operations.make_reservation,
            settings_of(request),
            station_id,
            body.connector_id,
            body.id_tag,
            body.parent_id_tag,
            body.expiry_date,
            broadcasting.current(),
            evse_id=body.evse_id,
            connector_type=body.connector_type,
            id_token_type=body.id_token_type,
        )
    response.headers["Location"] = f"/api/v1/reservations/{row['id']}"
    log.info("reservation made", station_id=station_id, reservation=row["id"], by=who.name)
    return row


@router.get(
    "/reservations",
    response_model=schemas.Page[schemas.Reservation],
    responses=responses(401),
)
def list_reservations(
    request: Request,
    _: Reader,
    station: Annotated[str | None, Query(max_length=48, description="Only this station's")] = None,
    everything: Annotated[
        bool, Query(alias="all", description="Ended ones too (the last 100 per station)")
    ] = False,
    limit: schemas.Limit = 50,
    offset: schemas.Offset = 0,
):
    """Reservations holding a connector or EVSE (pending or active), 1.6 and 2.x stations'
    alike, newest first; those past their expiry are marked expired as they are read."""
    with session_for(request) as session:
        reservations.expire(session, station)
        query = operations.reservations_query(station, everything)
        return page(session, query, limit, offset, operations.reservation_row)


@router.get(
    "/reservations/{reservation_id}",
    response_model=schemas.Reservation,
    responses=responses(401, 404),
)
def show_reservation(request: Request, reservation_id: ReservationId, _: Reader):
    with sending(*OPERATION_PROBLEMS):
        return operations.show_reservation(settings_of(request), reservation_id)


@router.delete(
    "/reservations/{reservation_id}",
    status_code=202,
    response_model=schemas.Reservation,
    responses=responses(401, 403, 404, 409, 502),
)
async def cancel(request: Request, reservation_id: ReservationId, who: Writer, wait: Wait = 0):
    """Send CancelReservation: the reservation is `cancelled` once the station accepts
    (Rejected: it stays, and `reason` says so). 409: it holds nothing any more, or the
    station is offline. `?wait=` seconds for the station's answer: the reservation as
    that answer left it."""
    settings = settings_of(request)
    with sending(*OPERATION_PROBLEMS):
        row = await run_in_threadpool(
            operations.cancel_reservation, settings, reservation_id, broadcasting.current()
        )
    log.info("reservation cancel sent", reservation=reservation_id, by=who.name)
    if wait > 0:
        await followed(request, row["command_id"], wait)
        with sending(*OPERATION_PROBLEMS):
            row = await run_in_threadpool(operations.show_reservation, settings, reservation_id)
    return row
