"""Diagnostics and log uploads (1.6 GetDiagnostics, GetLog): a request, the station's file,
its status.

A request is recorded before its GetDiagnostics goes out, with the SHA-256 of a fresh
random token (the token itself is not kept); the station uploads to
`<--files-url>/files/diagnostics/<token>`. The answer's fileName is kept; an answer
without one says the station has no diagnostics, which ends the request.

One upload is taken per token: `claim` holds the token while an upload is under way,
`received` ends the request's uploading, and a failed upload `release`s the claim so the
station's retry may come (a claim older than CLAIM_TTL is one a dead process left).
DiagnosticsStatusNotification moves the station's latest request on (Uploading) until
it is done (Uploaded, and the file arrived) or failed (UploadFailed); Idle changes nothing.
A GetLog's request (its `log_type` set, its id the requestId) moves on with its answer
and the LogStatusNotifications naming it, as log_retrieval says.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from ocpp_cable.channels.domain import log_retrieval
from ocpp_cable.channels.domain.timeutil import now
from ocpp_cable.channels.domain.viewers import digest, token_digest
from ocpp_cable.channels.storage.models import DiagnosticsRequest

ROUTE = "/files/diagnostics"
REQUESTED, COMMAND_FAILED, NO_DIAGNOSTICS = "Requested", "CommandFailed", "NoDiagnostics"
UPLOADED = "Uploaded"
FAILED = frozenset({"UploadFailed", COMMAND_FAILED, NO_DIAGNOSTICS})
TRACKED = frozenset({"Uploading", UPLOADED, "UploadFailed"})
CLAIM_TTL = timedelta(hours=1)


def state(found: DiagnosticsRequest) -> str:
    """open, done (the file is here and the station said Uploaded) or failed."""
    if found.log_type is not None:
        return log_retrieval.state(found.status, found.received_at is not None)
    if found.status in FAILED:
        return "failed"
    if found.status == UPLOADED and found.received_at is not None:
        return "done"
    return "open"


def location(files_url: str, token: str) -> str:
    return f"{files_url}{ROUTE}/{token}"


def stored_file(uploads_dir: Path, request_id: int) -> Path:
    """Where a request's upload is kept: named by the request, never by what a station sent."""
    return uploads_dir / "diagnostics" / str(request_id)


def record_request(
    session: Session,
    station_id: str,
    command_id: str,
    token: str,
    start_time: datetime | None,
    stop_time: datetime | None,
    log_type: str | None = None,
) -> DiagnosticsRequest:
    found = DiagnosticsRequest(
        station_id=station_id,
        log_type=log_type,
        command_id=command_id,
        token_hash=digest(token),
        start_time=start_time,
        stop_time=stop_time,
        status=REQUESTED,
    )
    session.add(found)
    session.flush()
    return found


def claim(session: Session, token: str) -> tuple[int | None, bool]:
    """Take the token for one upload: (the request's id, True) when taken; (id, False)
    when its upload came already, is under way, or the request is over; (None, False)
    for a token that is no request's."""
    token_hash, at = digest(token), now()
    taken = session.execute(
        update(DiagnosticsRequest)
        .where(
            DiagnosticsRequest.token_hash == token_hash,
            DiagnosticsRequest.received_at.is_(None),
            DiagnosticsRequest.status.not_in(FAILED | log_retrieval.FAILED),
            or_(
                DiagnosticsRequest.upload_started_at.is_(None),
                DiagnosticsRequest.upload_started_at < at - CLAIM_TTL,
            ),
        )
        .values(upload_started_at=at)
        .execution_options(synchronize_session=False)
    )
    found = session.scalar(
        select(DiagnosticsRequest.id).where(DiagnosticsRequest.token_hash == token_hash)
    )
    return found, bool(taken.rowcount)


def release(session: Session, request_id: int) -> None:
    """An upload that did not complete: the token may be used again (the station retries)."""
    session.execute(
        update(DiagnosticsRequest)
        .where(DiagnosticsRequest.id == request_id, DiagnosticsRequest.received_at.is_(None))
        .values(upload_started_at=None)
    )


def received(session: Session, request_id: int, size: int, file_name: str | None) -> str:
    """The upload arrived whole; the request's station (for the log)."""
    found = session.get(DiagnosticsRequest, request_id)
    found.received_at = found.updated_at = now()
    found.size = size
    if found.file_name is None and file_name:
        found.file_name = file_name
    return found.station_id


def track_status(session: Session, station_id: str, status: str) -> None:
    """A DiagnosticsStatusNotification: the station's latest request, if still open, moves on."""
    if status not in TRACKED:
        return  # Idle: the station is uploading nothing
    found = session.scalar(
        select(DiagnosticsRequest)
        .where(DiagnosticsRequest.station_id == station_id, DiagnosticsRequest.log_type.is_(None))
        .order_by(DiagnosticsRequest.id.desc())
        .limit(1)
    )
    if found is not None and state(found) == "open":
        found.status, found.updated_at = status, now()


def track_log_status(session: Session, station_id: str, payload: dict[str, Any]) -> None:
    """A LogStatusNotification: the GetLog request it names (the station's latest when it
    names none), if still open, moves on."""
    query = select(DiagnosticsRequest).where(
        DiagnosticsRequest.station_id == station_id, DiagnosticsRequest.log_type.is_not(None)
    )
    request_id = payload.get("requestId")
    if request_id is not None:
        query = query.where(DiagnosticsRequest.id == request_id)
    found = session.scalar(query.order_by(DiagnosticsRequest.id.desc()).limit(1))
    if found is None:
        return
    status = log_retrieval.reported(found.status, payload["status"], found.received_at is not None)
    if status != found.status:
        found.status, found.updated_at = status, now()


def on_log_answered(
    session: Session, station_id: str, payload: dict[str, Any], answer: dict[str, Any]
) -> None:
    """The answer to a GetLog of ours: its file's name, accepted or rejected; an
    AcceptedCanceled one says the station's earlier upload was canceled for it."""
    found = session.scalar(select(DiagnosticsRequest).where(_ours(station_id, payload, "GetLog")))
    if found is None:
        return
    if isinstance(answer.get("filename"), str):
        found.file_name = answer["filename"]
    found.status = log_retrieval.answered(found.status, answer.get("status"))
    found.updated_at = now()
    if answer.get("status") != log_retrieval.CANCELED:
        return
    earlier = session.scalars(
        select(DiagnosticsRequest).where(
            DiagnosticsRequest.station_id == station_id,
            DiagnosticsRequest.log_type.is_not(None),
            DiagnosticsRequest.id < found.id,
        )
    )
    for other in earlier:
        if state(other) == "open":
            other.status, other.updated_at = log_retrieval.CANCELED, now()


def on_log_failed(session: Session, station_id: str, payload: dict[str, Any], code: str) -> None:
    session.execute(
        update(DiagnosticsRequest)
        .where(_ours(station_id, payload, "GetLog"), DiagnosticsRequest.status == REQUESTED)
        .values(status=COMMAND_FAILED, updated_at=now())
    )


def _token_hash_in(location_sent: Any) -> str | None:
    if not isinstance(location_sent, str) or f"{ROUTE}/" not in location_sent:
        return None
    token = location_sent.rsplit(f"{ROUTE}/", 1)[1]
    return token_digest(token) if token and "/" not in token else None


def _ours(station_id: str, payload: dict[str, Any], action: str = "GetDiagnostics") -> Any:
    """The request a GetDiagnostics or GetLog of ours was for (none for one sent otherwise)."""
    token_hash = _token_hash_in(log_retrieval.location_of(action, payload))
    return and_(
        DiagnosticsRequest.station_id == station_id,
        DiagnosticsRequest.token_hash == (token_hash or ""),
    )


def on_diagnostics_answered(
    session: Session, station_id: str, payload: dict[str, Any], answer: dict[str, Any]
) -> None:
    file_name = answer.get("fileName")
    if isinstance(file_name, str):  # it replaces an upload's own name, if that came first
        session.execute(
            update(DiagnosticsRequest)
            .where(_ours(station_id, payload))
            .values(file_name=file_name, updated_at=now())
        )
        return
    session.execute(
        update(DiagnosticsRequest)
        .where(_ours(station_id, payload), DiagnosticsRequest.status == REQUESTED)
        .values(status=NO_DIAGNOSTICS, updated_at=now())
    )


def on_diagnostics_failed(
    session: Session, station_id: str, payload: dict[str, Any], code: str
) -> None:
    session.execute(
        update(DiagnosticsRequest)
        .where(
            _ours(station_id, payload),
            DiagnosticsRequest.status == REQUESTED,
            DiagnosticsRequest.received_at.is_(None),
        )
        .values(status=COMMAND_FAILED, updated_at=now())
    )


def row(found: DiagnosticsRequest) -> dict[str, Any]:
    return {
        "id": found.id,
        "station_id": found.station_id,
        "log_type": found.log_type,
        "status": found.status,
        "state": state(found),
        "file_name": found.file_name,
        "size": found.size,
        "start_time": found.start_time,
        "stop_time": found.stop_time,
        "command_id": found.command_id,
        "received_at": found.received_at,
        "created_at": found.created_at,
        "updated_at": found.updated_at,
    }
