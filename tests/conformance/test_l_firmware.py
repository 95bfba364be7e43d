"""OCA 2.0.1 CSMS cases, block L (Firmware management).

`ocpp-cable firmware update` serves 1.6 stations; a 2.x station's UpdateFirmware,
PublishFirmware and UnpublishFirmware are sent by the operator with `ocpp-cable send`.
Each command's record keeps what was sent and the station's answer; the station's status
notifications and security events are kept in station_notifications as sent."""

from __future__ import annotations

import base64

import pytest
import trustme
from ocpp.v201 import call

from ocpp_cable.channels.storage.models import ChargePoint, StationNotification, Transaction
from tests.support.conformance import csms
from tests.support.conformance_flows import Transaction2, now, send, token

INSTALLED = ["Downloading", "Downloaded", "SignatureVerified", "Installing", "InstallRebooting"]
SIGNATURE = base64.b64encode(b"\x30\x45" + bytes(69)).decode()


@pytest.fixture(scope="module")
def signing_certificate() -> str:
    """A firmware signing certificate, PEM."""
    return trustme.CA().issue_cert("firmware.example").cert_chain_pems[0].bytes().decode()


def update(request_id: int, certificate: str | None = None, **firmware) -> dict:
    """An UpdateFirmware payload: signed when given the signing certificate."""
    body = {"location": f"https://files.example/fw-{request_id}.bin",
            "retrieveDateTime": now(), **firmware}  # fmt: skip
    if certificate is not None:
        body.update(signingCertificate=certificate, signature=SIGNATURE)
    return {"requestId": request_id, "retries": 1, "retryInterval": 30, "firmware": body}


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


async def test_tc_l_01_csms(tmp_path, capsys, signing_certificate):
    """Secure firmware update, installed: a signed UpdateFirmware (signing certificate and
    signature); the station accepts, reports Downloading to InstallRebooting, boots with
    reason FirmwareUpdate (Accepted) and reports Installed. Each status is kept in order and
    the station's new firmware version with its boot."""
    payload = update(1, signing_certificate)
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station(answers={"UpdateFirmware": {"status": "Accepted"}}) as cp:
            await cp.boot()
            code, out, record = await send(system, "UpdateFirmware", payload)
            request = await cp.request("UpdateFirmware")
            await statuses(cp, 1, *INSTALLED)
            await rebooted(cp, 1)
        assert request["firmware"]["signing_certificate"] == signing_certificate
        assert request["firmware"]["signature"] == SIGNATURE
        assert code == 0, out
        assert (record.status, record.payload) == ("accepted", payload)
        assert status_trail(system, 1) == [*INSTALLED, "Installed"]
        [station] = system.rows(ChargePoint)
        assert station.firmware_version == "2.0"


async def test_tc_l_02_csms(tmp_path, capsys, signing_certificate):
    """Secure firmware update, installation scheduled: installDateTime in the future; the
    station reports InstallScheduled before Installing, and ends Installed."""
    payload = update(2, signing_certificate, installDateTime=now(3600))
    trail = ["Downloading", "Downloaded", "SignatureVerified", "InstallScheduled",
             "Installing", "InstallRebooting"]  # fmt: skip
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station(answers={"UpdateFirmware": {"status": "Accepted"}}) as cp:
            await cp.boot()
            code, _out, record = await send(system, "UpdateFirmware", payload)
            request = await cp.request("UpdateFirmware")
            await statuses(cp, 2, *trail)
            await rebooted(cp, 2)
        assert request["firmware"]["install_date_time"] > now()
        assert code == 0 and record.payload == payload
        assert status_trail(system, 2) == [*trail, "Installed"]


async def test_tc_l_03_csms(tmp_path, capsys, signing_certificate):
    """Secure firmware update, download scheduled: retrieveDateTime in the future; the station
    reports DownloadScheduled first, and ends Installed."""
    payload = update(3, signing_certificate, retrieveDateTime=now(3600))
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station(answers={"UpdateFirmware": {"status": "Accepted"}}) as cp:
            await cp.boot()
            code, _out, record = await send(system, "UpdateFirmware", payload)
            request = await cp.request("UpdateFirmware")
            await statuses(cp, 3, "DownloadScheduled", *INSTALLED)
            await rebooted(cp, 3)
        assert request["firmware"]["retrieve_date_time"] > now()
        assert code == 0 and record.payload == payload
        assert status_trail(system, 3) == ["DownloadScheduled", *INSTALLED, "Installed"]


async def refused_update(tmp_path, capsys, certificate: str, answer: str, event: str | None):
    """An UpdateFirmware the station refuses with `answer` (then reporting the security
    `event`, when given): the command's record, the events kept."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station(answers={"UpdateFirmware": {"status": answer}}) as cp:
            await cp.boot()
            code, out, record = await send(system, "UpdateFirmware", update(4, certificate))
            await cp.request("UpdateFirmware")
            if event is not None:
                notice = call.SecurityEventNotification(type=event, timestamp=now())
                assert await cp.call(notice) is not None
        assert code == 1 and out.splitlines()[-1].startswith("rejected")
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
    `event` reported after): the statuses and events kept."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station(answers={"UpdateFirmware": {"status": "Accepted"}}) as cp:
            await cp.boot()
            code, out, _record = await send(system, "UpdateFirmware", update(5, certificate))
            assert code == 0, out
            await cp.request("UpdateFirmware")
            await statuses(cp, 5, *trail)
            if event is not None:
                notice = call.SecurityEventNotification(type=event, timestamp=now())
                assert await cp.call(notice) is not None
        return status_trail(system, 5), kept(system, "SecurityEventNotification")


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
    (FirmwareUpdate) Accepted, then InstallationFailed; kept."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station(answers={"UpdateFirmware": {"status": "Accepted"}}) as cp:
            await cp.boot()
            code, out, _ = await send(system, "UpdateFirmware", update(9, signing_certificate))
            assert code == 0, out
            await statuses(cp, 9, *INSTALLED)
            booted = await cp.call(call.BootNotification(
                charging_station={"vendor_name": "OCTT", "model": "Virtual"},
                reason="FirmwareUpdate"))  # fmt: skip
            assert booted.status == "Accepted"
            await cp.status("Available")
            await statuses(cp, 9, "InstallationFailed")
        assert status_trail(system, 9) == [*INSTALLED, "InstallationFailed"]


async def second_update(tmp_path, capsys, certificate: str, second_answer: str):
    """An update downloading when the operator sends another, answered `second_answer`;
    the update that goes on is installed. The records, and the system."""
    answers = iter([{"status": "Accepted"}, {"status": second_answer}])
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station(answers={"UpdateFirmware": lambda _: next(answers)}) as cp:
            await cp.boot()
            _, _, first = await send(system, "UpdateFirmware", update(10, certificate))
            await statuses(cp, 10, "Downloading")
            code, out, second = await send(system, "UpdateFirmware", update(11, certificate))
            going_on = 11 if second_answer == "AcceptedCanceled" else 10
            trail = INSTALLED if going_on == 11 else INSTALLED[1:]
            await statuses(cp, going_on, *trail)
            await rebooted(cp, going_on)
        return code, out, first, second, system


async def test_tc_l_10_csms(tmp_path, capsys, signing_certificate):
    """Secure firmware update, AcceptedCanceled: a second update while the first downloads;
    the station cancels the first and accepts the second (AcceptedCanceled), which it
    installs. The second command counts as accepted; its statuses are kept."""
    code, out, first, second, system = await second_update(
        tmp_path, capsys, signing_certificate, "AcceptedCanceled"
    )
    assert first.status == "accepted" and code == 0, out
    assert (second.status, second.response) == ("accepted", {"status": "AcceptedCanceled"})
    assert status_trail(system, 10) == ["Downloading"]
    assert status_trail(system, 11) == [*INSTALLED, "Installed"]


async def test_tc_l_11_csms(tmp_path, capsys, signing_certificate):
    """Secure firmware update, unable to cancel: the station rejects the second update and
    installs the first; the second is recorded as refused."""
    code, _out, first, second, system = await second_update(
        tmp_path, capsys, signing_certificate, "Rejected"
    )
    assert first.status == "accepted" and code == 1
    assert (second.status, second.response) == ("rejected", {"status": "Rejected"})
    assert status_trail(system, 10) == [*INSTALLED, "Installed"]
    assert status_trail(system, 11) == []


async def test_tc_l_13_csms(tmp_path, capsys, signing_certificate):
    """Firmware update during a transaction, no new sessions meanwhile: the station accepts
    the signed update, schedules the download, makes its free EVSE Unavailable, lets the
    transaction end (stopped by its token), then installs the firmware. The transaction, the
    statuses and the EVSE states are kept."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station(answers={"UpdateFirmware": {"status": "Accepted"}}) as cp:
            await cp.boot()
            tx = Transaction2(cp)
            await tx.authorized(token("TAG-1"))
            await tx.energy_transfer_started()
            code, _out, record = await send(
                system, "UpdateFirmware", update(13, signing_certificate)
            )
            request = await cp.request("UpdateFirmware")
            await statuses(cp, 13, "DownloadScheduled")
            await cp.status("Unavailable", evse_id=2)
            stop = await tx.event("Updated", "StopAuthorized", token("TAG-1"))
            assert stop.id_token_info["status"] == "Accepted"
            await tx.ev_disconnected()
            await statuses(cp, 13, *INSTALLED)
            await rebooted(cp, 13)
        assert request["firmware"]["signing_certificate"] == signing_certificate
        assert code == 0 and record.status == "accepted"
        [ended] = system.rows(Transaction)
        assert ended.stop_time is not None and ended.stop_reason == "EVDisconnected"
        assert status_trail(system, 13) == ["DownloadScheduled", *INSTALLED, "Installed"]


PUBLISH = {"location": "https://files.example/fw-17.bin", "checksum": "0" * 32,
           "requestId": 17}  # fmt: skip


async def publish(tmp_path, capsys, trail: list[str]):
    """The operator asks a local controller to publish firmware; it accepts and reports
    `trail` (Published with the URLs it serves). The request it got, the record, the
    statuses kept."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station(answers={"PublishFirmware": {"status": "Accepted"}}) as cp:
            await cp.boot()
            code, out, record = await send(system, "PublishFirmware", PUBLISH)
            assert code == 0, out
            request = await cp.request("PublishFirmware")
            for name in trail:
                where = {"location": ["http://lc.local/fw-17.bin"]} if name == "Published" else {}
                notice = call.PublishFirmwareStatusNotification(status=name, request_id=17, **where)
                assert await cp.call(notice) is not None
        return request, record, kept(system, "PublishFirmwareStatusNotification")


async def test_tc_l_17_csms(tmp_path, capsys):
    """Publish firmware: PublishFirmware with its location; the local controller reports
    Downloading, Downloaded, ChecksumVerified, Published (with its URLs); all kept."""
    trail = ["Downloading", "Downloaded", "ChecksumVerified", "Published"]
    request, record, notices = await publish(tmp_path, capsys, trail)
    assert request["location"] == PUBLISH["location"]
    assert (record.status, record.payload) == ("accepted", PUBLISH)
    assert [n["status"] for n in notices] == trail
    assert notices[-1]["location"] == ["http://lc.local/fw-17.bin"]


async def test_tc_l_19_csms(tmp_path, capsys):
    """Publish firmware, invalid checksum: Downloading, Downloaded, InvalidChecksum; kept."""
    trail = ["Downloading", "Downloaded", "InvalidChecksum"]
    _, _, notices = await publish(tmp_path, capsys, trail)
    assert [n["status"] for n in notices] == trail


async def test_tc_l_20_csms(tmp_path, capsys):
    """Publish firmware, publishing failed: up to ChecksumVerified, then PublishFailed."""
    trail = ["Downloading", "Downloaded", "ChecksumVerified", "PublishFailed"]
    _, _, notices = await publish(tmp_path, capsys, trail)
    assert [n["status"] for n in notices] == trail


async def test_tc_l_24_csms(tmp_path, capsys):
    """Publish firmware, download failed: Downloading, DownloadFailed."""
    trail = ["Downloading", "DownloadFailed"]
    _, _, notices = await publish(tmp_path, capsys, trail)
    assert [n["status"] for n in notices] == trail


async def unpublish(tmp_path, capsys, answer: str):
    payload = {"checksum": "0" * 32}
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station(answers={"UnpublishFirmware": {"status": answer}}) as cp:
            await cp.boot()
            code, _out, record = await send(system, "UnpublishFirmware", payload)
            assert await cp.request("UnpublishFirmware") == {"checksum": "0" * 32}
    assert record.payload == payload and record.response == {"status": answer}
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
