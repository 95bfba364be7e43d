"""OCA OCPP 1.6 Central System cases, the Firmware Management profile: firmware updates
(`ocpp-cable firmware update`) and diagnostics uploads (`ocpp-cable diagnostics request`),
the files served and taken by the API's server at /files."""

from __future__ import annotations

import httpx
from ocpp.v16 import call

from ocpp_cable.channels.domain import firmware
from ocpp_cable.channels.storage.models import (
    ChargePoint,
    Connector,
    DiagnosticsRequest,
    FirmwareUpdate,
    StationNotification,
)
from tests.support.conformance import csms
from tests.support.conformance_16 import booted, status

IMAGE = b"\x7fELF octt firmware 1.0.1" * 64
LOG = b"2026-12-01 10:00:00 connector 1 ok\n" * 40


def files(system, tmp_path) -> list[str]:
    """The settings `firmware` and `diagnostics` take: where stations reach the API's
    server, and the firmware directory."""
    return ["--files-url", str(system.api.base_url), "--firmware-dir", str(tmp_path / "fw")]


def file_settings(tmp_path) -> dict:
    (tmp_path / "fw").mkdir()
    (tmp_path / "fw" / "octt-1.0.1.bin").write_bytes(IMAGE)
    return {"firmware_dir": tmp_path / "fw", "uploads_dir": tmp_path / "uploads"}


def notified(system, action: str) -> list[str]:
    return [n.payload["status"] for n in system.rows(StationNotification)
            if n.action == action]  # fmt: skip


async def update(system, tmp_path, cp, steps: list[str]) -> FirmwareUpdate:
    """The operator sends UpdateFirmware; the charge point downloads the image from the
    location it got and reports `steps` (a status, "boot" for its reboot, "Unavailable"
    or "Available" for its connectors); the update as stored."""
    code, out, err = await system.operator(
        "firmware", "update", "CP-1", "octt-1.0.1.bin", *files(system, tmp_path)
    )
    assert code == 0, (out, err)
    sent = await cp.request("UpdateFirmware")
    assert sent["location"].endswith("/octt-1.0.1.bin") and sent["retrieve_date"]
    for step in steps:
        if step == "fetch":
            async with httpx.AsyncClient() as http:
                got = await http.get(sent["location"])
            assert (got.status_code, got.content) == (200, IMAGE)
        elif step == "boot":
            await booted(cp)
        elif step in ("Unavailable", "Available"):
            await status(cp, step, 0)
            await status(cp, step, 1)
        else:
            assert await cp.call(call.FirmwareStatusNotification(status=step)) is not None
    [stored] = system.rows(FirmwareUpdate)
    return stored


async def test_tc_044_1_csms(tmp_path, capsys):
    """UpdateFirmware with a download location; the charge point downloads from it
    (Downloading, Downloaded), goes Unavailable, installs (Installing), reboots (boot,
    Available) and reports Installed: each notification is acknowledged and stored, and
    the update is done at Installed."""
    async with csms(tmp_path, capsys, api=True, **file_settings(tmp_path)) as system:
        system.seed()
        async with system.station(version="1.6", answers={"UpdateFirmware": {}}) as cp:
            await booted(cp)
            steps = ["Downloading", "fetch", "Downloaded", "Unavailable", "Installing",
                     "boot", "Available", "Installed"]  # fmt: skip
            stored = await update(system, tmp_path, cp, steps)
        assert (stored.status, firmware.state(stored.status)) == ("Installed", "done")
        assert stored.downloaded_at is not None
        assert notified(system, "FirmwareStatusNotification") == [
            "Downloading", "Downloaded", "Installing", "Installed",
        ]  # fmt: skip
        [station] = system.rows(ChargePoint)
        assert station.firmware_status == "Installed"
        assert {c.status for c in system.rows(Connector)} == {"Available"}


async def test_tc_044_2_csms(tmp_path, capsys):
    """The download fails: Downloading, then DownloadFailed, both acknowledged; the update
    is stored as failed."""
    async with csms(tmp_path, capsys, api=True, **file_settings(tmp_path)) as system:
        system.seed()
        async with system.station(version="1.6", answers={"UpdateFirmware": {}}) as cp:
            await booted(cp)
            stored = await update(system, tmp_path, cp, ["Downloading", "DownloadFailed"])
        assert (stored.status, firmware.state(stored.status)) == ("DownloadFailed", "failed")
        assert notified(system, "FirmwareStatusNotification") == ["Downloading", "DownloadFailed"]


async def test_tc_044_3_csms(tmp_path, capsys):
    """The installation fails: Downloading, Downloaded, Unavailable, Installing, the
    reboot, Available, then InstallationFailed: all acknowledged; the update is stored
    as failed."""
    async with csms(tmp_path, capsys, api=True, **file_settings(tmp_path)) as system:
        system.seed()
        async with system.station(version="1.6", answers={"UpdateFirmware": {}}) as cp:
            await booted(cp)
            steps = ["Downloading", "fetch", "Downloaded", "Unavailable", "Installing",
                     "boot", "Available", "InstallationFailed"]  # fmt: skip
            stored = await update(system, tmp_path, cp, steps)
        assert (stored.status, firmware.state(stored.status)) == ("InstallationFailed", "failed")
        assert notified(system, "FirmwareStatusNotification")[-1] == "InstallationFailed"


async def diagnostics(system, tmp_path, cp, upload: bool, last: str) -> DiagnosticsRequest:
    """The operator asks for diagnostics (GetDiagnostics with an upload location); the
    charge point names its file, reports Uploading, uploads it if `upload`, then `last`."""
    code, out, err = await system.operator(
        "diagnostics", "request", "CP-1", *files(system, tmp_path)
    )
    assert code == 0, (out, err)
    location = (await cp.request("GetDiagnostics"))["location"]
    assert location.startswith(str(system.api.base_url))
    assert await cp.call(call.DiagnosticsStatusNotification(status="Uploading")) is not None
    if upload:
        async with httpx.AsyncClient() as http:
            assert (await http.put(location, content=LOG)).status_code == 200
    assert await cp.call(call.DiagnosticsStatusNotification(status=last)) is not None
    [stored] = system.rows(DiagnosticsRequest)
    return stored


async def test_tc_045_1_csms(tmp_path, capsys):
    """GetDiagnostics with an upload location; the charge point answers with its file's
    name, uploads it there (Uploading, Uploaded): the file is kept whole and the request
    is stored as Uploaded."""
    async with csms(tmp_path, capsys, api=True, **file_settings(tmp_path)) as system:
        system.seed()
        answers = {"GetDiagnostics": {"file_name": "CP-1-diagnostics.log"}}
        async with system.station(version="1.6", answers=answers) as cp:
            await booted(cp)
            stored = await diagnostics(system, tmp_path, cp, upload=True, last="Uploaded")
        assert (stored.status, stored.file_name, stored.size) == (
            "Uploaded", "CP-1-diagnostics.log", len(LOG),
        )  # fmt: skip
        assert (tmp_path / "uploads" / "diagnostics" / str(stored.id)).read_bytes() == LOG
        assert notified(system, "DiagnosticsStatusNotification") == ["Uploading", "Uploaded"]


async def test_tc_045_2_csms(tmp_path, capsys):
    """The diagnostics upload fails: Uploading, then UploadFailed, both acknowledged; the
    request is stored as UploadFailed, with no file."""
    async with csms(tmp_path, capsys, api=True, **file_settings(tmp_path)) as system:
        system.seed()
        answers = {"GetDiagnostics": {"file_name": "CP-1-diagnostics.log"}}
        async with system.station(version="1.6", answers=answers) as cp:
            await booted(cp)
            stored = await diagnostics(system, tmp_path, cp, upload=False, last="UploadFailed")
        assert (stored.status, stored.received_at) == ("UploadFailed", None)
        assert notified(system, "DiagnosticsStatusNotification") == ["Uploading", "UploadFailed"]
