"""Firmware updates and diagnostics uploads over the API server's /files, with an `ocpp`
ChargePoint through the real gateway that downloads and uploads with an HTTP client."""

from __future__ import annotations

import asyncio
import hashlib
import os
import sys

import httpx
from ocpp.routing import after, on
from ocpp.v16 import call, call_result
from ocpp.v16.enums import Action

from ocpp_cable.channels.domain import diagnostics, firmware
from ocpp_cable.channels.operators.admin.file_commands import request_diagnostics
from ocpp_cable.channels.storage import db
from ocpp_cable.channels.storage.models import (
    Command,
    DiagnosticsRequest,
    FirmwareUpdate,
    MessageLog,
)
from tests.support.api import bearer, make_token, served_api
from tests.support.central import CentralCharger, connected, rows, seed
from tests.support.processes import ROOT
from tests.support.servers import BROADCAST_KEY, eventually, subscribed

FIRMWARE = b"\x7fELF firmware 2.1.0" * 100
LOG = b"2026-12-01 boot ok\n" * 50


class UpdatingCharger(CentralCharger):
    """Downloads its firmware and uploads its diagnostics as a charger does, saying so in
    status notifications; `upload` is how it uploads: put, post or multipart."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.downloaded: list[tuple[int, bytes]] = []
        self.uploads: list[int] = []
        self.upload, self.log = "put", LOG
        self.locations: list[str] = []  # as received: the records keep them masked

    @on(Action.update_firmware)
    def on_update_firmware(self, location, retrieve_date, **_):
        self.locations.append(location)
        return call_result.UpdateFirmware()

    @after(Action.update_firmware)
    async def download(self, location, **_):
        await self.call(call.FirmwareStatusNotification(status="Downloading"))
        async with httpx.AsyncClient() as http:
            got = await http.get(location)
        self.downloaded.append((got.status_code, got.content))
        for status in ("Downloaded", "Installing", "Installed"):
            await self.call(call.FirmwareStatusNotification(status=status))

    @on(Action.get_diagnostics)
    def on_get_diagnostics(self, location, **_):
        self.locations.append(location)
        return call_result.GetDiagnostics(file_name="CP-1-diag.log" if self.log else None)

    @after(Action.get_diagnostics)
    async def send_diagnostics(self, location, **_):
        if not self.log:
            return
        await self.call(call.DiagnosticsStatusNotification(status="Uploading"))
        async with httpx.AsyncClient() as http:
            if self.upload == "put":
                sent = await http.put(location, content=self.log)
            elif self.upload == "post":
                sent = await http.post(location, content=self.log)
            else:
                sent = await http.post(
                    location,
                    data={"note": "x" * 100},
                    files={"file": ("CP-1-diag.log", self.log)},
                )
        self.uploads.append(sent.status_code)
        status = "Uploaded" if sent.status_code == 200 else "UploadFailed"
        await self.call(call.DiagnosticsStatusNotification(status=status))


async def cli(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "ocpp_cable.cli", *args, cwd=ROOT, env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode, out.decode(), err.decode()


def assert_kept_masked(url, action, url_token, token_hash):
    """The command's record and the message log keep the URL with its token masked: a
    reader of the API's commands or messages cannot download or upload with it."""
    kept = [c.payload["location"] for c in rows(url, Command) if c.action == action]
    kept += [
        m.payload["location"]
        for m in rows(url, MessageLog)
        if m.action == action and m.direction == "out"
    ]
    assert kept and all(url_token not in location for location in kept)
    assert any(f"sha256-{token_hash}" in location for location in kept)


def latest(url, model):
    return max(rows(url, model), key=lambda r: r.id)


async def test_firmware_is_served_to_the_station_and_followed_to_installed(database_url, tmp_path):
    (tmp_path / "firmware").mkdir()
    (tmp_path / "firmware" / "acme-2.1.0.bin").write_bytes(FIRMWARE)
    (tmp_path / "secret").write_bytes(b"not for stations")
    seed(database_url)
    token = make_token(database_url)
    settings = {"firmware_dir": tmp_path / "firmware", "uploads_dir": tmp_path / "uploads"}
    async with served_api(database_url, **settings) as (node, client, api_settings):
        async with connected(node, cls=UpdatingCharger) as charger:
            await eventually(lambda: subscribed(node, "CP-1"))
            unset = await client.post(
                "/api/v1/stations/CP-1/firmware",
                json={"file_name": "acme-2.1.0.bin"},
                headers=bearer(token),
            )
            assert unset.status_code == 503 and "--files-url" in unset.json()["detail"]
            api_settings.files_url = str(client.base_url)
            for name in ("../secret", "..", "nope.bin"):
                refused = await client.post(
                    "/api/v1/stations/CP-1/firmware",
                    json={"file_name": name},
                    headers=bearer(token),
                )
                assert refused.status_code == 422, name
            sent = await client.post(
                "/api/v1/stations/CP-1/firmware",
                json={"file_name": "acme-2.1.0.bin", "retries": 2, "retry_interval": 30},
                headers=bearer(token),
            )
            assert sent.status_code == 201, sent.text
            assert sent.json()["status"] == "Requested"
            await eventually(lambda: latest(database_url, FirmwareUpdate).status == "Installed")
            assert charger.downloaded == [(200, FIRMWARE)]
            update = latest(database_url, FirmwareUpdate)
            assert update.downloaded_at is not None
            listed = await client.get("/api/v1/firmware-updates", headers=bearer(token))
            assert [(u["status"], u["state"]) for u in listed.json()["items"]] == [
                ("Installed", "done")
            ]
            location = charger.locations[-1]
            url_token = location.split("/files/firmware/")[1].split("/")[0]
            assert update.token_hash == hashlib.sha256(url_token.encode()).hexdigest()
            assert location.endswith("/files/firmware/" + url_token + "/acme-2.1.0.bin")
            assert_kept_masked(database_url, "UpdateFirmware", url_token, update.token_hash)
            # Installed: the URL is done with.
            assert (
                await client.get(location.removeprefix(str(client.base_url)))
            ).status_code == 404

    # An open update's URL serves its own file and nothing beside it.
    with db.session_scope(database_url) as session:
        firmware.record_update(session, "CP-1", "c-2", "acme-2.1.0.bin", "tok-2", update.created_at)
    async with served_api(database_url, **settings) as (_, client, _):
        assert (await client.get("/files/firmware/tok-2/acme-2.1.0.bin")).content == FIRMWARE
        for path in (
            "/files/firmware/tok-2/..%2Fsecret",
            "/files/firmware/tok-2/%2e%2e",
            "/files/firmware/tok-2/..",
            "/files/firmware/tok-2/%2Fetc%2Fpasswd",
            "/files/firmware/tok-2//etc/passwd",
            "/files/firmware/tok-2/secret",
            "/files/firmware/other/acme-2.1.0.bin",
        ):
            assert (await client.get(path)).status_code == 404, path
    code, _, err = await cli(
        "firmware", "update", "CP-1", "acme-2.1.0.bin",
        env={"OCPP_CABLE_DATABASE_URL": database_url},
    )  # fmt: skip
    assert code == 2 and "ocpp-cable: --files-url" in err


async def test_diagnostics_are_uploaded_once_and_kept(database_url, tmp_path):
    seed(database_url)
    token = make_token(database_url)
    uploads = tmp_path / "uploads"
    overrides = {"uploads_dir": uploads, "upload_max_bytes": 4000}
    async with served_api(database_url, **overrides) as (node, client, api_settings):
        api_settings.files_url = str(client.base_url)
        env = {
            "OCPP_CABLE_DATABASE_URL": database_url,
            "OCPP_CABLE_BROADCAST_URL": f"http://127.0.0.1:{node.http_port}/_broadcast",
            "OCPP_CABLE_BROADCAST_KEY": BROADCAST_KEY,
            "OCPP_CABLE_FILES_URL": str(client.base_url),
        }
        async with connected(node, cls=UpdatingCharger) as charger:
            await eventually(lambda: subscribed(node, "CP-1"))
            for upload, log in (("put", LOG), ("multipart", LOG[:500]), ("post", b"x" * 5000)):
                charger.upload, charger.log = upload, log
                if upload == "put":  # as an operator does; then as the API and CLI both do
                    code, out, err = await cli(
                        "diagnostics", "request", "CP-1", "--start", "2026-11-30T00:00:00Z", env=env
                    )
                    assert code == 0 and "GetDiagnostics" in out, err
                else:
                    await asyncio.to_thread(request_diagnostics, api_settings, "CP-1")
                await eventually(
                    lambda: diagnostics.state(latest(database_url, DiagnosticsRequest)) != "open"
                )
            assert charger.uploads == [200, 200, 413]  # the last is beyond --upload-max-bytes
            charger.log = b""  # a station with no diagnostics answers without fileName
            await asyncio.to_thread(request_diagnostics, api_settings, "CP-1")
            await eventually(
                lambda: latest(database_url, DiagnosticsRequest).status == "NoDiagnostics"
            )

        done, multipart, too_large, none = sorted(
            rows(database_url, DiagnosticsRequest), key=lambda r: r.id
        )
        assert (done.status, done.size, done.file_name) == ("Uploaded", len(LOG), "CP-1-diag.log")
        assert (multipart.status, multipart.size) == ("Uploaded", 500)
        assert (too_large.status, too_large.received_at) == ("UploadFailed", None)
        assert none.status == "NoDiagnostics"
        assert sorted(os.listdir(uploads / "diagnostics")) == sorted(
            [str(done.id), str(multipart.id)]
        )
        assert (uploads / "diagnostics" / str(multipart.id)).read_bytes() == LOG[:500]

        got = await client.get(f"/api/v1/diagnostics/{done.id}/file", headers=bearer(token))
        assert got.status_code == 200 and got.content == LOG
        assert "CP-1-diag.log" in got.headers["content-disposition"]
        missing = await client.get(
            f"/api/v1/diagnostics/{too_large.id}/file", headers=bearer(token)
        )
        assert missing.status_code == 404
        listed = await client.get("/api/v1/diagnostics?station_id=CP-1", headers=bearer(token))
        assert [r["state"] for r in listed.json()["items"]] == ["failed", "failed", "done", "done"]

        # The token is single-use, stored as its SHA-256 only; an unknown one is a 404.
        location = charger.locations[0]
        url_token = location.rsplit("/", 1)[1]
        assert done.token_hash == hashlib.sha256(url_token.encode()).hexdigest()
        assert_kept_masked(database_url, "GetDiagnostics", url_token, done.token_hash)
        again = await client.put(location.removeprefix(str(client.base_url)), content=b"again")
        assert again.status_code == 409
        assert (await client.put("/files/diagnostics/nope", content=b"x")).status_code == 404

        # A body without Content-Length is cut off at the bound as it streams: nothing kept.
        with db.session_scope(database_url) as session:
            streamed = diagnostics.record_request(session, "CP-1", "c-9", "tok-9", None, None).id

        async def chunks():
            for _ in range(10):
                yield b"y" * 1000

        cut = await client.post("/files/diagnostics/tok-9", content=chunks())
        assert cut.status_code == 413
        assert not (uploads / "diagnostics" / str(streamed)).exists()
        assert not (uploads / "diagnostics" / f"{streamed}.part").exists()
        retried = await client.put("/files/diagnostics/tok-9/trace.txt", content=b"small")
        assert retried.status_code == 200  # a failed upload leaves the token for a retry
        assert latest(database_url, DiagnosticsRequest).file_name == "trace.txt"

    code, out, err = await cli(
        "diagnostics", "list", "--json", env={"OCPP_CABLE_DATABASE_URL": database_url}
    )
    assert code == 0, err
    assert '"state": "done"' in out


async def test_a_log_request_over_the_api_says_why_it_was_not_sent(database_url, tmp_path):
    seed(database_url)
    headers = bearer(make_token(database_url))
    async with served_api(database_url, uploads_dir=tmp_path) as (_node, client, api_settings):
        path = "/api/v1/stations/CP-1/diagnostics"
        unset = await client.post(path, json={"log": "security"}, headers=headers)
        assert unset.status_code == 503 and "--files-url" in unset.json()["detail"]
        api_settings.files_url = str(client.base_url)
        backwards = {"start": "2026-12-01T00:00:00Z", "stop": "2026-11-30T00:00:00Z"}
        assert (await client.post(path, json=backwards, headers=headers)).status_code == 422
        assert (await client.post(path, json={"log": "kernel"}, headers=headers)).status_code == 422
        unknown = await client.post("/api/v1/stations/CP-9/diagnostics", json={}, headers=headers)
        assert unknown.status_code == 404
        offline = await client.post(path, json={}, headers=headers)
        assert offline.status_code == 409
    assert rows(database_url, DiagnosticsRequest) == []  # nothing sent, nothing kept
