"""/api/v1/stations/{id}/commands and /api/v1/commands: any command a central system
sends, in the OCPP version the station speaks, validated as `ocpp-cable send` validates
it, recorded, and followed to the station's answer (`?wait=` seconds); and
/api/v1/ocpp/{version}/actions, the commands each version has."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from typing import Annotated

import structlog
from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from ocpp_cable.channels.domain import commands, password_fields
from ocpp_cable.channels.domain.timeutil import now
from ocpp_cable.channels.operators.admin import command_records
from ocpp_cable.channels.operators.admin.publishing import build_call
from ocpp_cable.channels.operators.api import schemas
from ocpp_cable.channels.operators.api.auth import Reader, Writer
from ocpp_cable.channels.operators.api.database import page, session_for, settings_of
from ocpp_cable.channels.operators.api.problems import Problem, responses
from ocpp_cable.channels.operators.api.sending import sending
from ocpp_cable.channels.storage.models import Command
from ocpp_cable.ocppj import versions
from ocpp_cable.rpc_app import broadcasting

router = APIRouter(tags=["commands"])
log = structlog.get_logger("channels.api")

# Seconds between two looks at a command being waited for: a station answers within
# milliseconds or takes its time, so look soon, then less and less often.
FIRST_POLL, LAST_POLL = 0.005, 0.2
# Requests waiting for answers at once, per process: beyond it a request answers at
# once with the record as it stands (its client follows it with GET), so waiting
# clients cannot pile up coroutines and database polls without bound.
MAX_WAITING = 256
Wait = Annotated[
    float,
    Query(
        ge=0,
        description="Seconds to wait for the station's answer (at most --api-command-wait); "
        "0: answer at once",
    ),
]


def _row(command: Command) -> dict:
    return {name: getattr(command, name) for name in schemas.Command.model_fields}


def _read(request: Request, command_id: str) -> dict | None:
    with session_for(request) as session:
        found = session.get(Command, command_id)
        return None if found is None else _row(found)


def _final_in(request: Request, command_id: str) -> float:
    """Seconds until the command is final at the latest (commands.patience, the sweep's
    measure): no wait goes on past that."""
    with session_for(request) as session:
        final = commands.final_by(session, command_id, commands.patience(settings_of(request)))
    return 0.0 if final is None else (final - now()).total_seconds()


async def followed(request: Request, command_id: str, wait: float) -> dict:
    """The command's record once it is final, or as it is when `wait` runs out (or the
    time by which it is final at the latest passes: nothing answers it after that)."""
    state = request.app.state
    if state.waiting >= MAX_WAITING:
        wait = 0
    wait = min(wait, settings_of(request).api_command_wait)
    if wait > 0:
        wait = min(wait, await run_in_threadpool(_final_in, request, command_id))
    deadline = time.monotonic() + wait
    state.waiting += 1  # the event loop's own count: no lock needed
    try:
        return await _poll(request, command_id, deadline)
    finally:
        state.waiting -= 1


async def _poll(request: Request, command_id: str, deadline: float) -> dict:
    # Set when the server stops: a request waiting for an answer ends with the record as
    # it is, instead of holding the shutdown up for its wait.
    stopping: asyncio.Event = request.app.state.stopping
    pause = FIRST_POLL
    while True:
        found = await run_in_threadpool(_read, request, command_id)
        if found is None:
            raise Problem(404, "unknown-command", f"no command {command_id}")
        left = deadline - time.monotonic()
        if found["status"] not in commands.OPEN or left <= 0 or stopping.is_set():
            return found
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), min(pause, left))
        pause = min(pause * 2, LAST_POLL)


def _send(request: Request, station_id: str, body: schemas.NewCommand) -> str:
    settings = settings_of(request)
    refused = password_fields.refusal(body.action, body.payload, station_id)
    if refused is not None:
        raise Problem(422, "command-refused", refused)
    version = command_records.station_version(settings, station_id) or "1.6"
    with sending():
        transmission = build_call(body.action, body.payload, uuid.uuid4().hex, version)
        command_records.publish_recorded(
            settings,
            station_id,
            transmission,
            settings.stream_for_station(station_id),
            broadcasting.current(),
        )
    return transmission["id"]


@router.post(
    "/stations/{station_id}/commands",
    status_code=201,
    response_model=schemas.Command,
    responses=responses(401, 403, 404, 409, 422, 502),
)
async def send_command(
    request: Request,
    station_id: str,
    body: schemas.NewCommand,
    who: Writer,
    response: Response,
    wait: Wait = 0,
):
    """Send a command to a connected station. The record says where it is: `sent`, then
    `accepted` / `rejected` (by the answer's status), `error` (a CALLERROR, or the station
    left) or `timeout` (no answer within --call-timeout)."""
    command_id = await run_in_threadpool(_send, request, station_id, body)
    log.info("command sent", station_id=station_id, action=body.action, id=command_id, by=who.name)
    response.headers["Location"] = f"/api/v1/commands/{command_id}"
    return await followed(request, command_id, wait)


@router.get("/commands/{command_id}", response_model=schemas.Command, responses=responses(401, 404))
async def show_command(request: Request, command_id: str, _: Reader, wait: Wait = 0):
    return await followed(request, command_id, wait)


@router.get("/commands", response_model=schemas.Page[schemas.Command], responses=responses(401))
def list_commands(
    request: Request,
    _: Reader,
    station_id: str | None = None,
    status: schemas.CommandStatus | None = None,
    limit: schemas.Limit = 50,
    offset: schemas.Offset = 0,
):
    """Commands, newest first."""
    query = select(Command).order_by(Command.created_at.desc(), Command.id)
    if station_id is not None:
        query = query.where(Command.station_id == station_id)
    if status is not None:
        query = query.where(Command.status == status)
    with session_for(request) as session:
        return page(session, query, limit, offset, _row)


@router.get("/ocpp/{version}/actions", response_model=schemas.OcppActions, responses=responses(401))
def ocpp_actions(version: schemas.OcppVersion, _: Reader):  # type: ignore[valid-type]
    """The commands a central system sends in OCPP `version`: those POST
    /stations/{id}/commands takes for a station that speaks it."""
    return {"version": version, "central": sorted(versions.named(version).central_actions)}
