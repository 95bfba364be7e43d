"""/api/v1/stations/{id}/password-rotation: a station's HTTP Basic password rotated, as
`ocpp-cable rotate-password` rotates it (channels/domain/password_rotation.py)."""

from __future__ import annotations

import structlog
from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from ocpp_cable.channels.operators.admin.password_rotation import (
    RotationConflict,
    RotationRefused,
    rotate_password,
    rotation_view,
)
from ocpp_cable.channels.operators.api import schemas
from ocpp_cable.channels.operators.api.auth import Writer
from ocpp_cable.channels.operators.api.database import settings_of
from ocpp_cable.channels.operators.api.problems import responses
from ocpp_cable.channels.operators.api.routes.commands import Wait, followed
from ocpp_cable.channels.operators.api.sending import sending
from ocpp_cable.rpc_app import broadcasting

router = APIRouter(tags=["stations"])
log = structlog.get_logger("channels.api")


def _rotate(request: Request, station_id: str, password: str | None) -> str:
    with sending((RotationConflict, 409, "conflict"), (RotationRefused, 422, "command-refused")):
        return rotate_password(settings_of(request), station_id, password, broadcasting.current())


@router.post(
    "/stations/{station_id}/password-rotation",
    status_code=201,
    response_model=schemas.PasswordRotation,
    responses=responses(401, 403, 404, 409, 422, 502),
)
async def rotate(
    request: Request,
    station_id: str,
    who: Writer,
    response: Response,
    body: schemas.NewPasswordRotation | None = None,
    wait: Wait = 0,
):
    """Give a connected station a new HTTP Basic password: 1.6's ChangeConfiguration
    AuthorizationKey, 2.x's SetVariables SecurityCtrlr.BasicAuthPassword. It is made here
    unless given, and shown to no one: the command keeps it masked, only its hash is
    kept. Once the station accepts, it is admitted with either password until its first
    login with the new one; refused or failed, the old one stays; unanswered (Timeout,
    NoAnswer, NotSent, NotConnected), both stay until the station's next login settles
    it. One rotation at a time per station (409 until the last one is settled).
    `wait` ends when the command is final, at most by the time rpc_app's sweep ends it."""
    password = body.password if body is not None else None
    command_id = await run_in_threadpool(_rotate, request, station_id, password)
    log.info("password rotation sent", station_id=station_id, id=command_id, by=who.name)
    response.headers["Location"] = f"/api/v1/commands/{command_id}"
    return rotation_view(await followed(request, command_id, wait))
