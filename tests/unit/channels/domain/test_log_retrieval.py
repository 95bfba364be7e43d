"""The log request per OCPP version, and how a GetLog request's status moves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from ocpp_cable.channels.domain import log_retrieval as lr

URL = "http://203.0.113.5:9080/files/diagnostics/t0k"
FROM = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
TO = datetime(2026, 12, 1, 13, 0, tzinfo=timezone(timedelta(hours=1)))


def test_16_without_a_log_type_is_get_diagnostics():
    assert lr.request_for("1.6", URL, 7, None, FROM, TO, 3, 60) == (
        "GetDiagnostics",
        {"location": URL, "startTime": "2026-12-01T10:00:00.000Z",
         "stopTime": "2026-12-01T12:00:00.000Z", "retries": 3, "retryInterval": 60},
    )  # fmt: skip


def test_16_with_a_log_type_is_the_security_extensions_get_log():
    assert lr.request_for("1.6", URL, 7, "SecurityLog") == (
        "GetLog",
        {"logType": "SecurityLog", "requestId": 7, "log": {"remoteLocation": URL}},
    )


@pytest.mark.parametrize("version", ["2.0.1", "2.1"])
def test_2x_is_get_log_of_the_diagnostics_log_unless_told(version):
    action, payload = lr.request_for(version, URL, 9, None, FROM, TO, retries=0)
    assert action == "GetLog"
    assert payload == {
        "logType": "DiagnosticsLog",
        "requestId": 9,
        "log": {"remoteLocation": URL, "oldestTimestamp": "2026-12-01T10:00:00.000Z",
                "latestTimestamp": "2026-12-01T12:00:00.000Z"},
        "retries": 0,
    }  # fmt: skip


def test_location_of_either_request():
    assert lr.location_of("GetLog", {"log": {"remoteLocation": URL}}) == URL
    assert lr.location_of("GetLog", {"log": "nonsense"}) is None
    assert lr.location_of("GetDiagnostics", {"location": URL}) == URL


@pytest.mark.parametrize(
    ("answer", "status"),
    [("Accepted", "Accepted"), ("AcceptedCanceled", "Accepted"), ("Rejected", "Rejected")],
)
def test_the_answer_accepts_or_ends_the_request(answer, status):
    assert lr.answered("Requested", answer) == status


def test_a_notification_that_came_before_the_answer_stands():
    assert lr.answered("Uploading", "Accepted") == "Uploading"


def test_notifications_move_an_open_request_to_its_end():
    status = lr.answered("Requested", "Accepted")
    for notified in ("Idle", "Uploading", "Uploaded"):
        status = lr.reported(status, notified, received=False)
    assert (status, lr.state(status, False), lr.state(status, True)) == (
        "Uploaded", "open", "done",
    )  # fmt: skip


@pytest.mark.parametrize(
    "failure",
    ["UploadFailure", "BadMessage", "NotSupportedOperation", "PermissionDenied",
     "AcceptedCanceled"],
)  # fmt: skip
def test_failures_end_a_request_for_good(failure):
    status = lr.reported("Uploading", failure, received=False)
    assert (status, lr.state(status, False)) == (failure, "failed")
    assert lr.reported(status, "Uploaded", received=False) == failure


def test_a_done_request_stays_done():
    assert lr.reported("Uploaded", "UploadFailure", received=True) == "Uploaded"
    assert lr.state("Rejected", False) == "failed"
