"""/api/v1: firmware updates and publications sent to stations, and the diagnostics and
logs they uploaded.

The requests are composed in the station's version (channels/domain/firmware_requests.py)
as `ocpp-cable firmware` composes them. The station-facing side (the downloads and
uploads themselves) is routes/files.py.
"""

from __future__ import annotations

from typing import Annotated

import structlog
from fastapi import APIRouter, Path, Request, Response
from fastapi.responses import FileResponse
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from ocpp_cable.channels.domain import diagnostics, firmware, firmware_requests, log_retrieval
from ocpp_cable.channels.domain.station_requests import RequestProblem
from ocpp_cable.channels.operators.admin import file_commands
from ocpp_cable.channels.operators.admin.station_commands import RequestRefused
from ocpp_cable.channels.operators.api import schemas
from ocpp_cable.channels.operators.api.auth import Reader, Writer
from ocpp_cable.channels.operators.api.database import page, row_or_404, session_for, settings_of
from ocpp_cable.channels.operators.api.problems import Problem, responses
from ocpp_cable.channels.operators.api.routes.commands import Wait, followed
from ocpp_cable.channels.operators.api.sending import sending
from ocpp_cable.channels.storage.models import DiagnosticsRequest, FirmwareUpdate
from ocpp_cable.rpc_app import broadcasting

router = APIRouter(tags=["firmware and diagnostics"])
log = structlog.get_logger("channels.api")


# What an update or publication may be refused for, beside the sending's own failures.
FIRMWARE_PROBLEMS = (
    (file_commands.FilesNotServed, 503, "files-url-not-set"),
    (firmware.FirmwareFileError, 422, "unknown-firmware-file"),
    (RequestRefused, 422, "command-refused"),
    (RequestProblem, 422, "command-refused"),
)


def _send_update(request: Request, station_id: str, body: schemas.NewFirmwareUpdate) -> dict:
    with sending(*FIRMWARE_PROBLEMS):
        return file_commands.send_firmware_update(
            settings_of(request),
            station_id,
            body.file_name,
            body.retrieve_date,
            body.retries,
            body.retry_interval,
            broadcasting.current(),
            install_date=body.install_date,
            signed=firmware_requests.signing(body.signing_certificate, body.signature),
        )


@router.post(
    "/stations/{station_id}/firmware",
    status_code=201,
    response_model=schemas.FirmwareUpdate,
    responses=responses(401, 403, 404, 409, 422, 502, 503),
)
async def update_firmware(
    request: Request,
    station_id: str,
    body: schemas.NewFirmwareUpdate,
    who: Writer,
    response: Response,
):
    """Send a connected station the update its version takes for a file of
    --firmware-dir, which it downloads from <--files-url>/files/firmware/...: 1.6
    UpdateFirmware (SignedUpdateFirmware when signed), 2.x UpdateFirmware (its requestId
    the update's id); follow it at /firmware-updates. 422 for what its version cannot
    take (an install time to an unsigned 1.6 update), 503 when --files-url is not set."""
    found = await run_in_threadpool(_send_update, request, station_id, body)
    log.info("firmware update sent", station_id=station_id, update_id=found["id"], by=who.name)
    response.headers["Location"] = f"/api/v1/commands/{found['command_id']}"
    return found


def _publish(request: Request, station_id: str, body: schemas.NewFirmwarePublication) -> dict:
    with sending(*FIRMWARE_PROBLEMS):
        return file_commands.publish_firmware(
            settings_of(request),
            station_id,
            body.file_name,
            body.retries,
            body.retry_interval,
            broadcasting.current(),
        )


@router.post(
    "/stations/{station_id}/firmware/publish",
    status_code=201,
    response_model=schemas.FirmwareUpdate,
    responses=responses(401, 403, 404, 409, 422, 502, 503),
)
async def publish_firmware(
    request: Request,
    station_id: str,
    body: schemas.NewFirmwarePublication,
    who: Writer,
    response: Response,
):
    """Send a connected 2.x local controller PublishFirmware for a file of --firmware-dir
    (its MD5 as the checksum, the publication's id as the requestId): it downloads the
    file from <--files-url>/files/firmware/... and publishes it; follow it at
    /firmware-updates. 422 for a 1.6 station, 503 when --files-url is not set."""
    found = await run_in_threadpool(_publish, request, station_id, body)
    log.info("firmware publish sent", station_id=station_id, update_id=found["id"], by=who.name)
    response.headers["Location"] = f"/api/v1/commands/{found['command_id']}"
    return found


@router.post(
    "/stations/{station_id}/firmware/unpublish",
    status_code=201,
    response_model=schemas.Command,
    responses=responses(401, 403, 404, 409, 422, 502),
)
async def unpublish_firmware(
    request: Request,
    station_id: str,
    body: schemas.FirmwareUnpublication,
    who: Writer,
    response: Response,
    wait: Wait = 0,
):
    """Send a connected 2.x local controller UnpublishFirmware for the firmware with this
    MD5 checksum (or the file of --firmware-dir with it); answered Unpublished, its
    publications of that checksum end as Unpublished. `?wait=` seconds for the answer."""

    def send() -> str:
        with sending(*FIRMWARE_PROBLEMS):
            command_id, _ = file_commands.unpublish_firmware(
                settings_of(request), station_id, body.checksum, body.file_name,
                broadcasting.current(),
            )  # fmt: skip
        return command_id

    command_id = await run_in_threadpool(send)
    log.info("firmware unpublish sent", station_id=station_id, id=command_id, by=who.name)
    response.headers["Location"] = f"/api/v1/commands/{command_id}"
    return await followed(request, command_id, wait)


@router.get(
    "/firmware-updates",
    response_model=schemas.Page[schemas.FirmwareUpdate],
    responses=responses(401),
)
def firmware_updates(
    request: Request,
    _: Reader,
    station_id: str | None = None,
    limit: schemas.Limit = 50,
    offset: schemas.Offset = 0,
):
    """Firmware updates and publications, newest first, with what the stations said of
    them."""
    query = select(FirmwareUpdate).order_by(FirmwareUpdate.id.desc())
    if station_id is not None:
        query = query.where(FirmwareUpdate.station_id == station_id)
    with session_for(request) as session:
        return page(session, query, limit, offset, firmware.row)


def _request_log(request: Request, station_id: str, body: schemas.NewDiagnosticsRequest) -> dict:
    with sending((file_commands.FilesNotServed, 503, "files-url-not-set")):
        return file_commands.request_diagnostics(
            settings_of(request),
            station_id,
            body.start,
            body.stop,
            body.retries,
            body.retry_interval,
            broadcasting.current(),
            log_type=log_retrieval.LOG_TYPES[body.log] if body.log else None,
        )


@router.post(
    "/stations/{station_id}/diagnostics",
    status_code=201,
    response_model=schemas.DiagnosticsRequest,
    responses=responses(401, 403, 404, 409, 422, 502, 503),
)
async def request_diagnostics(
    request: Request,
    station_id: str,
    body: schemas.NewDiagnosticsRequest,
    who: Writer,
    response: Response,
):
    """Ask a connected station for its log: GetDiagnostics (OCPP 1.6) or GetLog (2.x, or
    `log` named), uploaded to <--files-url>/files/diagnostics/...; follow it at
    /diagnostics. 503 when --files-url is not set."""
    found = await run_in_threadpool(_request_log, request, station_id, body)
    log.info("log requested", station_id=station_id, request_id=found["id"], by=who.name)
    response.headers["Location"] = f"/api/v1/commands/{found['command_id']}"
    return found


@router.get(
    "/diagnostics",
    response_model=schemas.Page[schemas.DiagnosticsRequest],
    responses=responses(401),
)
def diagnostics_requests(
    request: Request,
    _: Reader,
    station_id: str | None = None,
    limit: schemas.Limit = 50,
    offset: schemas.Offset = 0,
):
    """Diagnostics requests (`ocpp-cable diagnostics request`), newest first."""
    query = select(DiagnosticsRequest).order_by(DiagnosticsRequest.id.desc())
    if station_id is not None:
        query = query.where(DiagnosticsRequest.station_id == station_id)
    with session_for(request) as session:
        return page(session, query, limit, offset, diagnostics.row)


@router.get(
    "/diagnostics/{request_id}/file",
    response_class=FileResponse,
    responses={
        200: {"content": {"application/octet-stream": {}}, "description": "The file"},
        **responses(401, 404),
    },
)
def diagnostics_file(
    request: Request, request_id: Annotated[int, Path(ge=1, le=schemas.INT32)], _: Reader
) -> FileResponse:
    """The file the station uploaded for this request; 404 until it arrived."""
    with session_for(request) as session:
        found = row_or_404(
            session, DiagnosticsRequest, request_id, "unknown-diagnostics", "diagnostics request"
        )
        received, name = found.received_at is not None, found.file_name
    path = diagnostics.stored_file(settings_of(request).uploads_dir, request_id)
    if not received or not path.is_file():
        raise Problem(404, "no-diagnostics-file", f"no file uploaded for request {request_id}")
    return FileResponse(
        path,
        media_type="application/octet-stream",
        filename=name or f"diagnostics-{request_id}",
    )
