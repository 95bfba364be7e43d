"""/api/v1/stations/{id}/local-list: a station's Local Authorization List, kept in step
with our idTags (channels/domain/local_lists.py) in the SendLocalList of its version, and
the version it holds asked for (GetLocalListVersion), as `ocpp-cable local-list` does."""

from __future__ import annotations

import structlog
from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from ocpp_cable.channels.operators.admin import operations
from ocpp_cable.channels.operators.admin.station_commands import RequestRefused
from ocpp_cable.channels.operators.api import schemas
from ocpp_cable.channels.operators.api.auth import Reader, Writer
from ocpp_cable.channels.operators.api.database import settings_of
from ocpp_cable.channels.operators.api.problems import responses
from ocpp_cable.channels.operators.api.routes.commands import Wait, followed
from ocpp_cable.channels.operators.api.sending import OPERATION_PROBLEMS, sending
from ocpp_cable.rpc_app import broadcasting

router = APIRouter(prefix="/stations/{station_id}/local-list", tags=["local lists"])
log = structlog.get_logger("channels.api")


@router.post(
    "/sync",
    status_code=202,
    response_model=schemas.LocalListSent,
    responses={200: {"model": schemas.LocalListSent, "description": "In sync: nothing sent"},
               **responses(401, 403, 404, 409, 422, 502)},
)  # fmt: skip
async def sync_local_list(
    request: Request,
    station_id: str,
    who: Writer,
    response: Response,
    body: schemas.LocalListSync | None = None,
):
    """Send the station what changed since the list it acknowledged (a Differential
    update), or the whole list (`full`, or when it never acknowledged one), in its
    version's SendLocalList (2.x: idTokens of `token_type`, a list larger than one
    message takes sent in parts). A station that answers Failed or VersionMismatch gets
    the full list again, at most 3 times in a row. 409: another update awaits its answer,
    or the station is offline; 422: the list is longer than the station takes (1.6: its
    LocalAuthListMaxLength, SendLocalListMaxLength, nothing is split; 2.x:
    LocalAuthListCtrlr.Entries), the station does not support lists (2.x: its
    LocalAuthListCtrlr is not Available or not Enabled), or a token type to a 1.6 one."""
    full = body.full if body is not None else False
    token_type = body.token_type if body is not None else None
    with sending(*OPERATION_PROBLEMS):
        result = await run_in_threadpool(
            operations.sync_local_list,
            settings_of(request),
            station_id,
            full,
            broadcasting.current(),
            token_type,
        )
    if not result["sent"]:
        response.status_code = 200
    else:
        response.headers["Location"] = f"/api/v1/commands/{result['command_id']}"
        log.info("local list sent", station_id=station_id, version=result["version"], by=who.name)
    return result


@router.get("", response_model=schemas.LocalListState, responses=responses(401, 404))
def show_local_list(request: Request, station_id: str, _: Reader):
    """The version the station acknowledged, whether it holds our list, the update in flight."""
    with sending(*OPERATION_PROBLEMS):
        return operations.local_list_state(settings_of(request), station_id)


@router.post(
    "/version",
    status_code=201,
    response_model=schemas.Command,
    responses=responses(401, 403, 404, 409, 422, 502),
)
async def local_list_version(
    request: Request, station_id: str, who: Writer, response: Response, wait: Wait = 0
):
    """GetLocalListVersion: the station says which list version it holds (its answer, in
    the command's record: 1.6 `listVersion`, 2.x `versionNumber`); one that differs from
    ours has the full list follow. `?wait=` seconds for the answer."""

    def send() -> str:
        with sending((RequestRefused, 422, "command-refused")):
            command_id, _ = operations.local_list_version(
                settings_of(request), station_id, broadcasting.current()
            )
        return command_id

    command_id = await run_in_threadpool(send)
    log.info("local list version asked", station_id=station_id, id=command_id, by=who.name)
    response.headers["Location"] = f"/api/v1/commands/{command_id}"
    return await followed(request, command_id, wait)
