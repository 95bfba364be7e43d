"""TLS for wss://: TLS 1.2 or newer, optional charger certificates (security profile 3)."""

from __future__ import annotations

import ssl
from typing import Any


def server_context(settings: Any) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(settings.tls_cert, settings.tls_key)
    if settings.tls_client_ca:
        context.load_verify_locations(settings.tls_client_ca)
        context.verify_mode = (
            ssl.CERT_REQUIRED if settings.tls_client_cert_required else ssl.CERT_OPTIONAL
        )
    return context


# Python's attribute names -> RFC 4514 short names.
SHORT_NAMES = {
    "commonName": "CN",
    "organizationName": "O",
    "organizationalUnitName": "OU",
    "countryName": "C",
    "localityName": "L",
    "stateOrProvinceName": "ST",
    "streetAddress": "STREET",
    "domainComponent": "DC",
    "userId": "UID",
}
_SPECIAL = {",", "+", '"', "\\", "<", ">", ";", "="}


def _escape(value: str) -> str:
    escaped = "".join(f"\\{ch}" if ch in _SPECIAL else ch for ch in value)
    if escaped.startswith(("#", " ")):
        escaped = "\\" + escaped
    if escaped.endswith(" "):
        escaped = escaped[:-1] + "\\ "
    return escaped


def client_subject(transport: Any) -> str | None:
    """The verified client certificate's subject as RFC 4514 text, e.g. `CN=CP-1,O=Acme`."""
    if transport is None:
        return None
    cert = transport.get_extra_info("peercert")
    if not cert:
        return None  # no certificate, or none verified (peercert is empty unless verified)
    rdns = [
        "+".join(f"{SHORT_NAMES.get(key, key)}={_escape(value)}" for key, value in rdn)
        for rdn in reversed(cert.get("subject", ()))  # RFC 4514: most specific first
    ]
    return ",".join(rdns) or None
