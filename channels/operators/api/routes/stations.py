"""/api/v1/stations: list, show, add, change, remove."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

import structlog
from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ocpp_cable.channels.domain import presence, security_profiles
from ocpp_cable.channels.domain.stations import (
    add_station,
    remove_station,
    set_password,
    set_tolerated_rules,
)
from ocpp_cable.channels.handlers.ocpp2.variables import reported as reported_variables
from ocpp_cable.channels.operators import records
from ocpp_cable.channels.operators.api import schemas
from ocpp_cable.channels.operators.api.auth import Reader, Writer
from ocpp_cable.channels.operators.api.database import page, row_or_404, session_for
from ocpp_cable.channels.operators.api.problems import Problem, responses
from ocpp_cable.channels.storage.models import ChargePoint, Connector, Transaction

router = APIRouter(prefix="/stations", tags=["stations"])
log = structlog.get_logger("channels.api")


def _connectors(session: Session, station_ids: list[str]) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {sid: [] for sid in station_ids}
    if station_ids:
        query = (
            select(Connector)
            .where(Connector.station_id.in_(station_ids))
            .order_by(Connector.station_id, Connector.evse_id, Connector.connector_id)
        )
        for connector in session.scalars(query):
            found[connector.station_id].append(records.connector_row(connector))
    return found


def get_station(session: Session, station_id: str) -> ChargePoint:
    return row_or_404(session, ChargePoint, station_id, "unknown-station", "station")


def _detail(session: Session, station: ChargePoint) -> dict:
    detail = records.station_detail(session, station, presence.is_present(session, station))
    detail["connectors"] = _connectors(session, [station.id])[station.id]
    open_transactions = session.scalars(
        select(Transaction)
        .where(Transaction.station_id == station.id, Transaction.stop_time.is_(None))
        .order_by(Transaction.start_time.desc())
    )
    detail["open_transactions"] = [records.transaction_row(t) for t in open_transactions]
    return detail


@router.get("", response_model=schemas.Page[schemas.StationSummary], responses=responses(401))
def list_stations(
    request: Request,
    _: Reader,
    connected: bool | None = None,
    q: Annotated[str | None, Query(max_length=48, description="Part of the id")] = None,
    limit: schemas.Limit = 50,
    offset: schemas.Offset = 0,
):
    """Stations by id, each with its connectors."""
    query = select(ChargePoint).order_by(ChargePoint.id)
    if connected is not None:
        clause = presence.present_clause()
        query = query.where(clause if connected else ~clause)
    if q:
        query = query.where(ChargePoint.id.contains(q, autoescape=True))
    with session_for(request) as session:
        found = page(session, query, limit, offset, lambda station: station)
        stations = found["items"]
        # Presence and connectors of the whole page in two queries.
        present = presence.presence(session, stations)
        connectors = _connectors(session, [s.id for s in stations])
        found["items"] = [
            {**records.station_summary(s, present[s.id]), "connectors": connectors[s.id]}
            for s in stations
        ]
    return found


@router.get("/{station_id}", response_model=schemas.Station, responses=responses(401, 404))
def show_station(request: Request, station_id: str, _: Reader):
    """A station with all it said of itself, its connectors and its open transactions."""
    with session_for(request) as session:
        return _detail(session, get_station(session, station_id))


@router.get(
    "/{station_id}/variables",
    response_model=schemas.Page[schemas.Variable],
    responses=responses(401, 404),
)
def variables(
    request: Request,
    station_id: str,
    _: Reader,
    component: str | None = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
    offset: schemas.Offset = 0,
):
    """An OCPP 2.x station's variables as last reported (GetBaseReport's NotifyReport, or
    GetVariables), by component and variable."""
    query = reported_variables(station_id, component)
    with session_for(request) as session:
        get_station(session, station_id)
        return page(session, query, limit, offset, records.variable_row)


@router.post(
    "",
    status_code=201,
    response_model=schemas.Station,
    responses=responses(401, 403, 409, 422),
)
def add(request: Request, body: schemas.NewStation, who: Writer, response: Response):
    """Register a station (as `ocpp-cable stations add`)."""
    try:
        with session_for(request) as session:
            if session.get(ChargePoint, body.id) is not None:
                raise Problem(409, "station-exists", f"station {body.id} already exists")
            add_station(session, body.id, password=body.password)
    except IntegrityError:  # registered meanwhile, by an admin or an auto-registration
        raise Problem(409, "station-exists", f"station {body.id} already exists") from None
    log.info("station added", station_id=body.id, by=who.name)
    # Percent-encoded: a header holds only Latin-1, a station id any character.
    response.headers["Location"] = f"{request.url.path}/{quote(body.id, safe='')}"
    with session_for(request) as session:
        return _detail(session, get_station(session, body.id))


@router.patch("/{station_id}", response_model=schemas.Station, responses=responses(401, 403, 404))
def change(request: Request, station_id: str, body: schemas.StationChange, who: Writer):
    """Set or remove a station's password (null: it connects without credentials)."""
    with session_for(request) as session:
        set_password(get_station(session, station_id), body.password)
    log.info("station password changed", station_id=station_id, by=who.name)
    with session_for(request) as session:
        return _detail(session, get_station(session, station_id))


@router.put(
    "/{station_id}/leniency", response_model=schemas.Station, responses=responses(401, 403, 404)
)
def leniency(request: Request, station_id: str, body: schemas.Leniency, who: Writer):
    """The schema violations the gateway forgives this station from its next connection on
    (as `ocpp-cable stations lenient`): each is repaired, counted and its raw message
    kept in the message log, instead of answered with a CALLERROR."""
    with session_for(request) as session:
        set_tolerated_rules(session, get_station(session, station_id).id, list(body.tolerate))
    log.info("station leniency changed", station_id=station_id, tolerate=body.tolerate, by=who.name)
    with session_for(request) as session:
        return _detail(session, get_station(session, station_id))


@router.put(
    "/{station_id}/security-profile",
    response_model=schemas.Station,
    responses=responses(401, 403, 404),
)
def security_profile(
    request: Request, station_id: str, body: schemas.SecurityProfileFloor, who: Writer
):
    """The lowest OCPP security profile the station may connect with (as `ocpp-cable stations
    security-profile`); it rises by itself once the station connected on a profile it was
    moved to (SetNetworkProfile, 1.6 ChangeConfiguration SecurityProfile)."""
    with session_for(request) as session:
        security_profiles.set_floor(session, get_station(session, station_id).id, body.floor)
    log.info("station security profile floor set", station_id=station_id, floor=body.floor,
             by=who.name)  # fmt: skip
    with session_for(request) as session:
        return _detail(session, get_station(session, station_id))


@router.delete("/{station_id}", status_code=204, responses=responses(401, 403, 404))
def remove(request: Request, station_id: str, who: Writer) -> Response:
    """Delete a station with its connectors, transactions and meter values. A station
    still connected stays so until it reconnects; then it is refused."""
    with session_for(request) as session:
        removed = remove_station(session, station_id)
    if removed is None:
        raise Problem(404, "unknown-station", f"no station {station_id}")
    log.info("station removed", station_id=station_id, by=who.name)
    return Response(
        status_code=204,
        headers={
            "X-Removed-Transactions": str(removed.transactions),
            "X-Removed-Meter-Values": str(removed.meter_values),
        },
    )
