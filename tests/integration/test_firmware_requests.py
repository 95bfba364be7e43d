"""Firmware requests composed by the central system in the station's version, over real
sockets (`ocpp-cable firmware update|publish|unpublish` and their HTTP API routes): a 1.6
and a 2.0.1 station each get theirs, and the notifications naming a requestId move the
update or publication it names."""

from __future__ import annotations

import hashlib

import trustme
from ocpp.v201 import call

from ocpp_cable.channels.storage.models import Command, FirmwareUpdate
from tests.support.conformance import csms

IMAGE = b"\x7fELF acme 2.1.0" * 200
MD5 = hashlib.md5(IMAGE).hexdigest()
SIGNATURE = "MEUCIQDx2h1tX0dQ8v5n9A=="


def served(tmp_path) -> dict:
    (tmp_path / "fw").mkdir()
    (tmp_path / "fw" / "acme.bin").write_bytes(IMAGE)
    return {"firmware_dir": tmp_path / "fw"}


async def test_the_api_composes_updates_and_publications_in_the_stations_version(tmp_path, capsys):
    certificate = trustme.CA().issue_cert("fw.example").cert_chain_pems[0].bytes().decode()
    answers16 = {"SignedUpdateFirmware": {"status": "Accepted"}}
    answers2 = {"UpdateFirmware": {"status": "Accepted"},
                "PublishFirmware": {"status": "Accepted"},
                "UnpublishFirmware": {"status": "Unpublished"}}  # fmt: skip
    # Where stations download (they do not here: the conformance suite has them do it).
    files_url = "http://files.example"
    async with csms(tmp_path, capsys, api=True, files_url=files_url, **served(tmp_path)) as system:
        system.seed("CP-1")
        system.seed("CP-2", tags=())
        post = system.http
        async with (
            system.station("CP-1", "1.6", answers16) as cp16,
            system.station("CP-2", "2.0.1", answers2) as cp2,
        ):
            signed = {"file_name": "acme.bin", "signing_certificate": certificate,
                      "signature": SIGNATURE}  # fmt: skip
            update2 = await post("POST", "/api/v1/stations/CP-2/firmware",
                                 json={**signed, "install_date": "2030-01-01T00:00:00+01:00",
                                       "retries": 2})  # fmt: skip
            update16 = await post("POST", "/api/v1/stations/CP-1/firmware", json=signed)
            publication = await post("POST", "/api/v1/stations/CP-2/firmware/publish",
                                     json={"file_name": "acme.bin"})  # fmt: skip
            sent2 = await cp2.request("UpdateFirmware")
            sent16 = await cp16.request("SignedUpdateFirmware")
            published = await cp2.request("PublishFirmware")
            for status in ("Downloading", "Downloaded", "SignatureVerified"):
                notice = call.FirmwareStatusNotification(status, request_id=sent2["request_id"])
                assert await cp2.call(notice) is not None
            notice = call.PublishFirmwareStatusNotification(
                "Published", location=["http://lc.local/acme.bin"],
                request_id=published["request_id"],
            )  # fmt: skip
            assert await cp2.call(notice) is not None
            unpublished = await post("POST", "/api/v1/stations/CP-2/firmware/unpublish?wait=5",
                                     json={"file_name": "acme.bin"})  # fmt: skip
            # What a version cannot say, and what is not a request at all.
            refused = {
                "publish to 1.6": await post("POST", "/api/v1/stations/CP-1/firmware/publish",
                                             json={"file_name": "acme.bin"}),
                "install to unsigned 1.6": await post(
                    "POST", "/api/v1/stations/CP-1/firmware",
                    json={"file_name": "acme.bin", "install_date": "2030-01-01T00:00:00Z"}),
                "certificate alone": await post(
                    "POST", "/api/v1/stations/CP-2/firmware",
                    json={"file_name": "acme.bin", "signing_certificate": certificate}),
                "no PEM": await post("POST", "/api/v1/stations/CP-2/firmware",
                                     json={**signed, "signing_certificate": "x"}),
                "unpublish by both": await post(
                    "POST", "/api/v1/stations/CP-2/firmware/unpublish",
                    json={"checksum": MD5, "file_name": "acme.bin"}),
                "unpublish by none": await post(
                    "POST", "/api/v1/stations/CP-2/firmware/unpublish", json={}),
            }  # fmt: skip
            listed = await post("GET", "/api/v1/firmware-updates?station_id=CP-2")
    for answer in (update2, update16, publication):
        assert answer.status_code == 201, answer.text
    assert (update2.json()["action"], update2.json()["signed"]) == ("UpdateFirmware", True)
    assert sent2["request_id"] == update2.json()["id"] and sent2["retries"] == 2
    assert sent2["firmware"]["install_date_time"] == "2029-12-31T23:00:00.000Z"
    assert sent2["firmware"]["signature"] == SIGNATURE
    assert update16.json()["action"] == "SignedUpdateFirmware"
    assert sent16["request_id"] == update16.json()["id"]
    assert sent16["firmware"]["location"].startswith(f"{files_url}/files/firmware/")
    assert (published["checksum"], published["request_id"]) == (MD5, publication.json()["id"])
    assert unpublished.status_code == 201 and unpublished.json()["response"] == {
        "status": "Unpublished"
    }
    for name, answer in refused.items():
        assert answer.status_code == 422, (name, answer.text)
    assert "no install time" in refused["install to unsigned 1.6"].json()["detail"]
    assert "PublishFirmware is OCPP 2.x's" in refused["publish to 1.6"].json()["detail"]
    by_id = {item["id"]: item for item in listed.json()["items"]}
    assert by_id[update2.json()["id"]]["status"] == "SignatureVerified"
    publication_now = by_id[publication.json()["id"]]
    assert (publication_now["status"], publication_now["state"]) == ("Unpublished", "done")
    assert publication_now["locations"] == ["http://lc.local/acme.bin"]
    assert publication_now["checksum"] == MD5
    assert len(system.rows(FirmwareUpdate)) == 3  # the refused ones left no record
    assert len(system.rows(Command)) == 4
    # The records keep each download URL with its token masked: it opens nothing.
    for sent, action in ((sent2, "UpdateFirmware"), (sent16, "SignedUpdateFirmware"),
                         (published, "PublishFirmware")):  # fmt: skip
        where = sent.get("firmware", sent)["location"]
        url_token = where.split("/files/firmware/")[1].split("/")[0]
        [kept] = system.rows(Command, Command.action == action)
        kept_where = kept.payload.get("firmware", kept.payload)["location"]
        assert url_token not in kept_where and "/sha256-" in kept_where


async def test_the_cli_takes_signed_firmware_only_with_its_certificate_and_signature(
    tmp_path, capsys
):
    (tmp_path / "signer.pem").write_text("not a certificate")
    async with csms(tmp_path, capsys, **served(tmp_path)) as system:
        system.seed()
        flags = ["--files-url", "http://127.0.0.1:1", "--firmware-dir", str(tmp_path / "fw")]
        for argv, said in (
            (["--signed", "--signature", SIGNATURE], "--signed takes --signing-certificate"),
            (["--signature", SIGNATURE], "go with --signed"),
            (["--signed", "--signing-certificate", str(tmp_path / "signer.pem"),
              "--signature", SIGNATURE], "not one PEM certificate"),
            (["--signed", "--signing-certificate", str(tmp_path / "none.pem"),
              "--signature", SIGNATURE], "cannot be read"),
        ):  # fmt: skip
            code, _, err = await system.operator(
                "firmware", "update", "CP-1", "acme.bin", *argv, *flags
            )
            assert (code, said in err) == (2, True), (argv, err)
        code, _, err = await system.operator(
            "firmware", "unpublish", "CP-1", "--checksum", "abc", *flags
        )
        assert code == 2 and "not an MD5 checksum" in err
    assert system.rows(FirmwareUpdate) == [] and system.rows(Command) == []
