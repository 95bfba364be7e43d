"""/api/v1/stations/{id}/charging-profiles and /composite-schedules: smart charging as the
station accepted it (channels/domain/smart_charging.py); and the commands that set, clear and
read them, composed by the central system in the station's version
(channels/domain/charging_requests.py), recorded and followed as any command is (`?wait=`
seconds for the answer)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from ocpp_cable.channels.domain import charging_requests, smart_charging
from ocpp_cable.channels.operators.admin import charging_commands
from ocpp_cable.channels.operators.api import schemas
from ocpp_cable.channels.operators.api.auth import Reader, Writer
from ocpp_cable.channels.operators.api.database import page, session_for
from ocpp_cable.channels.operators.api.problems import Problem, responses
from ocpp_cable.channels.operators.api.routes.commands import Wait
from ocpp_cable.channels.operators.api.routes.station_commands import COMMAND, send_composed
from ocpp_cable.channels.operators.api.routes.stations import get_station

router = APIRouter(prefix="/stations", tags=["smart charging"])

# The station's integers are 32-bit: what goes past them is refused at the door.
INT = smart_charging.MAX_PROFILE_ID
Connector = Field(
    None, ge=0, le=INT, description="1.6: the connector (0 or none: the whole station)"
)
Evse = Field(None, ge=0, le=INT, description="2.x: the EVSE (0 or none: the whole station)")


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
    by connector (2.x: EVSE), purpose and stackLevel."""
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
    """The station's last answer to GetCompositeSchedule, per connector (2.x: EVSE) asked
    about."""
    with session_for(request) as session:
        get_station(session, station_id)
        found = session.scalars(smart_charging.schedules_query(station_id))
        return [smart_charging.schedule_row(s) for s in found]


# --- the commands --------------------------------------------------------------------------------


class PeriodBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    start: int = Field(ge=0, le=INT, description="Seconds into the schedule")
    limit: float = Field(ge=0, allow_inf_nan=False, description="In the profile's unit")
    phases: int | None = Field(None, ge=1, le=3, description="numberPhases")


class SetProfileBody(BaseModel):
    """A profile described (a purpose and a limit or periods), or written whole (`profile`)."""

    model_config = ConfigDict(extra="forbid")
    connector: int | None = Connector
    evse: int | None = Evse
    purpose: str | None = Field(
        None, max_length=40, examples=["tx-default"],
        description="max, tx-default or tx (or OCPP's word)",
    )  # fmt: skip
    limit: float | None = Field(
        None, ge=0, allow_inf_nan=False, description="One limit from the start"
    )
    periods: list[PeriodBody] | None = Field(None, min_length=1, max_length=1024)
    unit: Literal["A", "W"] | None = Field(None, description="Default A")
    phases: int | None = Field(None, ge=1, le=3, description="numberPhases of each period")
    stack_level: int | None = Field(None, ge=0, le=INT, description="Default 0")
    kind: Literal["Absolute", "Recurring", "Relative"] | None = Field(
        None, description="Default Absolute"
    )
    recurrency: Literal["Daily", "Weekly"] | None = None
    start: datetime | None = Field(None, description="startSchedule (default: now)")
    duration: int | None = Field(None, ge=1, le=INT, description="Seconds")
    valid_from: datetime | None = None
    valid_to: datetime | None = None
    id: int | None = Field(
        None, ge=1, le=INT, description="chargingProfileId (default: the next free on the station)"
    )
    transaction: str | None = Field(
        None, max_length=36, description="A TxProfile's (default: the one open there)"
    )
    profile: dict[str, Any] | None = Field(
        None, description="A whole chargingProfile (1.6: csChargingProfiles), alone"
    )


class ClearProfilesBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: int | None = Field(
        None, ge=1, le=INT, description="One profile by its chargingProfileId, alone"
    )
    connector: int | None = Connector
    evse: int | None = Evse
    purpose: str | None = Field(None, max_length=40, description="max, tx-default or tx")
    stack_level: int | None = Field(None, ge=0, le=INT)


class ReportProfilesBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    evse: int | None = Field(
        None, ge=0, le=INT, description="Only this EVSE's (0: the station's own)"
    )
    purpose: str | None = Field(None, max_length=40, description="max, tx-default, tx or external")
    stack_level: int | None = Field(None, ge=0, le=INT)
    sources: list[Literal["EMS", "Other", "SO", "CSO"]] = Field(
        [], max_length=charging_requests.MAX_SOURCES, description="chargingLimitSource"
    )
    ids: list[Annotated[int, Field(ge=1, le=INT)]] = Field(
        [], max_length=1024, description="chargingProfileIds"
    )


class CompositeScheduleBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    duration: int = Field(ge=1, le=INT, description="Seconds from now")
    connector: int | None = Connector
    evse: int | None = Evse
    unit: Literal["A", "W"] | None = None


@router.post("/{station_id}/charging-profiles", **COMMAND)
async def set_charging_profile(
    request: Request, station_id: str, body: SetProfileBody, who: Writer, response: Response,
    wait: Wait = 0,
):  # fmt: skip
    """SetChargingProfile: composed in the station's version from a purpose and a limit (or
    periods), with the next free chargingProfileId and, for a TxProfile, the transaction open
    there; or a whole `profile`. Refused (422) when it breaks a rule of the spec."""
    described = body.model_dump(exclude={"connector", "evse", "profile"}, exclude_none=True)
    if body.profile is not None and described:
        name = next(iter(described))
        raise Problem(422, "command-refused", f"`profile` is the whole profile: no `{name}` too")

    def send(settings, station_id, broadcaster):
        if body.profile is not None:
            return charging_commands.set_profile(
                settings, station_id, profile=body.profile, connector=body.connector,
                evse=body.evse, broadcaster=broadcaster,
            )  # fmt: skip
        periods = None
        if body.periods is not None:
            periods = [charging_requests.Period(p.start, p.limit, p.phases) for p in body.periods]
        fields = body.model_dump(include={"unit", "phases", "stack_level", "kind", "recurrency",
                                          "start", "duration", "valid_from", "valid_to", "id",
                                          "transaction"})  # fmt: skip
        intent = charging_commands.profile_intent(body.purpose, body.limit, periods, **fields)
        return charging_commands.set_profile(
            settings, station_id, intent, None, body.connector, body.evse, broadcaster
        )

    return await send_composed(request, station_id, send, who, response, wait)


@router.post("/{station_id}/charging-profiles/clear", **COMMAND)
async def clear_charging_profiles(
    request: Request, station_id: str, body: ClearProfilesBody, who: Writer,
    response: Response, wait: Wait = 0,
):  # fmt: skip
    """ClearChargingProfile: one profile by its `id`, or those matching every criterion
    given (none: all the station holds)."""

    def send(settings, station_id, broadcaster):
        return charging_commands.clear_profiles(
            settings, station_id, body.id, body.connector, body.evse, body.purpose,
            body.stack_level, broadcaster,
        )  # fmt: skip

    return await send_composed(request, station_id, send, who, response, wait)


@router.post("/{station_id}/charging-profiles/report", **COMMAND)
async def report_charging_profiles(
    request: Request, station_id: str, body: ReportProfilesBody, who: Writer,
    response: Response, wait: Wait = 0,
):  # fmt: skip
    """GetChargingProfiles (2.x), with a requestId of the central system's: the station
    reports the profiles matching every criterion given in ReportChargingProfiles (kept;
    the central system's own installed as reported)."""

    def send(settings, station_id, broadcaster):
        return charging_commands.get_profiles(
            settings, station_id, body.evse, body.purpose, body.stack_level, body.sources,
            body.ids, broadcaster,
        )  # fmt: skip

    return await send_composed(request, station_id, send, who, response, wait)


@router.post("/{station_id}/composite-schedule", **COMMAND)
async def composite_schedule(
    request: Request, station_id: str, body: CompositeScheduleBody, who: Writer,
    response: Response, wait: Wait = 0,
):  # fmt: skip
    """GetCompositeSchedule of a connector (2.x: EVSE) or the whole station; the answer is
    kept as its last (GET .../composite-schedules)."""

    def send(settings, station_id, broadcaster):
        return charging_commands.composite_schedule(
            settings, station_id, body.duration, body.connector, body.evse, body.unit,
            broadcaster,
        )  # fmt: skip

    return await send_composed(request, station_id, send, who, response, wait)
