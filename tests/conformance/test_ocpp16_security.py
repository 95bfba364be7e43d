"""OCA OCPP 1.6 Central System cases, the Security profile (the OCPP 1.6 security
whitepaper): the charge point's password (HTTP Basic, AuthorizationKey), TLS on profiles 2
and 3, the WebSocket subprotocol, certificates installed and deleted, the security log,
security events, and signed firmware updates."""

from __future__ import annotations

import re

import pytest
import trustme
import websockets
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from ocpp.v16 import call
from websockets.exceptions import InvalidStatus

from ocpp_cable.channels.storage.models import (
    ChargePoint,
    Command,
    DiagnosticsRequest,
    FirmwareUpdate,
    StationNotification,
)
from tests.support.central import PASSWORD, basic
from tests.support.conformance import csms
from tests.support.conformance_16 import booted, command, stamp, status
from tests.support.pki import REQUIRED_TLS12, client, issue, tls_overrides
from tests.support.servers import station_url

ACCEPTED = {"status": "Accepted"}


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return issue(tmp_path_factory.mktemp("pki"))


async def handshake(url: str, headers: dict, subprotocols=("ocpp1.6",), **kwargs):
    """An upgraded connection, or the HTTP status it was refused with."""
    try:
        return await websockets.connect(
            url, subprotocols=list(subprotocols), additional_headers=headers, **kwargs
        )
    except InvalidStatus as refused:
        return refused.response.status_code


def notified(system, action: str) -> list[dict]:
    return [n.payload for n in system.rows(StationNotification) if n.action == action]


# --- the charge point's password, TLS, the subprotocol -----------------------------------


async def test_tc_073_csms(tmp_path, capsys):
    """The operator updates the charge point's Basic-auth password (`rotate-password`):
    ChangeConfiguration AuthorizationKey with the new password as 40 hexadecimal digits
    (20 octets), Accepted; the charge point reconnects with the new password and is
    admitted; the old one no longer is."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        answers = {"ChangeConfiguration": ACCEPTED}
        async with system.station(version="1.6", answers=answers) as cp:
            await booted(cp)
            code, out, err = await system.operator("rotate-password", "CP-1", "--wait")
            assert code == 0, (out, err)
            sent = await cp.request("ChangeConfiguration")
        assert sent["key"] == "AuthorizationKey"
        assert re.fullmatch(r"[0-9A-Fa-f]{32,40}", sent["value"])
        assert sent["value"] not in out + err  # shown to no one
        new = bytes.fromhex(sent["value"]).decode()
        async with system.station(version="1.6", password=new) as cp:
            await booted(cp)
        url = station_url(system.node, "CP-1")
        assert await handshake(url, basic("CP-1", PASSWORD)) == 401


async def test_tc_085_csms(tmp_path, capsys):
    """Basic authentication: an upgrade request without an Authorization header is
    refused (401); with the station id and its password it is upgraded, and the boot
    (Accepted) and status notifications are handled."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        assert await handshake(station_url(system.node, "CP-1"), {}) == 401
        async with system.station(version="1.6") as cp:
            await booted(cp)
        [station] = system.rows(ChargePoint)
        assert station.boot_status == "Accepted" and station.ocpp_version == "1.6"


async def test_tc_086_csms(tmp_path, capsys, pki):
    """TLS with the central system's certificate (profile 2): TLS 1.2 or above, each of
    the required TLS 1.2 suites agreed, an X.509 certificate with a serial number and a
    key of at least 2048 (RSA) or 224 (EC) bits; over it the charge point upgrades with
    its Basic credentials and boots."""
    async with csms(tmp_path, capsys, **tls_overrides(pki)) as system:
        system.seed()
        url = f"wss://127.0.0.1:{system.node.port}/ocpp/CP-1"
        auth = basic("CP-1", PASSWORD)
        for cipher in REQUIRED_TLS12:
            ws = await handshake(url, auth, ssl=client(pki, cipher=cipher))
            try:
                tls = ws.transport.get_extra_info("ssl_object")
                assert (tls.version(), tls.cipher()[0]) == ("TLSv1.2", cipher)
                presented = x509.load_der_x509_certificate(tls.getpeercert(binary_form=True))
                key = presented.public_key()
                assert presented.serial_number
                assert (isinstance(key, rsa.RSAPublicKey) and key.key_size >= 2048) or (
                    isinstance(key, ec.EllipticCurvePublicKey) and key.key_size >= 224
                )
            finally:
                await ws.close()
        async with system.station(version="1.6", ssl=client(pki)) as cp:
            await booted(cp)


async def test_tc_087_csms(tmp_path, capsys, pki):
    """TLS with the charge point's client certificate (profile 3, CN = its id): over each
    required TLS 1.2 suite the connection is upgraded without a password, and the charge
    point boots."""
    overrides = tls_overrides(pki, tls_client_cert_required=True)
    async with csms(tmp_path, capsys, **overrides) as system:
        system.seed()
        url = f"wss://127.0.0.1:{system.node.port}/ocpp/CP-1"
        for cipher in REQUIRED_TLS12:
            ws = await handshake(url, {}, ssl=client(pki, cert="station", cipher=cipher))
            try:
                assert ws.transport.get_extra_info("ssl_object").cipher()[0] == cipher
            finally:
                await ws.close()
        context = client(pki, cert="station")
        async with system.station(version="1.6", ssl=context, password=None) as cp:
            await booted(cp)


async def test_tc_088_csms(tmp_path, capsys):
    """An upgrade offering only ocpp0.1 is refused; offering ocpp0.1 and ocpp1.6, it is
    upgraded with ocpp1.6 in Sec-WebSocket-Protocol."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        url, auth = station_url(system.node, "CP-1"), basic("CP-1", PASSWORD)
        assert await handshake(url, auth, subprotocols=["ocpp0.1"]) == 400
        ws = await handshake(url, auth, subprotocols=["ocpp0.1", "ocpp1.6"])
        try:
            assert ws.response.headers["Sec-WebSocket-Protocol"] == "ocpp1.6"
        finally:
            await ws.close()


# --- certificates -------------------------------------------------------------------------


def hash_data(algorithm: str, n: int) -> dict:
    """What a charge point reports of an installed certificate (certificateHashData)."""
    size = {"SHA256": 64, "SHA384": 96, "SHA512": 128}[algorithm]
    return {"hash_algorithm": algorithm, "issuer_name_hash": f"{n:x}" * size,
            "issuer_key_hash": f"{n + 1:x}" * size, "serial_number": f"{n:x}"}  # fmt: skip


async def install(system, cp, kind: str, answer: str) -> None:
    """The operator installs a root certificate of `kind` (InstallCertificate, the PEM as
    sent); the charge point answers `answer`."""
    pem = trustme.CA().cert_pem.bytes().decode()
    payload = {"certificateType": kind, "certificate": pem}
    state, said = await command(system, "InstallCertificate", payload)
    assert (state, said) == ("accepted" if answer == "Accepted" else "rejected", {"status": answer})
    sent = await cp.request("InstallCertificate", nth=cp.asked("InstallCertificate"))
    assert sent == {"certificate_type": kind, "certificate": pem}


async def installed_root(tmp_path, capsys, kind: str) -> None:
    """InstallCertificate of `kind` (Accepted), then GetInstalledCertificateIds for that
    type answered Accepted with its hash data: both recorded with the answers."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        ids = {"status": "Accepted", "certificate_hash_data": [hash_data("SHA256", 1)]}
        answers = {"InstallCertificate": ACCEPTED, "GetInstalledCertificateIds": ids}
        async with system.station(version="1.6", answers=answers) as cp:
            await booted(cp)
            await install(system, cp, kind, "Accepted")
            state, said = await command(
                system, "GetInstalledCertificateIds", {"certificateType": kind}
            )
            assert state == "accepted" and said["certificateHashData"][0]["serialNumber"] == "1"
            assert await cp.request("GetInstalledCertificateIds") == {"certificate_type": kind}
        recorded = {c.action: c.status for c in system.rows(Command)}
        assert recorded == {
            "InstallCertificate": "accepted",
            "GetInstalledCertificateIds": "accepted",
        }


async def test_tc_075_1_csms(tmp_path, capsys):
    """A ManufacturerRootCertificate installed (InstallCertificate, Accepted) and listed
    back (GetInstalledCertificateIds, Accepted with its hash data)."""
    await installed_root(tmp_path, capsys, "ManufacturerRootCertificate")


async def test_tc_075_2_csms(tmp_path, capsys):
    """A CentralSystemRootCertificate installed (InstallCertificate, Accepted) and listed
    back (GetInstalledCertificateIds, Accepted with its hash data)."""
    await installed_root(tmp_path, capsys, "CentralSystemRootCertificate")


async def test_tc_076_csms(tmp_path, capsys):
    """For each hash algorithm (SHA256, SHA384, SHA512): a second CentralSystemRoot
    certificate installed (Accepted), its hash data listed (GetInstalledCertificateIds),
    then deleted with DeleteCertificate naming exactly that hash data (Accepted); listed
    again, it is gone (NotFound)."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station(version="1.6", answers={"InstallCertificate": ACCEPTED}) as cp:
            await booted(cp)
            for n, algorithm in enumerate(("SHA256", "SHA384", "SHA512"), start=1):
                data = hash_data(algorithm, n)
                listed = {"status": "Accepted", "certificate_hash_data": [data]}
                cp.answer("GetInstalledCertificateIds", listed)
                cp.answer("DeleteCertificate", ACCEPTED)
                await install(system, cp, "CentralSystemRootCertificate", "Accepted")
                kind = {"certificateType": "CentralSystemRootCertificate"}
                _, said = await command(system, "GetInstalledCertificateIds", kind)
                [reported] = said["certificateHashData"]
                assert reported["hashAlgorithm"] == algorithm
                deleted = await command(
                    system, "DeleteCertificate", {"certificateHashData": reported}
                )
                assert deleted == ("accepted", ACCEPTED)
                sent = await cp.request("DeleteCertificate", nth=n)
                assert sent == {"certificate_hash_data": data}
                cp.answer("GetInstalledCertificateIds", {"status": "NotFound"})
                _, said = await command(system, "GetInstalledCertificateIds", kind)
                assert said == {"status": "NotFound"}


async def test_tc_078_csms(tmp_path, capsys):
    """InstallCertificate of a CentralSystemRootCertificate the charge point deems invalid:
    Rejected, recorded as refused; the SecurityEventNotification
    InvalidCentralSystemCertificate that follows is acknowledged and stored."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        answers = {"InstallCertificate": {"status": "Rejected"}}
        async with system.station(version="1.6", answers=answers) as cp:
            await booted(cp)
            await install(system, cp, "CentralSystemRootCertificate", "Rejected")
            event = call.SecurityEventNotification(
                type="InvalidCentralSystemCertificate", timestamp=stamp(), tech_info="not a root CA"
            )
            assert await cp.call(event) is not None
        [stored] = notified(system, "SecurityEventNotification")
        assert stored["type"] == "InvalidCentralSystemCertificate"


# --- the security log and signed firmware ------------------------------------------------


async def test_tc_079_csms(tmp_path, capsys):
    """The operator asks for the security log: the CSMS sends the security extension's
    GetLog for the SecurityLog with a requestId and an upload location (Accepted, with the
    file's name); the charge point reports Uploading, uploads there, reports Uploaded. The
    notifications are acknowledged and stored, the file kept and the request done."""
    log = b"2026-12-01T10:00:00Z SettingSystemTime\n" * 20
    async with csms(tmp_path, capsys, api=True, uploads_dir=tmp_path / "uploads") as system:
        system.seed()
        answers = {"GetLog": {"status": "Accepted", "filename": "security.log"}}
        async with system.station(version="1.6", answers=answers) as cp:
            await booted(cp)
            code, out, err = await system.operator(
                "diagnostics", "request", "CP-1", "--log", "security",
                "--files-url", str(system.api.base_url),
            )  # fmt: skip
            assert code == 0, (out, err)
            sent = await cp.request("GetLog")
            request_id, location = sent["request_id"], sent["log"]["remote_location"]
            assert sent["log_type"] == "SecurityLog"
            assert location.startswith(f"{system.api.base_url}/files/diagnostics/")
            for step in ("Uploading", "upload", "Uploaded"):
                if step == "upload":
                    got = await system.api.put(location, content=log)
                    assert got.status_code == 200
                    continue
                notification = call.LogStatusNotification(status=step, request_id=request_id)
                assert await cp.call(notification) is not None
        assert notified(system, "LogStatusNotification") == [
            {"status": "Uploading", "requestId": request_id},
            {"status": "Uploaded", "requestId": request_id},
        ]
        [stored] = system.rows(DiagnosticsRequest)
        assert (stored.id, stored.log_type, stored.status, stored.file_name) == (
            request_id, "SecurityLog", "Uploaded", "security.log",
        )  # fmt: skip
        assert (tmp_path / "uploads" / "diagnostics" / str(stored.id)).read_bytes() == log


SIGNATURE = "MEUCIQDx2h1tX0dQ8v5n9A=="
IMAGE = b"\x7fELF octt firmware 1.0.2" * 64


def served(tmp_path) -> dict:
    """The firmware directory the API's server serves, with the image."""
    (tmp_path / "fw").mkdir()
    (tmp_path / "fw" / "octt-1.0.2.bin").write_bytes(IMAGE)
    return {"firmware_dir": tmp_path / "fw"}


async def signed_firmware(system, tmp_path, cp, steps: list[str]) -> FirmwareUpdate:
    """The operator sends signed firmware (`firmware update --signed`: for a 1.6 charge
    point the central system composes SignedUpdateFirmware, with a requestId of its own,
    the download URL on its server, the signing certificate and the signature); Accepted.
    The charge point fetches the image and reports `steps` (a status; "boot",
    "Unavailable", "Available", "FirmwareUpdated": its reboot, its connectors, the
    security event). The update as stored."""
    signing = trustme.CA().issue_cert("firmware.example").cert_chain_pems[0].bytes().decode()
    (tmp_path / "signer.pem").write_text(signing)
    code, out, err = await system.operator(
        "firmware", "update", "CP-1", "octt-1.0.2.bin", "--signed",
        "--signing-certificate", str(tmp_path / "signer.pem"), "--signature", SIGNATURE,
        "--wait", "--files-url", str(system.api.base_url), "--firmware-dir", str(tmp_path / "fw"),
    )  # fmt: skip
    assert code == 0 and out.splitlines()[-1] == 'accepted: {"status":"Accepted"}', (out, err)
    sent = await cp.request("SignedUpdateFirmware")
    assert sent["firmware"]["signing_certificate"] == signing
    assert sent["firmware"]["signature"] == SIGNATURE
    got = await system.api.get(sent["firmware"]["location"])
    assert (got.status_code, got.content) == (200, IMAGE)
    for step in steps:
        if step == "boot":
            await booted(cp)
        elif step in ("Unavailable", "Available"):
            await status(cp, step)
        elif step == "FirmwareUpdated":
            await cp.call(
                call.SecurityEventNotification(type=step, timestamp=stamp(), tech_info="1.0.2")
            )
        else:
            notification = call.SignedFirmwareStatusNotification(
                status=step, request_id=sent["request_id"]
            )
            assert await cp.call(notification) is not None
    [stored] = system.rows(FirmwareUpdate)
    assert (stored.id, stored.action, stored.signed) == (
        sent["request_id"], "SignedUpdateFirmware", True,
    )  # fmt: skip
    return stored


async def test_tc_080_csms(tmp_path, capsys):
    """SignedUpdateFirmware with its location, signing certificate and signature
    (Accepted); Downloading, Downloaded, SignatureVerified, Unavailable, Installing,
    InstallRebooting, the reboot, the FirmwareUpdated security event, Available and
    Installed are each acknowledged and stored, and the update is done."""
    async with csms(tmp_path, capsys, api=True, **served(tmp_path)) as system:
        system.seed()
        async with system.station(version="1.6", answers={"SignedUpdateFirmware": ACCEPTED}) as cp:
            await booted(cp)
            steps = ["Downloading", "Downloaded", "SignatureVerified", "Unavailable",
                     "Installing", "InstallRebooting", "boot", "FirmwareUpdated", "Available",
                     "Installed"]  # fmt: skip
            stored = await signed_firmware(system, tmp_path, cp, steps)
        assert [n["status"] for n in notified(system, "SignedFirmwareStatusNotification")] == [
            "Downloading", "Downloaded", "SignatureVerified", "Installing", "InstallRebooting",
            "Installed",
        ]  # fmt: skip
        assert [n["type"] for n in notified(system, "SecurityEventNotification")] == [
            "FirmwareUpdated"
        ]
        assert system.rows(FirmwareUpdate, FirmwareUpdate.id == stored.id)[0].status == "Installed"


async def test_tc_081_csms(tmp_path, capsys):
    """SignedUpdateFirmware with a signature the charge point finds invalid (Accepted);
    Downloading, Downloaded and InvalidSignature are acknowledged and stored; the update
    failed."""
    async with csms(tmp_path, capsys, api=True, **served(tmp_path)) as system:
        system.seed()
        async with system.station(version="1.6", answers={"SignedUpdateFirmware": ACCEPTED}) as cp:
            await booted(cp)
            stored = await signed_firmware(
                system, tmp_path, cp, ["Downloading", "Downloaded", "InvalidSignature"]
            )
        assert [n["status"] for n in notified(system, "SignedFirmwareStatusNotification")] == [
            "Downloading", "Downloaded", "InvalidSignature",
        ]  # fmt: skip
        assert system.rows(FirmwareUpdate, FirmwareUpdate.id == stored.id)[0].status == (
            "InvalidSignature"
        )
