"""/api/v1/tariffs: what charging costs, and /api/v1/stations/{id}/tariff: which tariff
prices a station's sessions (its own, else the default)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import structlog
from fastapi import APIRouter, Path, Request, Response

from ocpp_cable.channels.domain import tariffs
from ocpp_cable.channels.operators.api import schemas
from ocpp_cable.channels.operators.api.auth import Reader, Writer
from ocpp_cable.channels.operators.api.database import row_or_404, session_for
from ocpp_cable.channels.operators.api.problems import Problem, responses
from ocpp_cable.channels.storage.models import ChargePoint

router = APIRouter(tags=["tariffs"])
log = structlog.get_logger("channels.api")

Name = Annotated[str, Path(pattern=tariffs.NAME.pattern, description=tariffs.NAME_RULE)]
StationId = Annotated[str, Path(min_length=1, max_length=48)]
# A tariff's problem -> (HTTP status, problem type).
_STATUS = {"invalid": 422, "unknown-tariff": 404, "unknown-station": 404, "in-use": 409}


@contextmanager
def _problems() -> Iterator[None]:
    try:
        yield
    except tariffs.TariffError as exc:
        kind = "invalid-tariff" if exc.kind == "invalid" else exc.kind
        raise Problem(_STATUS.get(exc.kind, 409), kind, str(exc)) from None


@router.get("/tariffs", response_model=list[schemas.Tariff], responses=responses(401))
def list_tariffs(request: Request, _: Reader):
    """Every tariff, by name, with the stations assigned to it."""
    with session_for(request) as session:
        return [tariffs.row(session, t) for t in tariffs.all_tariffs(session)]


@router.get("/tariffs/{name}", response_model=schemas.Tariff, responses=responses(401, 404))
def show_tariff(request: Request, name: Name, _: Reader):
    with _problems(), session_for(request) as session:
        return tariffs.row(session, tariffs.find(session, name))


@router.put(
    "/tariffs/{name}",
    response_model=schemas.Tariff,
    responses={201: {"model": schemas.Tariff, "description": "Added"},
               **responses(401, 403, 422)},
)  # fmt: skip
def put_tariff(
    request: Request, name: Name, body: schemas.TariffValues, who: Writer, response: Response
):
    """Add the tariff, or set an existing one to exactly these values (201 when added).
    Sessions under way keep the prices they started with."""
    with _problems():
        prices = tariffs.priced(body.currency, body.energy_price, body.time_price,
                                body.session_fee)  # fmt: skip
        with session_for(request) as session:
            if tariffs.put(session, name, prices, default=body.default):
                response.status_code = 201
            row = tariffs.row(session, tariffs.find(session, name))
    log.info("tariff set", tariff=name, default=body.default, by=who.name)
    return row


@router.delete("/tariffs/{name}", status_code=204, responses=responses(401, 403, 404, 409))
def delete_tariff(request: Request, name: Name, who: Writer):
    """Remove a tariff that is not the default and that no station is assigned (409
    otherwise). The sessions it priced keep their cost."""
    with _problems(), session_for(request) as session:
        tariffs.remove(session, name)
    log.info("tariff removed", tariff=name, by=who.name)


def _in_force(session, station_id: str) -> dict:
    station = row_or_404(session, ChargePoint, station_id, "unknown-station", "station")
    tariff = tariffs.in_force(session, station_id)
    source = None if tariff is None else "station" if station.tariff_id else "default"
    row = None if tariff is None else tariffs.row(session, tariff)
    return {"station_id": station_id, "tariff": row, "source": source}


@router.get(
    "/stations/{station_id}/tariff",
    response_model=schemas.StationTariff,
    responses=responses(401, 404),
)
def station_tariff(request: Request, station_id: StationId, _: Reader):
    """The tariff the station's next session is priced by."""
    with session_for(request) as session:
        return _in_force(session, station_id)


@router.put(
    "/stations/{station_id}/tariff",
    response_model=schemas.StationTariff,
    responses=responses(401, 403, 404),
)
def assign_tariff(request: Request, station_id: StationId, body: schemas.AssignTariff, who: Writer):
    """Price the station's sessions by this tariff, from its next session on."""
    with _problems(), session_for(request) as session:
        tariffs.assign(session, body.tariff, [station_id])
        row = _in_force(session, station_id)
    log.info("tariff assigned", station_id=station_id, tariff=body.tariff, by=who.name)
    return row


@router.delete(
    "/stations/{station_id}/tariff",
    response_model=schemas.StationTariff,
    responses=responses(401, 403, 404),
)
def unassign_tariff(request: Request, station_id: StationId, who: Writer):
    """Price the station's sessions by the default tariff again (if there is one)."""
    with _problems(), session_for(request) as session:
        tariffs.unassign(session, [station_id])
        row = _in_force(session, station_id)
    log.info("tariff unassigned", station_id=station_id, by=who.name)
    return row
