"""/api/v1/stations/{id}/reset, /availability, /clear-cache, /trigger, /unlock and
/network-profile: the everyday commands, composed by the central system in the station's
version (channels/domain/station_requests.py), recorded and followed as any command is
(`?wait=` seconds for the answer)."""

from __future__ import annotations

from collections.abc import Callable

import structlog
from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from ocpp_cable.channels.domain import station_requests
from ocpp_cable.channels.operators.admin.station_commands import RequestRefused, send_request
from ocpp_cable.channels.operators.api import schemas
from ocpp_cable.channels.operators.api.auth import Writer
from ocpp_cable.channels.operators.api.database import settings_of
from ocpp_cable.channels.operators.api.problems import responses
from ocpp_cable.channels.operators.api.routes.commands import Wait, followed
from ocpp_cable.channels.operators.api.sending import sending
from ocpp_cable.rpc_app import broadcasting

router = APIRouter(tags=["commands"])
log = structlog.get_logger("channels.api")


class ResetBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    immediate: bool = Field(
        False, description="now, ending transactions (1.6: Hard); else once idle (1.6: Soft)"
    )
    evse: int | None = Field(None, ge=1, description="2.x: only this EVSE")


class AvailabilityBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    operative: bool
    evse: int | None = Field(None, ge=1, description="2.x: this EVSE (default: the station)")
    connector: int | None = Field(None, ge=0, description="1.6: this connector; 2.x: of evse")


class TriggerBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    message: str = Field(examples=["StatusNotification"])
    evse: int | None = Field(None, ge=1, description="2.x: for this EVSE")
    connector: int | None = Field(None, ge=1, description="for this connector (2.x: of evse)")


class UnlockBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    connector: int = Field(ge=1)
    evse: int | None = Field(None, ge=1, description="2.x: the connector's EVSE")


class NetworkProfileBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    slot: int = Field(ge=1, description="configuration slot")
    url: str = Field(max_length=512, examples=["wss://csms.example.com/ocpp"])
    security_profile: int = Field(ge=1, le=3)
    interface: str = "Wired0"
    message_timeout: int = Field(30, ge=1)


async def _send(
    request: Request,
    station_id: str,
    compose: Callable[[str], station_requests.Request],
    who: Writer,
    response: Response,
    wait: float,
) -> dict:
    def send() -> str:
        with sending((RequestRefused, 422, "command-refused")):
            command_id, _ = send_request(
                settings_of(request), station_id, compose, broadcasting.current()
            )
        return command_id

    command_id = await run_in_threadpool(send)
    log.info("command sent", station_id=station_id, id=command_id, by=who.name)
    response.headers["Location"] = f"/api/v1/commands/{command_id}"
    return await followed(request, command_id, wait)


COMMAND = {
    "status_code": 201,
    "response_model": schemas.Command,
    "responses": responses(401, 403, 404, 409, 422, 502),
}


@router.post("/stations/{station_id}/reset", **COMMAND)
async def reset(
    request: Request, station_id: str, body: ResetBody, who: Writer, response: Response,
    wait: Wait = 0,
):  # fmt: skip
    """Reset: the station, or a 2.x EVSE; now or once idle."""

    def compose(v):
        return station_requests.reset(v, body.immediate, body.evse)

    return await _send(request, station_id, compose, who, response, wait)


@router.post("/stations/{station_id}/availability", **COMMAND)
async def availability(
    request: Request, station_id: str, body: AvailabilityBody, who: Writer,
    response: Response, wait: Wait = 0,
):  # fmt: skip
    """ChangeAvailability: the station, a 2.x EVSE or a connector in or out of service."""

    def compose(v):
        return station_requests.availability(v, body.operative, body.evse, body.connector)

    return await _send(request, station_id, compose, who, response, wait)


@router.post("/stations/{station_id}/clear-cache", **COMMAND)
async def clear_cache(
    request: Request, station_id: str, who: Writer, response: Response, wait: Wait = 0
):
    """ClearCache: the station's authorization cache emptied."""
    return await _send(
        request, station_id, lambda _: station_requests.clear_cache(), who, response, wait
    )


@router.post("/stations/{station_id}/trigger", **COMMAND)
async def trigger(
    request: Request, station_id: str, body: TriggerBody, who: Writer, response: Response,
    wait: Wait = 0,
):  # fmt: skip
    """TriggerMessage: the station asked to send `message` now."""

    def compose(v):
        return station_requests.trigger(v, body.message, body.evse, body.connector)

    return await _send(request, station_id, compose, who, response, wait)


@router.post("/stations/{station_id}/unlock", **COMMAND)
async def unlock(
    request: Request, station_id: str, body: UnlockBody, who: Writer, response: Response,
    wait: Wait = 0,
):  # fmt: skip
    """UnlockConnector."""

    def compose(v):
        return station_requests.unlock(v, body.connector, body.evse)

    return await _send(request, station_id, compose, who, response, wait)


@router.post("/stations/{station_id}/network-profile", **COMMAND)
async def network_profile(
    request: Request, station_id: str, body: NetworkProfileBody, who: Writer,
    response: Response, wait: Wait = 0,
):  # fmt: skip
    """SetNetworkProfile (2.x): a connection profile in a configuration slot."""

    def compose(v):
        return station_requests.network_profile(
            v, body.slot, body.url, body.security_profile, body.interface, body.message_timeout
        )

    return await _send(request, station_id, compose, who, response, wait)
