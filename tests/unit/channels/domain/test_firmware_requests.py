"""channels/domain/firmware_requests.py: firmware updates, signed ones, publications and
their withdrawal, as each version says them."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import trustme

from ocpp_cable.channels.domain import firmware_requests as fr
from ocpp_cable.channels.domain.station_requests import Request, RequestProblem
from ocpp_cable.ocppj import versions

AT = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)
LATER = AT + timedelta(hours=2)
WHERE = "http://203.0.113.5:9080/files/firmware/tok/acme-2.1.0.bin"
SIGNATURE = base64.b64encode(b"\x30\x45" + bytes(69)).decode()
MD5 = "9e107d9d372bb6826bd81d3542a419d6"


@pytest.fixture(scope="module")
def certificate() -> str:
    return trustme.CA().issue_cert("firmware.example").cert_chain_pems[0].bytes().decode()


def valid(request: Request, version: str) -> Request:
    """`request` as the gateway will check it: valid against the version's schema."""
    versions.named(version).schemas.validate_request(request.action, request.payload)
    return request


def test_a_16_update_is_updatefirmware_with_its_retrieve_date_and_no_request_id():
    request = valid(fr.update("1.6", WHERE, 7, AT, retries=3, retry_interval=60), "1.6")
    assert request == Request(
        "UpdateFirmware",
        {"location": WHERE, "retrieveDate": "2026-12-02T03:00:00.000Z", "retries": 3,
         "retryInterval": 60},
    )  # fmt: skip


def test_a_signed_16_update_is_the_security_extensions_signedupdatefirmware(certificate):
    signed = fr.signing(certificate, SIGNATURE)
    request = valid(fr.update("1.6", WHERE, 7, AT, LATER, signed=signed), "1.6")
    assert request.action == "SignedUpdateFirmware"
    assert request.payload == {
        "requestId": 7,
        "firmware": {"location": WHERE, "retrieveDateTime": "2026-12-02T03:00:00.000Z",
                     "installDateTime": "2026-12-02T05:00:00.000Z",
                     "signingCertificate": signed.certificate, "signature": SIGNATURE},
    }  # fmt: skip


@pytest.mark.parametrize("version", ["2.0.1", "2.1"])
def test_a_2x_update_carries_our_request_id_and_the_firmware_object(version, certificate):
    plain = valid(fr.update(version, WHERE, 12, AT), version)
    assert plain == Request(
        "UpdateFirmware",
        {"requestId": 12,
         "firmware": {"location": WHERE, "retrieveDateTime": "2026-12-02T03:00:00.000Z"}},
    )  # fmt: skip
    signed = fr.signing(certificate, SIGNATURE)
    full = valid(fr.update(version, WHERE, 13, AT, LATER, 2, 30, signed), version)
    assert full.payload["retries"] == 2 and full.payload["retryInterval"] == 30
    assert full.payload["firmware"]["installDateTime"] == "2026-12-02T05:00:00.000Z"
    assert full.payload["firmware"]["signingCertificate"].startswith("-----BEGIN CERTIFICATE")
    assert full.payload["firmware"]["signature"] == SIGNATURE


def test_a_time_with_a_zone_is_sent_in_utc():
    paris = datetime(2026, 12, 2, 5, 0, tzinfo=ZoneInfo("Europe/Paris"))
    request = fr.update("2.0.1", WHERE, 1, paris)
    assert request.payload["firmware"]["retrieveDateTime"] == "2026-12-02T04:00:00.000Z"


@pytest.mark.parametrize("version", ["2.0.1", "2.1"])
def test_a_publication_carries_the_checksum_in_lowercase_and_its_request_id(version):
    request = valid(fr.publish(version, WHERE, MD5.upper(), 5, 1, 10), version)
    assert request == Request(
        "PublishFirmware",
        {"location": WHERE, "checksum": MD5, "requestId": 5, "retries": 1, "retryInterval": 10},
    )
    assert valid(fr.unpublish(version, MD5), version) == Request(
        "UnpublishFirmware", {"checksum": MD5}
    )


@pytest.mark.parametrize(
    ("compose", "said"),
    [
        (lambda: fr.update("1.6", WHERE, 1, AT, LATER), "a 1.6 UpdateFirmware has no install"),
        (lambda: fr.update("2.0.1", WHERE, 1, LATER, AT), "install time is before the download"),
        (lambda: fr.update("2.0.1", "http://x/" + "a" * 510, 1, AT), "at most 512"),
        (lambda: fr.publish("1.6", WHERE, MD5, 1), "PublishFirmware is OCPP 2.x's"),
        (lambda: fr.unpublish("1.6", MD5), "UnpublishFirmware is OCPP 2.x's"),
        (lambda: fr.unpublish("2.0.1", "abc"), "not an MD5 checksum"),
        (lambda: fr.publish("2.0.1", WHERE, "g" * 32, 1), "not an MD5 checksum"),
    ],
)
def test_what_a_version_cannot_say_is_refused_with_the_reason(compose, said):
    with pytest.raises(RequestProblem, match=said):
        compose()


def test_signing_takes_both_or_neither_and_checks_each(certificate):
    assert fr.signing(None, None) is None
    assert fr.signing(certificate, SIGNATURE) == fr.Signing(certificate.strip() + "\n", SIGNATURE)
    for given, said in (
        ((certificate, None), "both the signing certificate and the signature"),
        ((None, SIGNATURE), "both the signing certificate and the signature"),
        (("not a certificate", SIGNATURE), "not one PEM certificate"),
        ((certificate + certificate, SIGNATURE), "not one PEM certificate"),
        ((certificate.replace("M", "!", 1), SIGNATURE), "not one PEM certificate"),
        ((certificate, "not base64!"), "not base64"),
        ((certificate, "A" * 804), "not base64 of at most 800"),
        ((certificate, "  "), "not base64"),
        ((certificate + "x" * 5000, SIGNATURE), "at most 5500"),
    ):
        with pytest.raises(RequestProblem, match=said):
            fr.signing(*given)


def test_a_signature_file_is_sent_as_base64_whatever_it_holds():
    raw = b"\x30\x45\x02\x21\x00\xff" + bytes(20)
    assert fr.signature_text(raw) == base64.b64encode(raw).decode()
    assert fr.signature_text(SIGNATURE.encode() + b"\n") == SIGNATURE  # base64 already
