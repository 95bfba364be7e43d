"""What stations fetch from and upload to, at `<--files-url>/files/...`: the firmware of an
update (GET), and the diagnostics file of a request (PUT, or POST with the raw body or
multipart/form-data).

A random token in the URL is the credential, so these take no bearer token; a URL of no
open update or request is a 404, and a token is never logged. An upload is streamed to
disk and cut off at --upload-max-bytes (413, nothing kept); one upload per token.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from ocpp_cable.channels.domain import diagnostics, firmware
from ocpp_cable.channels.operators.api.database import session_for, settings_of
from ocpp_cable.channels.operators.api.limits import BodyLimit
from ocpp_cable.channels.operators.api.multipart import FilePart, MultipartError, boundary_of
from ocpp_cable.channels.operators.api.problems import Problem

router = APIRouter(tags=["station files"], include_in_schema=False)
log = structlog.get_logger("channels.api")

# A multipart body's own bytes (boundaries, part headers, small fields) beside the file.
MULTIPART_OVERHEAD = 64 * 1024


class BodyLimitBesideUploads:
    """The API's body limit (channels.operators.api.limits) for every request but a diagnostics
    upload, which is bounded by --upload-max-bytes as it is written to disk."""

    def __init__(self, app: Any) -> None:
        self.app, self.limited = app, BodyLimit(app)

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        upload = (
            scope["type"] == "http"
            and scope.get("method") in ("PUT", "POST")
            and scope.get("path", "").startswith(diagnostics.ROUTE + "/")
        )
        await (self.app if upload else self.limited)(scope, receive, send)


# --- firmware -----------------------------------------------------------------------------


@router.api_route(firmware.ROUTE + "/{token}/{file_name}", methods=["GET", "HEAD"])
def download_firmware(request: Request, token: str, file_name: str) -> FileResponse:
    settings = settings_of(request)
    with session_for(request) as session:
        found = firmware.servable(session, token, file_name)
        update_id, station_id = (found.id, found.station_id) if found else (None, None)
    if found is None:
        raise Problem(404, "unknown-file", "no such file")
    try:
        path = firmware.firmware_file(settings.firmware_dir, file_name)
    except firmware.FirmwareFileError:
        log.warning("firmware file gone", update_id=update_id, station_id=station_id)
        raise Problem(404, "unknown-file", "no such file") from None
    log.info("firmware served", update_id=update_id, station_id=station_id)
    return FileResponse(path, media_type="application/octet-stream", filename=file_name)


# --- diagnostics --------------------------------------------------------------------------


class _TooLarge(Exception):
    pass


async def _receive(request: Request, part: Path, max_bytes: int) -> tuple[int, str | None]:
    """Write the upload's file to `part` as it arrives: (its size, the name it came with)."""
    boundary = boundary_of(request.headers.get("content-type", ""))
    parser = FilePart(boundary) if boundary is not None else None
    body_max = max_bytes + (MULTIPART_OVERHEAD if parser is not None else 0)
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > body_max:
        raise _TooLarge
    part.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    body = size = 0
    with os.fdopen(fd, "wb") as file:
        async for chunk in request.stream():
            body += len(chunk)
            pieces = parser.feed(chunk) if parser is not None else [chunk]
            size += sum(len(piece) for piece in pieces)
            if size > max_bytes or body > body_max:
                raise _TooLarge
            if pieces:
                await run_in_threadpool(file.writelines, pieces)
    if parser is not None:
        parser.finish()
        return size, parser.filename
    return size, None


def _claim(request: Request, token: str) -> int:
    with session_for(request) as session:
        request_id, taken = diagnostics.claim(session, token)
    if request_id is None:
        raise Problem(404, "unknown-upload", "no diagnostics request has this URL")
    if not taken:
        raise Problem(409, "upload-taken", "this URL took its upload already, or is closed")
    return request_id


def _received(request: Request, request_id: int, size: int, name: str | None) -> str:
    with session_for(request) as session:
        return diagnostics.received(session, request_id, size, name)


def _release(request: Request, request_id: int) -> None:
    with session_for(request) as session:
        diagnostics.release(session, request_id)


@router.api_route(diagnostics.ROUTE + "/{token}", methods=["PUT", "POST"])
@router.api_route(diagnostics.ROUTE + "/{token}/{file_name}", methods=["PUT", "POST"])
async def upload_diagnostics(request: Request, token: str, file_name: str | None = None):
    """The station's diagnostics file; a trailing name (some stations add their file's)
    is kept as its name when the GetDiagnostics answer gave none."""
    settings = settings_of(request)
    request_id = await run_in_threadpool(_claim, request, token)
    final = diagnostics.stored_file(settings.uploads_dir, request_id)
    part = final.with_name(final.name + ".part")
    try:
        size, sent_name = await _receive(request, part, settings.upload_max_bytes)
        os.replace(part, final)
    except Exception as exc:
        with contextlib.suppress(FileNotFoundError):
            part.unlink()
        await run_in_threadpool(_release, request, request_id)
        if isinstance(exc, _TooLarge):
            raise Problem(
                413,
                "upload-too-large",
                f"an upload holds at most {settings.upload_max_bytes} bytes",
            ) from None
        if isinstance(exc, MultipartError):
            raise Problem(400, "invalid-upload", str(exc)) from None
        if isinstance(exc, ClientDisconnect):
            log.warning("diagnostics upload broken off", request_id=request_id)
            raise Problem(400, "upload-broken-off", "the upload ended before its body") from None
        raise
    name = (sent_name or file_name or "")[:255] or None
    station_id = await run_in_threadpool(_received, request, request_id, size, name)
    log.info("diagnostics uploaded", request_id=request_id, station_id=station_id, bytes=size)
    return JSONResponse({"id": request_id, "bytes": size})
