"""TLS for wss://: TLS 1.2 or newer, the cipher suites OCPP's security profiles name,
optional charger certificates (security profile 3)."""

from __future__ import annotations

import ssl
from typing import Any

# TLS 1.2's suites (TLS 1.3 keeps OpenSSL's): the four OCPP 2.0.1 Part 2 requires of a CSMS
# (A00.FR.318: ECDHE-ECDSA and RSA key exchange, AES-GCM), with ECDHE-RSA beside them so a
# client able to has forward secrecy with an RSA certificate too; preferred in this order.
# An ECDSA suite needs an ECDSA certificate, an RSA one an RSA certificate: serve both.
OCPP_TLS12_CIPHERS = ":".join(
    (
        "ECDHE-ECDSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-AES256-GCM-SHA384",
        "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-RSA-AES256-GCM-SHA384",
        "AES128-GCM-SHA256",  # TLS_RSA_WITH_AES_128_GCM_SHA256
        "AES256-GCM-SHA384",  # TLS_RSA_WITH_AES_256_GCM_SHA384
    )
)


def server_context(settings: Any) -> ssl.SSLContext:
    """The context wss:// serves with: each of `settings.tls_pairs()` loaded (OpenSSL keeps
    one certificate per key type and picks the one the agreed suite needs)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.set_ciphers(OCPP_TLS12_CIPHERS)
    context.options |= ssl.OP_CIPHER_SERVER_PREFERENCE | ssl.OP_NO_COMPRESSION
    for cert, key in settings.tls_pairs():
        try:
            context.load_cert_chain(cert, key)
        except (ssl.SSLError, OSError) as exc:
            raise ValueError(f"tls_cert {cert} with tls_key {key}: {exc}") from exc
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
