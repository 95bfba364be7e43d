"""OCA 2.0.1 CSMS cases, block L (Firmware management).

The central system composes each request itself, in 2.x: `ocpp-cable firmware update`
(UpdateFirmware with our requestId, the download URL on our files server, the signing
certificate and signature the operator gives), `firmware publish` (PublishFirmware to a
local controller, with the file's MD5) and `firmware unpublish` (UnpublishFirmware by
that checksum). The update or publication is followed to its end by the notifications
naming its requestId; each command's record keeps what was sent and the station's
answer, and the notifications and security events are kept in station_notifications."""

from __future__ import annotations

import base64
import hashlib

import httpx
import pytest
import trustme
from ocpp.v201 import call

from ocpp_cable.channels.storage.models import (
    ChargePoint,
    Command,
    FirmwareUpdate,
    StationNotification,
    Transaction,
)
from tests.support.conformance import csms
from tests.support.conformance_flows import Transaction2, now, token

INSTALLED = ["Downloading", "Downloaded", "SignatureVerified", "Installing", "InstallRebooting"]
SIGNATURE = base64.b64encode(b"\x30\x45" + bytes(69)).decode()
IMAGE_NAME, IMAGE = "octt-2.0.bin", b"\x7fELF octt firmware 2.0" * 64
MD5 = hashlib.md5(IMAGE).hexdigest()


@pytest.fixture(scope="module")
def signing_certificate() -> str:
    """A firmware signing certificate, PEM."""
    return trustme.CA().issue_cert("firmware.example").cert_chain_pems[0].bytes().decode()


def served(tmp_path) -> dict:
    """The settings of a system that serves firmware: its directory, with the image."""
    (tmp_path / "fw").mkdir()
    (tmp_path / "fw" / IMAGE_NAME).write_bytes(IMAGE)
    return {"firmware_dir": tmp_path / "fw", "uploads_dir": tmp_path / "uploads"}


def files(system, tmp_path) -> list[str]:
    """What `firmware` reads: where stations reach the API's server, the firmware."""
    return ["--files-url", str(system.api.base_url), "--firmware-dir", str(tmp_path / "fw")]


def recorded(system, out: str) -> Command:
    """The command a `firmware` line sent (its id is the word before " sent to ")."""
    command_id = out.split(" sent to ", 1)[0].split()[-1]
    [record] = system.rows(Command, Command.id == command_id)
    return record


async def update(system, tmp_path, certificate: str | None, *flags: str):
    """`firmware update CP-1 <image> [--signed ...] <flags> --wait`: exit status, output,
    the command's record."""
    signed = []
    if certificate is not None:
        (tmp_path / "signer.pem").write_text(certificate)
        signed = ["--signed", "--signing-certificate", str(tmp_path / "signer.pem"),
                  "--signature", SIGNATURE]  # fmt: skip
    code, out, err = await system.operator(
        "firmware", "update", "CP-1", IMAGE_NAME, *signed, "--retries", "1",
        "--retry-interval", "30", *flags, "--wait", *files(system, tmp_path),
    )  # fmt: skip
    assert " sent to CP-1" in out, (code, out, err)
    return code, out, recorded(system, out)


async def statuses(cp, request_id: int, *names: str) -> None:
    for name in names:
        answer = await cp.call(call.FirmwareStatusNotification(status=name, request_id=request_id))
        assert answer is not None  # a CALLERROR raises


async def rebooted(cp, request_id: int) -> None:
    """The station back on its new firmware: BootNotification (FirmwareUpdate) Accepted, its
    connector Available, then Installed."""
    booted = await cp.call(call.BootNotification(
        charging_station={"vendor_name": "OCTT", "model": "Virtual", "firmware_version": "2.0"},
        reason="FirmwareUpdate",
    ))  # fmt: skip
    assert booted.status == "Accepted"
    await cp.status("Available")
    await statuses(cp, request_id, "Installed")


def kept(system, action: str = "FirmwareStatusNotification") -> list[dict]:
    rows = system.rows(StationNotification, StationNotification.action == action)
    return [row.payload for row in sorted(rows, key=lambda row: row.id)]


def status_trail(system, request_id: int) -> list[str]:
    return [p["status"] for p in kept(system) if p.get("requestId") == request_id]


def stored(system, request_id: int) -> FirmwareUpdate:
    [found] = system.rows(FirmwareUpdate, FirmwareUpdate.id == request_id)
    return found


async def test_tc_l_01_csms(tmp_path, capsys, signing_certificate):
    """Secure firmware update, installed: a signed UpdateFirmware (signing certificate and
    signature, a requestId of ours, the download URL on our server); the station accepts,
    fetches the image, reports Downloading to InstallRebooting, boots with reason
    FirmwareUpdate (Accepted) and reports Installed. Each status is kept in order, the
    update is done, and the station's new firmware version is kept with its boot."""
    async with csms(tmp_path, capsys, api=True, **served(tmp_path)) as system:
        system.seed()
        async with system.station(answers={"UpdateFirmware": {"status": "Accepted"}}) as cp:
            await cp.boot()
            code, out, record = await update(system, tmp_path, signing_certificate)
            request = await cp.request("UpdateFirmware")
            async with httpx.AsyncClient() as http:
                got = await http.get(request["firmware"]["location"])
            assert (got.status_code, got.content) == (200, IMAGE)
            request_id = request["request_id"]
            await statuses(cp, request_id, *INSTALLED)
            await rebooted(cp, request_id)
        assert request["firmware"]["signing_certificate"] == signing_certificate.strip() + "\n"
        assert request["firmware"]["signature"] == SIGNATURE
        assert (request["retries"], request["retry_interval"]) == (1, 30)
        assert code == 0 and out.splitlines()[-1] == 'accepted: {"status":"Accepted"}', out
        assert (record.action, record.status) == ("UpdateFirmware", "accepted")
        assert record.payload["requestId"] == request_id
        assert status_trail(system, request_id) == [*INSTALLED, "Installed"]
        found = stored(system, request_id)
        assert (found.status, found.signed, found.downloaded_at is not None) == (
            "Installed", True, True,
        )  # fmt: skip
        [station] = system.rows(ChargePoint)
        assert station.firmware_version == "2.0"


async def test_tc_l_02_csms(tmp_path, capsys, signing_certificate):
    """Secure firmware update, installation scheduled: installDateTime in the future; the
    station reports InstallScheduled before Installing, and ends Installed."""
    trail = ["Downloading", "Downloaded", "SignatureVerified", "InstallScheduled",
             "Installing", "InstallRebooting"]  # fmt: skip
    async with csms(tmp_path, capsys, api=True, **served(tmp_path)) as system:
        system.seed()
        async with system.station(answers={"UpdateFirmware": {"status": "Accepted"}}) as cp:
            await cp.boot()
            code, _out, record = await update(
                system, tmp_path, signing_certificate, "--install-date", now(3600)
            )
            request = await cp.request("UpdateFirmware")
            await statuses(cp, request["request_id"], *trail)
            await rebooted(cp, request["request_id"])
        assert request["firmware"]["install_date_time"] > now()
        assert code == 0 and record.status == "accepted"
        assert status_trail(system, request["request_id"]) == [*trail, "Installed"]
        assert stored(system, request["request_id"]).install_date is not None


async def test_tc_l_03_csms(tmp_path, capsys, signing_certificate):
    """Secure firmware update, download scheduled: retrieveDateTime in the future; the station
    reports DownloadScheduled first, and ends Installed."""
    async with csms(tmp_path, capsys, api=True, **served(tmp_path)) as system:
        system.seed()
        async with system.station(answers={"UpdateFirmware": {"status": "Accepted"}}) as cp:
            await cp.boot()
            code, _out, record = await update(
                system, tmp_path, signing_certificate, "--retrieve-date", now(3600)
            )
            request = await cp.request("UpdateFirmware")
            await statuses(cp, request["request_id"], "DownloadScheduled", *INSTALLED)
            await rebooted(cp, request["request_id"])
        assert request["firmware"]["retrieve_date_time"] > now()
        assert code == 0 and record.status == "accepted"
        assert status_trail(system, request["request_id"]) == [
            "DownloadScheduled", *INSTALLED, "Installed",
        ]  # fmt: skip


async def refused_update(tmp_path, capsys, certificate: str, answer: str, event: str | None):
    """An UpdateFirmware the station refuses with `answer` (then reporting the security
    `event`, when given): the command's record, the update, the events kept."""
    async with csms(tmp_path, capsys, api=True, **served(tmp_path)) as system:
        system.seed()
        async with system.station(answers={"UpdateFirmware": {"status": answer}}) as cp:
            await cp.boot()
            code, out, record = await update(system, tmp_path, certificate)
            request = await cp.request("UpdateFirmware")
            if event is not None:
                notice = call.SecurityEventNotification(type=event, timestamp=now())
                assert await cp.call(notice) is not None
        assert code == 1 and out.splitlines()[-1].startswith("rejected")
        assert stored(system, request["request_id"]).status == answer  # over: failed
        return record, kept(system, "SecurityEventNotification")


async def test_tc_l_04_csms(tmp_path, capsys, signing_certificate):
    """Secure firmware update, revoked certificate: the station refuses the update
    (RevokedCertificate); the CSMS records it as refused, with the answer, and tells the
    operator."""
    record, _ = await refused_update(
        tmp_path, capsys, signing_certificate, "RevokedCertificate", None
    )
    assert (record.status, record.response) == ("rejected", {"status": "RevokedCertificate"})


async def test_tc_l_05_csms(tmp_path, capsys, signing_certificate):
    """Secure firmware update, invalid certificate: the station refuses (InvalidCertificate)
    and reports the security event InvalidFirmwareSigningCertificate; both are kept."""
    record, events = await refused_update(tmp_path, capsys, signing_certificate,
                                          "InvalidCertificate",
                                          "InvalidFirmwareSigningCertificate")  # fmt: skip
    assert (record.status, record.response) == ("rejected", {"status": "InvalidCertificate"})
    assert [e["type"] for e in events] == ["InvalidFirmwareSigningCertificate"]


async def failing_update(tmp_path, capsys, certificate: str, trail: list[str], event=None):
    """An accepted UpdateFirmware whose installation goes as `trail` says (the security
    `event` reported after): the statuses and events kept, and the update (failed)."""
    async with csms(tmp_path, capsys, api=True, **served(tmp_path)) as system:
        system.seed()
        async with system.station(answers={"UpdateFirmware": {"status": "Accepted"}}) as cp:
            await cp.boot()
            code, out, _record = await update(system, tmp_path, certificate)
            assert code == 0, out
            request_id = (await cp.request("UpdateFirmware"))["request_id"]
            await statuses(cp, request_id, *trail)
            if event is not None:
                notice = call.SecurityEventNotification(type=event, timestamp=now())
                assert await cp.call(notice) is not None
        assert stored(system, request_id).status == trail[-1]
        return status_trail(system, request_id), kept(system, "SecurityEventNotification")


async def test_tc_l_06_csms(tmp_path, capsys, signing_certificate):
    """Secure firmware update, invalid signature: Downloading, Downloaded, InvalidSignature,
    and the security event InvalidFirmwareSignature; each answered and kept."""
    trail = ["Downloading", "Downloaded", "InvalidSignature"]
    kept_trail, events = await failing_update(
        tmp_path, capsys, signing_certificate, trail, "InvalidFirmwareSignature"
    )
    assert kept_trail == trail
    assert [e["type"] for e in events] == ["InvalidFirmwareSignature"]


async def test_tc_l_07_csms(tmp_path, capsys, signing_certificate):
    """Secure firmware update, download failed: Downloading, DownloadFailed; kept."""
    trail = ["Downloading", "DownloadFailed"]
    kept_trail, _ = await failing_update(tmp_path, capsys, signing_certificate, trail)
    assert kept_trail == trail


async def test_tc_l_08_csms(tmp_path, capsys, signing_certificate):
    """Secure firmware update, install verification failed: up to Installing, then
    InstallVerificationFailed; kept."""
    trail = [*INSTALLED[:4], "InstallVerificationFailed"]
    kept_trail, _ = await failing_update(tmp_path, capsys, signing_certificate, trail)
    assert kept_trail == trail


async def test_tc_l_09_csms(tmp_path, capsys, signing_certificate):
    """Secure firmware update, installation failed: up to InstallRebooting, the boot
    (FirmwareUpdate) Accepted, then InstallationFailed; kept, and the update failed."""
    async with csms(tmp_path, capsys, api=True, **served(tmp_path)) as system:
        system.seed()
        async with system.station(answers={"UpdateFirmware": {"status": "Accepted"}}) as cp:
            await cp.boot()
            code, out, _ = await update(system, tmp_path, signing_certificate)
            assert code == 0, out
            request_id = (await cp.request("UpdateFirmware"))["request_id"]
            await statuses(cp, request_id, *INSTALLED)
            booted = await cp.call(call.BootNotification(
                charging_station={"vendor_name": "OCTT", "model": "Virtual"},
                reason="FirmwareUpdate"))  # fmt: skip
            assert booted.status == "Accepted"
            await cp.status("Available")
            await statuses(cp, request_id, "InstallationFailed")
        assert status_trail(system, request_id) == [*INSTALLED, "InstallationFailed"]
        assert stored(system, request_id).status == "InstallationFailed"


async def second_update(tmp_path, capsys, certificate: str, second_answer: str):
    """An update downloading when the operator sends another, answered `second_answer`;
    the update that goes on is installed. Exit status and output of the second, the two
    records, the two requestIds, and the system."""
    answers = iter([{"status": "Accepted"}, {"status": second_answer}])
    async with csms(tmp_path, capsys, api=True, **served(tmp_path)) as system:
        system.seed()
        async with system.station(answers={"UpdateFirmware": lambda _: next(answers)}) as cp:
            await cp.boot()
            _, _, first = await update(system, tmp_path, certificate)
            first_id = (await cp.request("UpdateFirmware"))["request_id"]
            await statuses(cp, first_id, "Downloading")
            code, out, second = await update(system, tmp_path, certificate)
            second_id = (await cp.request("UpdateFirmware", 2))["request_id"]
            assert second_id != first_id
            going_on = second_id if second_answer == "AcceptedCanceled" else first_id
            trail = INSTALLED if going_on == second_id else INSTALLED[1:]
            await statuses(cp, going_on, *trail)
            await rebooted(cp, going_on)
        return code, out, (first, second), (first_id, second_id), system


async def test_tc_l_10_csms(tmp_path, capsys, signing_certificate):
    """Secure firmware update, AcceptedCanceled: a second update while the first downloads;
    the station cancels the first and accepts the second (AcceptedCanceled), which it
    installs. The second command counts as accepted and its statuses are kept; the first
    update is Canceled, the second Installed."""
    code, out, (first, second), (first_id, second_id), system = await second_update(
        tmp_path, capsys, signing_certificate, "AcceptedCanceled"
    )
    assert first.status == "accepted" and code == 0, out
    assert (second.status, second.response) == ("accepted", {"status": "AcceptedCanceled"})
    assert status_trail(system, first_id) == ["Downloading"]
    assert status_trail(system, second_id) == [*INSTALLED, "Installed"]
    assert (stored(system, first_id).status, stored(system, second_id).status) == (
        "Canceled", "Installed",
    )  # fmt: skip


async def test_tc_l_11_csms(tmp_path, capsys, signing_certificate):
    """Secure firmware update, unable to cancel: the station rejects the second update and
    installs the first; the second is recorded as refused."""
    code, _out, (first, second), (first_id, second_id), system = await second_update(
        tmp_path, capsys, signing_certificate, "Rejected"
    )
    assert first.status == "accepted" and code == 1
    assert (second.status, second.response) == ("rejected", {"status": "Rejected"})
    assert status_trail(system, first_id) == [*INSTALLED, "Installed"]
    assert status_trail(system, second_id) == []
    assert (stored(system, first_id).status, stored(system, second_id).status) == (
        "Installed", "Rejected",
    )  # fmt: skip


async def test_tc_l_13_csms(tmp_path, capsys, signing_certificate):
    """Firmware update during a transaction, no new sessions meanwhile: the station accepts
    the signed update, schedules the download, makes its free EVSE Unavailable, lets the
    transaction end (stopped by its token), then installs the firmware. The transaction, the
    statuses and the EVSE states are kept."""
    async with csms(tmp_path, capsys, api=True, **served(tmp_path)) as system:
        system.seed()
        async with system.station(answers={"UpdateFirmware": {"status": "Accepted"}}) as cp:
            await cp.boot()
            tx = Transaction2(cp)
            await tx.authorized(token("TAG-1"))
            await tx.energy_transfer_started()
            code, _out, record = await update(system, tmp_path, signing_certificate)
            request = await cp.request("UpdateFirmware")
            request_id = request["request_id"]
            await statuses(cp, request_id, "DownloadScheduled")
            await cp.status("Unavailable", evse_id=2)
            stop = await tx.event("Updated", "StopAuthorized", token("TAG-1"))
            assert stop.id_token_info["status"] == "Accepted"
            await tx.ev_disconnected()
            await statuses(cp, request_id, *INSTALLED)
            await rebooted(cp, request_id)
        assert request["firmware"]["signature"] == SIGNATURE
        assert code == 0 and record.status == "accepted"
        [ended] = system.rows(Transaction)
        assert ended.stop_time is not None and ended.stop_reason == "EVDisconnected"
        assert status_trail(system, request_id) == ["DownloadScheduled", *INSTALLED, "Installed"]


async def publish(tmp_path, capsys, trail: list[str]):
    """The operator has a local controller publish firmware (`firmware publish`); it
    accepts, fetches the image from our server and reports `trail` (Published with the
    URLs it serves). The request it got, the record, the statuses kept, the publication."""
    async with csms(tmp_path, capsys, api=True, **served(tmp_path)) as system:
        system.seed()
        async with system.station(answers={"PublishFirmware": {"status": "Accepted"}}) as cp:
            await cp.boot()
            code, out, err = await system.operator(
                "firmware", "publish", "CP-1", IMAGE_NAME, "--wait", *files(system, tmp_path)
            )
            assert code == 0, (out, err)
            request = await cp.request("PublishFirmware")
            async with httpx.AsyncClient() as http:
                assert (await http.get(request["location"])).content == IMAGE
            for name in trail:
                where = {"location": ["http://lc.local/fw-17.bin"]} if name == "Published" else {}
                notice = call.PublishFirmwareStatusNotification(
                    status=name, request_id=request["request_id"], **where
                )
                assert await cp.call(notice) is not None
        notices = kept(system, "PublishFirmwareStatusNotification")
        return request, recorded(system, out), notices, stored(system, request["request_id"])


async def test_tc_l_17_csms(tmp_path, capsys):
    """Publish firmware: PublishFirmware with the location on our server, the image's MD5
    and a requestId of ours; the local controller reports Downloading, Downloaded,
    ChecksumVerified, Published (with its URLs); all kept, and the publication is done with
    the URLs it is published at."""
    trail = ["Downloading", "Downloaded", "ChecksumVerified", "Published"]
    request, record, notices, publication = await publish(tmp_path, capsys, trail)
    assert request["checksum"] == MD5 and request["location"].endswith("/" + IMAGE_NAME)
    assert (record.action, record.status) == ("PublishFirmware", "accepted")
    assert record.payload["requestId"] == request["request_id"] == publication.id
    assert [n["status"] for n in notices] == trail
    assert notices[-1]["location"] == ["http://lc.local/fw-17.bin"]
    assert (publication.status, publication.checksum, publication.locations) == (
        "Published", MD5, ["http://lc.local/fw-17.bin"],
    )  # fmt: skip


async def test_tc_l_19_csms(tmp_path, capsys):
    """Publish firmware, invalid checksum: Downloading, Downloaded, InvalidChecksum; kept."""
    trail = ["Downloading", "Downloaded", "InvalidChecksum"]
    _, _, notices, publication = await publish(tmp_path, capsys, trail)
    assert [n["status"] for n in notices] == trail
    assert publication.status == "InvalidChecksum"


async def test_tc_l_20_csms(tmp_path, capsys):
    """Publish firmware, publishing failed: up to ChecksumVerified, then PublishFailed."""
    trail = ["Downloading", "Downloaded", "ChecksumVerified", "PublishFailed"]
    _, _, notices, publication = await publish(tmp_path, capsys, trail)
    assert [n["status"] for n in notices] == trail
    assert publication.status == "PublishFailed"


async def test_tc_l_24_csms(tmp_path, capsys):
    """Publish firmware, download failed: Downloading, DownloadFailed."""
    trail = ["Downloading", "DownloadFailed"]
    _, _, notices, publication = await publish(tmp_path, capsys, trail)
    assert [n["status"] for n in notices] == trail
    assert publication.status == "DownloadFailed"


async def unpublish(tmp_path, capsys, answer: str):
    """`firmware unpublish CP-1 --file <image>`: UnpublishFirmware with the image's MD5,
    answered `answer`. Exit status, the record, and the system."""
    async with csms(tmp_path, capsys, api=True, **served(tmp_path)) as system:
        system.seed()
        async with system.station(answers={"UnpublishFirmware": {"status": answer}}) as cp:
            await cp.boot()
            code, out, err = await system.operator(
                "firmware", "unpublish", "CP-1", "--file", IMAGE_NAME, "--wait",
                *files(system, tmp_path),
            )  # fmt: skip
            assert " sent to CP-1" in out, (out, err)
            assert await cp.request("UnpublishFirmware") == {"checksum": MD5}
        record = recorded(system, out)
    assert record.payload == {"checksum": MD5} and record.response == {"status": answer}
    return code, record


async def test_tc_l_21_csms(tmp_path, capsys):
    """Unpublish firmware: the local controller answers Unpublished; kept."""
    code, record = await unpublish(tmp_path, capsys, "Unpublished")
    assert code == 0 and record.status == "accepted"


async def test_tc_l_22_csms(tmp_path, capsys):
    """Unpublish firmware, none published: NoFirmware; the answer is kept."""
    await unpublish(tmp_path, capsys, "NoFirmware")


async def test_tc_l_23_csms(tmp_path, capsys):
    """Unpublish firmware while it downloads: DownloadOngoing; the answer is kept."""
    await unpublish(tmp_path, capsys, "DownloadOngoing")
