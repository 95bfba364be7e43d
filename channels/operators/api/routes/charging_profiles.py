"""/api/v1/stations/{id}/charging-profiles and /composite-schedules: OCPP 1.6 smart
charging as the station accepted it (channels/domain/smart_charging.py). Profiles are set and
cleared with commands (POST /api/v1/stations/{id}/commands)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from ocpp_cable.channels.domain import smart_charging
from ocpp_cable.channels.operators.api import schemas
from ocpp_cable.channels.operators.api.auth import Reader
from ocpp_cable.channels.operators.api.database import page, session_for
from ocpp_cable.channels.operators.api.problems import responses
from ocpp_cable.channels.operators.api.routes.stations import get_station

router = APIRouter(prefix="/stations", tags=["smart charging"])


@router.get(
    "/{station_id}/charging-profiles",
    response_model=schemas.Page[schemas.ChargingProfile],
    responses=responses(401, 404),
)
def charging_profiles(
    request: Request,
    station_id: str,
    _: Reader,
    history: Annotated[
        bool,
        Query(
            alias="all",
            description="Also those replaced, cleared, ended or expired (the newest kept)",
        ),
    ] = False,
    limit: schemas.Limit = 50,
    offset: schemas.Offset = 0,
):
    """The profiles the station holds (installed) and those pending for a remote start,
    by connector, purpose and stackLevel."""
    query = smart_charging.profiles_query(station_id, history=history)
    with session_for(request) as session:
        get_station(session, station_id)
        return page(session, query, limit, offset, smart_charging.profile_row)


@router.get(
    "/{station_id}/composite-schedules",
    response_model=list[schemas.CompositeSchedule],
    responses=responses(401, 404),
)
def composite_schedules(request: Request, station_id: str, _: Reader):
    """The station's last answer to GetCompositeSchedule, per connector asked about."""
    with session_for(request) as session:
        get_station(session, station_id)
        found = session.scalars(smart_charging.schedules_query(station_id))
        return [smart_charging.schedule_row(s) for s in found]
