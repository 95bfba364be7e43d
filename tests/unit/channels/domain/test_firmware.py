"""channels/domain/firmware.py without a database: an update's state from its status,
where a request had the station download, and a publication's checksum."""

from __future__ import annotations

import hashlib

import pytest

from ocpp_cable.channels.domain import firmware


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("Requested", "open"),
        ("Accepted", "open"),
        ("DownloadScheduled", "open"),
        ("SignatureVerified", "open"),
        ("InstallRebooting", "open"),
        ("ChecksumVerified", "open"),
        ("Installed", "done"),
        ("Published", "done"),
        ("Unpublished", "done"),
        ("InstallVerificationFailed", "failed"),
        ("InvalidSignature", "failed"),
        ("InvalidChecksum", "failed"),
        ("RevokedCertificate", "failed"),
        ("Canceled", "failed"),
        ("CommandFailed", "failed"),
    ],
)
def test_an_update_is_open_until_installed_or_published_or_failed(status, expected):
    assert firmware.state(status) == expected


def test_every_status_a_notification_may_move_an_update_to_has_a_state():
    notified = firmware.PROGRESS | firmware.DONE | firmware.FAILED
    assert not firmware.PROGRESS & (firmware.DONE | firmware.FAILED)
    assert "Idle" not in notified  # the station is busy with none: no news of ours


def test_the_download_location_is_where_each_request_names_it():
    assert firmware.location_of({"location": "a"}) == "a"  # 1.6, PublishFirmware
    assert firmware.location_of({"requestId": 1, "firmware": {"location": "b"}}) == "b"
    assert firmware.location_of({"checksum": "c"}) is None


def test_a_publications_checksum_is_the_files_md5_in_lowercase_hex(tmp_path):
    image = tmp_path / "acme.bin"
    image.write_bytes(b"\x7fELF" * 300_000)  # more than one read
    assert firmware.md5_of(image) == hashlib.md5(image.read_bytes()).hexdigest()
