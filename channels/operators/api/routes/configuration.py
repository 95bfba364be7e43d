"""/api/v1/stations/{id}/configuration: a 1.6 station's configuration keys."""

from __future__ import annotations

from fastapi import APIRouter, Request

from ocpp_cable.channels.domain import configuration
from ocpp_cable.channels.operators.api import schemas
from ocpp_cable.channels.operators.api.auth import Reader
from ocpp_cable.channels.operators.api.database import row_or_404, session_for
from ocpp_cable.channels.operators.api.problems import responses
from ocpp_cable.channels.storage.models import ChargePoint

router = APIRouter(tags=["stations"])


@router.get(
    "/stations/{station_id}/configuration",
    response_model=list[schemas.ConfigurationKey],
    responses=responses(401, 404),
)
def station_configuration(request: Request, station_id: str, _: Reader):
    """The keys as the station last reported them (GetConfiguration) or accepted a change
    (ChangeConfiguration), by key; at most a few hundred per station."""
    with session_for(request) as session:
        row_or_404(session, ChargePoint, station_id, "unknown-station", "station")
        return configuration.rows(session, station_id)
