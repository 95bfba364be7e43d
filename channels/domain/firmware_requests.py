"""The firmware requests an operator's commands become, in the OCPP version the station
speaks: UpdateFirmware (1.6; 2.x with the requestId the central system gives), the 1.6
security extension's SignedUpdateFirmware, and 2.x's PublishFirmware and
UnpublishFirmware to a local controller. Pure functions: what to send, or a
RequestProblem saying why not.

The operator names a file and times once; the versions spell them differently (1.6
`retrieveDate` at the top, 2.x a `firmware` object with `retrieveDateTime`). Signed
firmware carries the signing certificate (PEM) and the signature (base64) the operator
gives: a 1.6 station takes them in SignedUpdateFirmware only, a 2.x station in its
UpdateFirmware.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ocpp_cable.channels.domain.station_requests import V16, Request, RequestProblem
from ocpp_cable.contract.timestamps import utc_text

# The schemas' bounds (the same in 1.6's security extension, 2.0.1 and 2.1).
MAX_LOCATION, MAX_CERTIFICATE, MAX_SIGNATURE = 512, 5500, 800
_PEM = re.compile(
    r"-----BEGIN CERTIFICATE-----\s*(?P<body>[A-Za-z0-9+/=\s]+?)\s*-----END CERTIFICATE-----\s*"
)
_CHECKSUM = re.compile(r"[0-9a-fA-F]{32}")


@dataclass(frozen=True, slots=True)
class Signing:
    """What makes an update a signed one: the certificate the firmware was signed with
    (PEM) and the firmware's signature (base64)."""

    certificate: str
    signature: str


def signing(certificate: str | None, signature: str | None) -> Signing | None:
    """The signing the operator gave: None for neither, else both, checked.

    Raises:
        RequestProblem: one without the other, or either not what the schemas take.
    """
    if certificate is None and signature is None:
        return None
    if certificate is None or signature is None:
        raise RequestProblem("signed firmware takes both the signing certificate and the signature")
    certificate = certificate.strip() + "\n"
    if len(certificate) > MAX_CERTIFICATE:
        raise RequestProblem(
            f"the signing certificate is {len(certificate)} characters; stations take "
            f"at most {MAX_CERTIFICATE}"
        )
    blocks = _PEM.findall(certificate)
    if len(blocks) != 1 or _PEM.fullmatch(certificate) is None or not _decodes(blocks[0]):
        raise RequestProblem("the signing certificate is not one PEM certificate")
    signature = signature.strip()
    if not signature or len(signature) > MAX_SIGNATURE or not _decodes(signature):
        raise RequestProblem(f"the signature is not base64 of at most {MAX_SIGNATURE} characters")
    return Signing(certificate, signature)


def signature_text(raw: bytes) -> str:
    """A signature file's content as a request carries it: base64 (a file holding base64
    text already is taken as it is)."""
    text = raw.strip()
    try:
        if text and _decodes(text.decode("ascii")):
            return text.decode("ascii")
    except UnicodeDecodeError:
        pass
    return base64.b64encode(raw).decode("ascii")


def update(
    version: str,
    location: str,
    request_id: int,
    retrieve: datetime,
    install: datetime | None = None,
    retries: int | None = None,
    retry_interval: int | None = None,
    signed: Signing | None = None,
) -> Request:
    """Have the station download the firmware at `location` (at `retrieve`) and install
    it (at `install`, when given): 1.6 UpdateFirmware, or SignedUpdateFirmware when
    signed; 2.x UpdateFirmware, with `request_id` (the update's record)."""
    _location(location)
    if install is not None and install < retrieve:
        raise RequestProblem("the install time is before the download time")
    if version == V16 and signed is None:
        if install is not None:
            raise RequestProblem(
                "a 1.6 UpdateFirmware has no install time: signed firmware "
                "(SignedUpdateFirmware) has one"
            )
        payload: dict[str, Any] = {"location": location, "retrieveDate": _utc(retrieve)}
        return Request("UpdateFirmware", _retrying(payload, retries, retry_interval))
    firmware: dict[str, Any] = {"location": location, "retrieveDateTime": _utc(retrieve)}
    if install is not None:
        firmware["installDateTime"] = _utc(install)
    if signed is not None:
        firmware["signingCertificate"] = signed.certificate
        firmware["signature"] = signed.signature
    payload = _retrying({"requestId": request_id}, retries, retry_interval)
    payload["firmware"] = firmware
    return Request("SignedUpdateFirmware" if version == V16 else "UpdateFirmware", payload)


def publish(
    version: str,
    location: str,
    checksum: str,
    request_id: int,
    retries: int | None = None,
    retry_interval: int | None = None,
) -> Request:
    """Have a 2.x local controller download the firmware at `location` and publish it to
    the stations behind it; `checksum` is the file's MD5."""
    if version == V16:
        raise RequestProblem("PublishFirmware is OCPP 2.x's (a local controller): not for 1.6")
    _location(location)
    payload = {"location": location, "checksum": normal_checksum(checksum), "requestId": request_id}
    return Request("PublishFirmware", _retrying(payload, retries, retry_interval))


def unpublish(version: str, checksum: str) -> Request:
    """Have a 2.x local controller stop publishing the firmware with this MD5 checksum."""
    checksum = normal_checksum(checksum)
    if version == V16:
        raise RequestProblem("UnpublishFirmware is OCPP 2.x's (a local controller): not for 1.6")
    return Request("UnpublishFirmware", {"checksum": checksum})


def normal_checksum(text: str) -> str:
    """An MD5 checksum as 32 lowercase hexadecimal digits."""
    if _CHECKSUM.fullmatch(text) is None:
        raise RequestProblem(f"{text!r} is not an MD5 checksum (32 hexadecimal digits)")
    return text.lower()


def _location(location: str) -> None:
    if len(location) > MAX_LOCATION:
        raise RequestProblem(
            f"the download URL is {len(location)} characters; stations take at most "
            f"{MAX_LOCATION} (a shorter --files-url or file name)"
        )


def _retrying(payload: dict[str, Any], retries: int | None, interval: int | None) -> dict:
    if retries is not None:
        payload["retries"] = retries
    if interval is not None:
        payload["retryInterval"] = interval
    return payload


def _decodes(text: str) -> bool:
    try:
        base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


def _utc(at: datetime) -> str:
    return utc_text(at.astimezone(UTC))
