"""/api/v1/stations/{id}/reset, /availability, /clear-cache, /trigger, /unlock,
/network-profile, /remote-start, /remote-stop, /transaction-status and (1.6)
/configuration/get and /configuration/set: the everyday commands, composed by the central
system in the station's version (channels/domain/station_requests.py,
session_requests.py), recorded and followed as any command is (`?wait=` seconds for the
answer)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import structlog
from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from ocpp_cable.channels.domain import session_requests, station_requests
from ocpp_cable.channels.operators.admin.station_commands import (
    RequestRefused,
    new_remote_start_id,
    send_request,
    status_composer,
    stop_composer,
)
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


class RemoteStartBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id_tag: str = Field(min_length=1, max_length=36, examples=["TAG-1"])
    connector: int | None = Field(None, ge=1, description="1.6: on this connector")
    evse: int | None = Field(None, ge=1, description="2.x: on this EVSE")
    token_type: str | None = Field(
        None, description="2.x: the idToken's type (default Central)", examples=["ISO14443"]
    )
    group_id_token: str | None = Field(None, max_length=36, description="2.x: its group")
    charging_profile: dict[str, Any] | None = Field(
        None, description="a chargingProfile (a TxProfile) the session charges under"
    )


class TransactionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    transaction: str = Field(
        min_length=1,
        max_length=36,
        description="our transaction id, or a 2.x station's own transactionId",
        examples=["42"],
    )


class TransactionStatusBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    transaction: str | None = Field(
        None,
        min_length=1,
        max_length=36,
        description="our transaction id or the station's own; none: whether messages wait",
    )


class ConfigurationKeysBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    keys: list[str] = Field(
        default_factory=list, max_length=100, description="none: every key the station has"
    )


class ConfigurationChangeBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str = Field(min_length=1, max_length=50, examples=["HeartbeatInterval"])
    value: str = Field(max_length=500, examples=["300"])


async def send_composed(
    request: Request,
    station_id: str,
    send: Callable[[Any, str, Any], tuple[str, Any]],
    who: Writer,
    response: Response,
    wait: float,
) -> dict:
    """Run `send(settings, station_id, broadcaster)` (a command the central system composes,
    recorded and published: its id first), off the event loop; the command's record as
    COMMAND answers it, followed for `wait` seconds."""

    def sent() -> str:
        with sending((RequestRefused, 422, "command-refused")):
            command_id, _ = send(settings_of(request), station_id, broadcasting.current())
        return command_id

    command_id = await run_in_threadpool(sent)
    log.info("command sent", station_id=station_id, id=command_id, by=who.name)
    response.headers["Location"] = f"/api/v1/commands/{command_id}"
    return await followed(request, command_id, wait)


async def _send(
    request: Request,
    station_id: str,
    compose: Callable[[str], station_requests.Request],
    who: Writer,
    response: Response,
    wait: float,
) -> dict:
    def send(settings: Any, station: str, broadcaster: Any) -> tuple[str, Any]:
        return send_request(settings, station, compose, broadcaster)

    return await send_composed(request, station_id, send, who, response, wait)


# What a route sending a composed command answers.
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


@router.post("/stations/{station_id}/remote-start", **COMMAND)
async def remote_start(
    request: Request, station_id: str, body: RemoteStartBody, who: Writer,
    response: Response, wait: Wait = 0,
):  # fmt: skip
    """RemoteStartTransaction (1.6) or RequestStartTransaction (2.x, with a remoteStartId
    of the central system's, which the station's transaction carries back)."""
    remote_start_id = new_remote_start_id()

    def compose(v):
        return session_requests.remote_start(
            v, body.id_tag, remote_start_id, token_type=body.token_type,
            connector=body.connector, evse=body.evse, group_id_token=body.group_id_token,
            charging_profile=body.charging_profile,
        )  # fmt: skip

    return await _send(request, station_id, compose, who, response, wait)


@router.post("/stations/{station_id}/remote-stop", **COMMAND)
async def remote_stop(
    request: Request, station_id: str, body: TransactionBody, who: Writer,
    response: Response, wait: Wait = 0,
):  # fmt: skip
    """RemoteStopTransaction (1.6) or RequestStopTransaction (2.x, the station's own
    transactionId, found from ours)."""
    compose = stop_composer(settings_of(request), station_id, body.transaction)
    return await _send(request, station_id, compose, who, response, wait)


@router.post("/stations/{station_id}/transaction-status", **COMMAND)
async def transaction_status(
    request: Request, station_id: str, body: TransactionStatusBody, who: Writer,
    response: Response, wait: Wait = 0,
):  # fmt: skip
    """GetTransactionStatus (2.x): does the transaction go on, are its messages delivered."""
    compose = status_composer(settings_of(request), station_id, body.transaction)
    return await _send(request, station_id, compose, who, response, wait)


@router.post("/stations/{station_id}/configuration/get", **COMMAND)
async def get_configuration(
    request: Request, station_id: str, body: ConfigurationKeysBody, who: Writer,
    response: Response, wait: Wait = 0,
):  # fmt: skip
    """GetConfiguration (1.6): every key, or those named; the answer is stored."""
    keys = tuple(body.keys)

    def compose(v):
        return station_requests.get_configuration(v, keys)

    return await _send(request, station_id, compose, who, response, wait)


@router.post("/stations/{station_id}/configuration/set", **COMMAND)
async def change_configuration(
    request: Request, station_id: str, body: ConfigurationChangeBody, who: Writer,
    response: Response, wait: Wait = 0,
):  # fmt: skip
    """ChangeConfiguration (1.6) of one key."""

    def compose(v):
        return station_requests.change_configuration(v, body.key, body.value)

    return await _send(request, station_id, compose, who, response, wait)
