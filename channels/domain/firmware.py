"""Firmware updates and publications: the file a station downloads from us, and what the
station said of it.

An update is recorded before its request goes out, with the SHA-256 of a random token;
the station downloads the file at `<--files-url>/files/firmware/<token>/<name>` while
the update is open. The request is the station's version's (firmware_requests.py): 1.6
UpdateFirmware, the 1.6 security extension's SignedUpdateFirmware, 2.x UpdateFirmware,
or 2.x PublishFirmware (a local controller fetches the file and publishes it to the
stations behind it). The record's id is the requestId of all but the 1.6 UpdateFirmware.

What moves an update on:

- the answer (2.x, signed): Accepted (or AcceptedCanceled, which also cancels the
  station's earlier open update: Canceled); Rejected, InvalidCertificate or
  RevokedCertificate end it; a publication is Accepted or Rejected;
- the notifications: a 1.6 FirmwareStatusNotification moves the station's latest
  UpdateFirmware on; a 2.x FirmwareStatusNotification, a SignedFirmwareStatusNotification
  and a PublishFirmwareStatusNotification move the update their requestId names (the
  station's latest of that kind when they name none), until it is done (Installed;
  Published, with the URLs the controller serves) or failed (DownloadFailed,
  InstallationFailed, InstallVerificationFailed, InvalidSignature, InvalidChecksum,
  PublishFailed; CommandFailed: the request got an error or no answer). Idle says the
  station is busy with none, which is no news of ours (it waits for the retrieve time,
  say): it changes nothing, nor does a status for an update that is over;
- an UnpublishFirmware answered Unpublished ends the controller's publications of that
  checksum (Unpublished).
"""

from __future__ import annotations

import hashlib
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
UPDATE, SIGNED_UPDATE, PUBLISH = "UpdateFirmware", "SignedUpdateFirmware", "PublishFirmware"
REQUESTED, COMMAND_FAILED, ACCEPTED, CANCELED = "Requested", "CommandFailed", "Accepted", "Canceled"
PUBLISHED, UNPUBLISHED = "Published", "Unpublished"
DONE = frozenset({"Installed", PUBLISHED, UNPUBLISHED})
FAILED = frozenset(
    {
        "DownloadFailed",
        "InstallationFailed",
        "InstallVerificationFailed",
        "InvalidSignature",
        "InvalidChecksum",
        "PublishFailed",
        "Rejected",
        "InvalidCertificate",
        "RevokedCertificate",
        COMMAND_FAILED,
        CANCELED,
    }
)
PROGRESS = frozenset(
    {
        "Downloading",
        "Downloaded",
        "Installing",
        "DownloadScheduled",
        "DownloadPaused",
        "InstallScheduled",
        "InstallRebooting",
        "SignatureVerified",
        "ChecksumVerified",
    }
)
# The notification that follows each request, and the statuses it may move it to.
NOTIFIED_BY = {
    "FirmwareStatusNotification": UPDATE,
    "SignedFirmwareStatusNotification": SIGNED_UPDATE,
    "PublishFirmwareStatusNotification": PUBLISH,
}
MAX_FILE_NAME = 255
CHUNK = 1 << 20


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


def md5_of(path: Path) -> str:
    """The file's MD5, as PublishFirmware's checksum (32 lowercase hexadecimal digits)."""
    found = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as file:
        while chunk := file.read(CHUNK):
            found.update(chunk)
    return found.hexdigest()


def location(files_url: str, token: str, file_name: str) -> str:
    return f"{files_url}{ROUTE}/{token}/{quote(file_name, safe='')}"


def location_of(payload: dict[str, Any]) -> Any:
    """Where a request of ours had the station download: the 1.6 UpdateFirmware's and
    PublishFirmware's `location`, the 2.x and signed updates' `firmware.location`."""
    inner = payload.get("firmware")
    return inner.get("location") if isinstance(inner, dict) else payload.get("location")


def _token_hash_in(location_sent: Any) -> str | None:
    """The hash of the token in a location we built, or None."""
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
    *,
    action: str = UPDATE,
    signed: bool = False,
    install_date: datetime | None = None,
    checksum: str | None = None,
) -> FirmwareUpdate:
    update_row = FirmwareUpdate(
        station_id=station_id,
        command_id=command_id,
        file_name=file_name,
        token_hash=digest(token),
        retrieve_date=retrieve_date,
        status=REQUESTED,
        action=action,
        signed=signed,
        install_date=install_date,
        checksum=checksum,
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


def latest(session: Session, station_id: str, action: str = UPDATE) -> FirmwareUpdate | None:
    """The station's latest update sent with `action`."""
    return session.scalar(
        select(FirmwareUpdate)
        .where(FirmwareUpdate.station_id == station_id, FirmwareUpdate.action == action)
        .order_by(FirmwareUpdate.id.desc())
        .limit(1)
    )


def _moved(found: FirmwareUpdate | None, status: str) -> bool:
    if found is None or status not in PROGRESS | DONE | FAILED or state(found.status) != "open":
        return False  # Idle, a status for none of ours, or for an update that is over
    found.status, found.updated_at = status, now()
    return True


def track_status(session: Session, station_id: str, status: str) -> None:
    """A 1.6 FirmwareStatusNotification: the station's latest UpdateFirmware, if still
    open, moves on."""
    _moved(latest(session, station_id), status)


def track_request(session: Session, station_id: str, notification: str, payload: dict) -> None:
    """A 2.x FirmwareStatusNotification, a SignedFirmwareStatusNotification or a
    PublishFirmwareStatusNotification: the update or publication its requestId names
    (the station's latest of its kind when it names none), if still open, moves on; a
    publication's Published keeps the URLs the controller serves it at."""
    action = NOTIFIED_BY[notification]
    request_id = payload.get("requestId")
    if request_id is None:
        found = latest(session, station_id, action)
    else:
        found = session.scalar(
            select(FirmwareUpdate).where(
                FirmwareUpdate.id == request_id,
                FirmwareUpdate.station_id == station_id,
                FirmwareUpdate.action == action,
            )
        )
    if _moved(found, payload["status"]) and payload["status"] == PUBLISHED:
        found.locations = list(payload.get("location") or [])


def _ours(session: Session, station_id: str, payload: dict[str, Any]) -> FirmwareUpdate | None:
    """The update a request of ours was for (none for one sent otherwise: `send`)."""
    token_hash = _token_hash_in(location_of(payload))
    if token_hash is None:
        return None
    return session.scalar(
        select(FirmwareUpdate).where(
            FirmwareUpdate.station_id == station_id, FirmwareUpdate.token_hash == token_hash
        )
    )


def on_update_answered(session: Session, station_id: str, payload: dict, answer: dict) -> None:
    """A 2.x or signed update's answer: Accepted; AcceptedCanceled (accepted, and the
    station's earlier open update canceled for it); or why not (Rejected,
    InvalidCertificate, RevokedCertificate). A 1.6 UpdateFirmware's answer says nothing."""
    status = answer.get("status")
    found = _ours(session, station_id, payload)
    if found is None or not isinstance(status, str):
        return
    if found.status == REQUESTED:  # else a notification came first: it knows more
        found.status = ACCEPTED if status in (ACCEPTED, "AcceptedCanceled") else status
        found.updated_at = now()
    if status != "AcceptedCanceled":
        return
    earlier = session.scalars(
        select(FirmwareUpdate).where(
            FirmwareUpdate.station_id == station_id,
            FirmwareUpdate.action.in_((UPDATE, SIGNED_UPDATE)),
            FirmwareUpdate.id < found.id,
        )
    )
    for other in earlier:
        if state(other.status) == "open":
            other.status, other.updated_at = CANCELED, now()


def on_publish_answered(session: Session, station_id: str, payload: dict, answer: dict) -> None:
    """A PublishFirmware's answer: Accepted, or Rejected (over)."""
    found = _ours(session, station_id, payload)
    if (
        found is not None
        and found.status == REQUESTED
        and answer.get("status")
        in (
            ACCEPTED,
            "Rejected",
        )
    ):
        found.status, found.updated_at = answer["status"], now()


def on_unpublish_answered(session: Session, station_id: str, payload: dict, answer: dict) -> None:
    """Unpublished: the controller's publications of that checksum are over."""
    if answer.get("status") != UNPUBLISHED:
        return  # NoFirmware, DownloadOngoing: nothing changed
    session.execute(
        update(FirmwareUpdate)
        .where(
            FirmwareUpdate.station_id == station_id,
            FirmwareUpdate.action == PUBLISH,
            FirmwareUpdate.checksum == payload.get("checksum"),
            FirmwareUpdate.status.not_in(FAILED),
        )
        .values(status=UNPUBLISHED, updated_at=now())
    )


def on_update_failed(session: Session, station_id: str, payload: dict[str, Any], code: str) -> None:
    """The request got a CALLERROR or no answer: its update ends as CommandFailed."""
    token_hash = _token_hash_in(location_of(payload))
    if token_hash is None:
        return  # not an update of ours (sent with `ocpp-cable send`)
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
        "action": found.action,
        "signed": found.signed,
        "status": found.status,
        "state": state(found.status),
        "command_id": found.command_id,
        "retrieve_date": found.retrieve_date,
        "install_date": found.install_date,
        "checksum": found.checksum,
        "locations": found.locations,
        "downloaded_at": found.downloaded_at,
        "created_at": found.created_at,
        "updated_at": found.updated_at,
    }
