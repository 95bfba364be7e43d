"""Log retrieval, pure: the request a station's version takes, and where its statuses lead.

OCPP 1.6 stations get GetDiagnostics, or the security extension's GetLog when a log type
is named; 2.0.1 and 2.1 stations get GetLog (the diagnostics log unless told). A GetLog's
request moves on with the answer (Accepted, AcceptedCanceled: accepted; Rejected: over)
and then with the LogStatusNotifications naming its requestId, until Uploaded or a
failure; Idle says nothing of any request.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ocpp_cable.contract.timestamps import utc_text

LOG_TYPES = {"diagnostics": "DiagnosticsLog", "security": "SecurityLog"}
REQUESTED, ACCEPTED, REJECTED, CANCELED = "Requested", "Accepted", "Rejected", "AcceptedCanceled"
UPLOADING, UPLOADED = "Uploading", "Uploaded"
# What ends a log request without its file (CommandFailed: the GetLog went unanswered).
FAILED = frozenset(
    {
        REJECTED,
        CANCELED,
        "CommandFailed",
        "UploadFailure",
        "BadMessage",
        "NotSupportedOperation",
        "PermissionDenied",
    }
)
TRACKED = FAILED | {UPLOADING, UPLOADED}


def _utc(at: datetime) -> str:
    return utc_text(at.astimezone(UTC))


def request_for(
    version: str,
    location: str,
    request_id: int,
    log_type: str | None = None,
    oldest: datetime | None = None,
    latest: datetime | None = None,
    retries: int | None = None,
    retry_interval: int | None = None,
) -> tuple[str, dict[str, Any]]:
    """The action and payload that ask a station speaking `version` for its log.

    `log_type` is DiagnosticsLog, SecurityLog or None (1.6: GetDiagnostics; 2.x: the
    diagnostics log); `request_id` goes only into a GetLog."""
    if version == "1.6" and log_type is None:
        action, payload = "GetDiagnostics", {"location": location}
        times = {"startTime": oldest, "stopTime": latest}
        payload.update({name: _utc(at) for name, at in times.items() if at is not None})
    else:
        log: dict[str, Any] = {"remoteLocation": location}
        times = {"oldestTimestamp": oldest, "latestTimestamp": latest}
        log.update({name: _utc(at) for name, at in times.items() if at is not None})
        action = "GetLog"
        payload = {"logType": log_type or LOG_TYPES["diagnostics"], "requestId": request_id}
        payload["log"] = log
    for name, value in (("retries", retries), ("retryInterval", retry_interval)):
        if value is not None:
            payload[name] = value
    return action, payload


def location_of(action: str, payload: dict[str, Any]) -> Any:
    """Where a GetDiagnostics or GetLog asked the station to upload."""
    if action == "GetLog":
        log = payload.get("log")
        return log.get("remoteLocation") if isinstance(log, dict) else None
    return payload.get("location")


def answered(current: str, answer_status: Any) -> str:
    """A GetLog request's status after the station's answer to it."""
    if current != REQUESTED:
        return current  # a notification came first; it knows more
    return REJECTED if answer_status == REJECTED else ACCEPTED


def reported(current: str, notified: str, received: bool) -> str:
    """A GetLog request's status after a LogStatusNotification naming it."""
    if notified not in TRACKED or state(current, received) != "open":
        return current  # Idle, or the request is over
    return notified


def state(status: str, received: bool) -> str:
    """open, done (the station said Uploaded and the file arrived) or failed."""
    if status in FAILED:
        return "failed"
    return "done" if status == UPLOADED and received else "open"
