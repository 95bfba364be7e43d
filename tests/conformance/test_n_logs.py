"""OCA 2.0.1 CSMS cases, block N (Diagnostics): log retrieval. The operator asks for a log
(`ocpp-cable diagnostics request`, POST /api/v1/stations/{id}/diagnostics), the CSMS
composes the GetLog with a single-use upload URL, follows its LogStatusNotifications and
keeps the file the station uploads there."""

from __future__ import annotations

import httpx
from ocpp.v201 import call

from ocpp_cable.channels.storage.models import Command, DiagnosticsRequest, StationNotification
from tests.support.conformance import csms
from tests.support.servers import eventually

LOG = b"2026-12-01T10:00:00Z evse 1 Available\n" * 40
FILES_URL = "http://203.0.113.5:9080"  # where stations reach the API, behind a proxy


def uploads(tmp_path) -> dict:
    return {"uploads_dir": tmp_path / "uploads"}


def notifications(system) -> list[dict]:
    return [n.payload for n in system.rows(StationNotification)
            if n.action == "LogStatusNotification"]  # fmt: skip


def requests(system) -> list[DiagnosticsRequest]:
    return sorted(system.rows(DiagnosticsRequest), key=lambda found: found.id)


async def asked_by_cli(system, *options: str) -> None:
    code, out, err = await system.operator(
        "diagnostics", "request", "CP-1", "--files-url", str(system.api.base_url), *options
    )
    assert code == 0, (out, err)
    assert "GetLog" in out


async def report(cp, request_id: int, *statuses: str) -> None:
    """The station's LogStatusNotifications for `request_id`, each acknowledged."""
    for status in statuses:
        answer = await cp.call(call.LogStatusNotification(status=status, request_id=request_id))
        assert answer is not None


async def upload(client: httpx.AsyncClient, location: str) -> None:
    """The station's upload to the location it got (the path on the API's server)."""
    path = "/files/" + location.split("/files/", 1)[1]
    assert (await client.put(path, content=LOG)).status_code == 200


async def test_tc_n_25_csms(tmp_path, capsys):
    """The operator asks for the station's log: the CSMS sends GetLog for the
    DiagnosticsLog with a requestId and an upload location (Accepted, with the file's
    name); the station reports Uploading, uploads the file there, reports Uploaded. Both
    notifications are acknowledged and stored, the file is kept whole and the request
    is done."""
    async with csms(tmp_path, capsys, api=True, **uploads(tmp_path)) as system:
        system.seed()
        answers = {"GetLog": {"status": "Accepted", "filename": "diagnostics.log"}}
        async with system.station(answers=answers) as cp:
            await cp.boot()
            await cp.status("Available")
            await asked_by_cli(system)
            sent = await cp.request("GetLog")
            assert sent["log_type"] == "DiagnosticsLog"
            request_id, location = sent["request_id"], sent["log"]["remote_location"]
            assert location.startswith(f"{system.api.base_url}/files/diagnostics/")
            await report(cp, request_id, "Uploading")
            await upload(system.api, location)
            await report(cp, request_id, "Uploaded")
        [stored] = requests(system)
        assert (stored.id, stored.log_type, stored.status, stored.file_name, stored.size) == (
            request_id, "DiagnosticsLog", "Uploaded", "diagnostics.log", len(LOG),
        )  # fmt: skip
        assert (tmp_path / "uploads" / "diagnostics" / str(stored.id)).read_bytes() == LOG
        assert notifications(system) == [
            {"status": "Uploading", "requestId": request_id},
            {"status": "Uploaded", "requestId": request_id},
        ]
        token = location.rsplit("/", 1)[1]  # kept masked: the record opens no upload
        [command] = [c for c in system.rows(Command) if c.action == "GetLog"]
        assert token not in command.payload["log"]["remoteLocation"]
        assert command.payload["requestId"] == request_id
        code, out, _ = await system.operator("diagnostics", "list", "--json")
        assert code == 0 and '"state": "done"' in out


async def test_tc_n_34_csms(tmp_path, capsys):
    """The station rejects the GetLog: the answer is stored and the request ends failed,
    its upload location closed."""
    async with csms(tmp_path, capsys, api=True, **uploads(tmp_path)) as system:
        system.seed()
        async with system.station(answers={"GetLog": {"status": "Rejected"}}) as cp:
            await cp.boot()
            await cp.status("Available")
            await asked_by_cli(system)
            sent = await cp.request("GetLog")
            await eventually(lambda: requests(system)[0].status == "Rejected")
            [stored] = requests(system)
            assert sent["request_id"] == stored.id
            path = "/files/" + sent["log"]["remote_location"].split("/files/", 1)[1]
            assert (await system.api.put(path, content=LOG)).status_code == 409
        [command] = [c for c in system.rows(Command) if c.action == "GetLog"]
        assert (command.status, command.response) == ("rejected", {"status": "Rejected"})
        assert requests(system)[0].received_at is None


async def test_tc_n_35_csms(tmp_path, capsys):
    """Through the HTTP API, the operator asks for the security log: the CSMS sends
    GetLog for the SecurityLog (Accepted); Uploading, the upload, Uploaded are taken and
    stored, and the request is done with the file kept."""
    async with csms(tmp_path, capsys, api=True, files_url=FILES_URL, **uploads(tmp_path)) as system:
        system.seed()
        answers = {"GetLog": {"status": "Accepted", "filename": "security.log"}}
        async with system.station(answers=answers) as cp:
            await cp.boot()
            await cp.status("Available")
            made = await system.http(
                "POST", "/api/v1/stations/CP-1/diagnostics", json={"log": "security"}
            )
            assert made.status_code == 201, made.text
            sent = await cp.request("GetLog")
            assert sent["log_type"] == "SecurityLog"
            assert sent["request_id"] == made.json()["id"]
            location = sent["log"]["remote_location"]
            assert location.startswith(f"{FILES_URL}/files/diagnostics/")
            await report(cp, sent["request_id"], "Uploading")
            await upload(system.api, location)
            await report(cp, sent["request_id"], "Uploaded")
            listed = (await system.http("GET", "/api/v1/diagnostics")).json()["items"]
        [stored] = requests(system)
        assert (stored.log_type, stored.status, stored.file_name) == (
            "SecurityLog", "Uploaded", "security.log",
        )  # fmt: skip
        assert [(i["id"], i["log_type"], i["state"]) for i in listed] == [
            (stored.id, "SecurityLog", "done")
        ]
        assert (tmp_path / "uploads" / "diagnostics" / str(stored.id)).read_bytes() == LOG
        assert [n["status"] for n in notifications(system)] == ["Uploading", "Uploaded"]


async def test_tc_n_36_csms(tmp_path, capsys):
    """A second GetLog while the first is uploading: the station answers it
    AcceptedCanceled and reports the first AcceptedCanceled, then the second Uploading and
    Uploaded. The CSMS sends the second with its own requestId, acknowledges and stores
    every notification; the first request ends canceled, the second goes on to Uploaded."""
    async with csms(tmp_path, capsys, api=True, **uploads(tmp_path)) as system:
        system.seed()
        async with system.station(answers={"GetLog": {"status": "Accepted"}}) as cp:
            await cp.boot()
            await cp.status("Available")
            await asked_by_cli(system)
            first = (await cp.request("GetLog"))["request_id"]
            await report(cp, first, "Uploading")
            cp.answer("GetLog", {"status": "AcceptedCanceled"})
            await asked_by_cli(system, "--log", "diagnostics")
            sent = await cp.request("GetLog", nth=2)
            second = sent["request_id"]
            assert second != first
            await report(cp, first, "AcceptedCanceled")
            await report(cp, second, "Uploading")
            await upload(system.api, sent["log"]["remote_location"])
            await report(cp, second, "Uploaded")
        was, now = requests(system)
        assert (was.id, was.status, was.received_at) == (first, "AcceptedCanceled", None)
        assert (now.id, now.status, now.size) == (second, "Uploaded", len(LOG))
        assert notifications(system) == [
            {"status": "Uploading", "requestId": first},
            {"status": "AcceptedCanceled", "requestId": first},
            {"status": "Uploading", "requestId": second},
            {"status": "Uploaded", "requestId": second},
        ]
