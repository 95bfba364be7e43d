"""Firmware updates (OCPP 1.6 Firmware Management): the file a station downloads from us,
and what the station said of the update.

An update is recorded before its UpdateFirmware goes out, with the SHA-256 of a random
token; the station downloads the file at `<--files-url>/files/firmware/<token>/<name>`
while the update is open. FirmwareStatusNotification moves the station's latest update
on (Downloading, Downloaded, Installing) until it is done (Installed) or failed
(DownloadFailed, InstallationFailed; CommandFailed: the UpdateFirmware itself got an
error or no answer). Idle says the station is busy with none, which is no news of ours
(it waits for the retrieveDate, say): it changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ocpp_cable.channels.domain.timeutil import now
from ocpp_cable.channels.domain.viewers import digest, token_digest
from ocpp_cable.channels.storage.models import FirmwareUpdate

ROUTE = "/files/firmware"
REQUESTED, COMMAND_FAILED = "Requested", "CommandFailed"
DONE = frozenset({"Installed"})
FAILED = frozenset({"DownloadFailed", "InstallationFailed", COMMAND_FAILED})
PROGRESS = frozenset({"Downloading", "Downloaded", "Installing"})
MAX_FILE_NAME = 255


class FirmwareFileError(ValueError):
    """The file named is not one --firmware-dir serves (bad input: exit 2)."""

    exit_code = 2


def state(status: str) -> str:
    """open, done or failed."""
    return "done" if status in DONE else "failed" if status in FAILED else "open"


def firmware_file(directory: Path, name: str) -> Path:
    """The regular file `name` directly in `directory`: a single path segment, no way out
    of the directory (no `..`, no absolute path, no link leading elsewhere).

    Raises:
        FirmwareFileError: it is not such a file.
    """
    if (
        not name
        or len(name) > MAX_FILE_NAME
        or name in (".", "..")
        or any(c in name for c in "/\\\x00")
        or any(ord(c) < 0x20 or ord(c) == 0x7F for c in name)
    ):
        raise FirmwareFileError(f"{name!r} is not a file name (one path segment, no control)")
    root = directory.resolve()
    path = (root / name).resolve()
    if path.parent != root or not path.is_file():
        raise FirmwareFileError(f"no firmware file {name!r} in {directory}")
    return path


def location(files_url: str, token: str, file_name: str) -> str:
    return f"{files_url}{ROUTE}/{token}/{quote(file_name, safe='')}"


def _token_hash_in(location_sent: Any) -> str | None:
    """The hash of the token in an UpdateFirmware location we built, or None."""
    if not isinstance(location_sent, str) or f"{ROUTE}/" not in location_sent:
        return None
    token = location_sent.rsplit(f"{ROUTE}/", 1)[1].split("/", 1)[0]
    return token_digest(token) if token else None


def record_update(
    session: Session,
    station_id: str,
    command_id: str,
    file_name: str,
    token: str,
    retrieve_date: datetime,
) -> FirmwareUpdate:
    update_row = FirmwareUpdate(
        station_id=station_id,
        command_id=command_id,
        file_name=file_name,
        token_hash=digest(token),
        retrieve_date=retrieve_date,
        status=REQUESTED,
    )
    session.add(update_row)
    session.flush()
    return update_row


def servable(session: Session, token: str, file_name: str) -> FirmwareUpdate | None:
    """The open update whose download URL this is (the file served is marked downloaded)."""
    found = session.scalar(select(FirmwareUpdate).where(FirmwareUpdate.token_hash == digest(token)))
    if found is None or found.file_name != file_name or state(found.status) != "open":
        return None
    if found.downloaded_at is None:
        found.downloaded_at = now()
    return found


def latest(session: Session, station_id: str) -> FirmwareUpdate | None:
    return session.scalar(
        select(FirmwareUpdate)
        .where(FirmwareUpdate.station_id == station_id)
        .order_by(FirmwareUpdate.id.desc())
        .limit(1)
    )


def track_status(session: Session, station_id: str, status: str) -> None:
    """A FirmwareStatusNotification: the station's latest update, if still open, moves on."""
    if status not in PROGRESS | DONE | FAILED:
        return  # Idle, or a status of another version
    found = latest(session, station_id)
    if found is not None and state(found.status) == "open":
        found.status, found.updated_at = status, now()


def on_update_failed(session: Session, station_id: str, payload: dict[str, Any], code: str) -> None:
    token_hash = _token_hash_in(payload.get("location"))
    if token_hash is None:
        return  # not an update of ours (sent with `ocpp-cable send`, or a 2.x one)
    session.execute(
        update(FirmwareUpdate)
        .where(
            FirmwareUpdate.station_id == station_id,
            FirmwareUpdate.token_hash == token_hash,
            FirmwareUpdate.status == REQUESTED,
        )
        .values(status=COMMAND_FAILED, updated_at=now())
    )


def row(found: FirmwareUpdate) -> dict[str, Any]:
    return {
        "id": found.id,
        "station_id": found.station_id,
        "file_name": found.file_name,
        "status": found.status,
        "state": state(found.status),
        "command_id": found.command_id,
        "retrieve_date": found.retrieve_date,
        "downloaded_at": found.downloaded_at,
        "created_at": found.created_at,
        "updated_at": found.updated_at,
    }
