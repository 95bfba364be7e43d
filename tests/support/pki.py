"""Certificates for the TLS conformance cases (OCPP security profiles 2 and 3): a CA, the
central system's certificates and a station's, and the client side of a TLS handshake."""

from __future__ import annotations

import ssl
from datetime import UTC, datetime, timedelta
from pathlib import Path

import trustme

# The four TLS 1.2 suites a central system must offer (OCPP 2.0.1 Part 2, A00.FR.318 and
# .421; the OCPP 1.6 security whitepaper names the same).
REQUIRED_TLS12 = (
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384",
    "AES128-GCM-SHA256",
    "AES256-GCM-SHA384",
)


def issue(base: Path) -> dict[str, str]:
    """A CA (`ca`); the central system's certificates for 127.0.0.1, an RSA and an ECDSA one;
    certificates for station CP-1 (valid, expired), another station's (`other`), and one
    from a CA nobody trusts (`unknown`): each name's PEM file (key and chain)."""
    ca, stranger = trustme.CA(), trustme.CA()
    issued = {
        "rsa": ca.issue_cert("127.0.0.1", key_type=trustme.KeyType.RSA),
        "ecdsa": ca.issue_cert("127.0.0.1", key_type=trustme.KeyType.ECDSA),
        "station": ca.issue_cert("cp-1.example", common_name="CP-1"),
        "expired": ca.issue_cert(
            "cp-1.example", common_name="CP-1", not_after=datetime.now(UTC) - timedelta(days=1)
        ),
        "other": ca.issue_cert("cp-9.example", common_name="CP-9"),
        "unknown": stranger.issue_cert("cp-1.example", common_name="CP-1"),
    }
    paths = {"ca": base / "ca.pem"}
    ca.cert_pem.write_to_path(paths["ca"])
    for name, cert in issued.items():
        paths[name] = base / f"{name}.pem"
        cert.private_key_and_cert_chain_pem.write_to_path(paths[name])
    return {name: str(path) for name, path in paths.items()}


def tls_overrides(pki: dict[str, str], **extra) -> dict:
    """The settings of a central system serving wss:// with both certificates."""
    both = f"{pki['rsa']},{pki['ecdsa']}"
    return {"tls_cert": both, "tls_key": both, "tls_client_ca": pki["ca"], **extra}


def client(pki, cert=None, cipher=None, maximum=None, minimum=None) -> ssl.SSLContext:
    """A station's TLS context trusting the CA: with its certificate `cert` (profile 3),
    one TLS 1.2 suite only (`cipher`), or bounded TLS versions."""
    context = ssl.create_default_context(cafile=pki["ca"])
    if cert:
        context.load_cert_chain(pki[cert])
    if cipher:  # one TLS 1.2 suite and nothing else
        context.maximum_version = ssl.TLSVersion.TLSv1_2
        context.set_ciphers(cipher)
    if maximum:
        context.minimum_version = minimum or ssl.TLSVersion.MINIMUM_SUPPORTED
        context.maximum_version = maximum
    return context
