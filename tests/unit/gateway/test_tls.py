"""gateway/tls.py: the server context wss:// serves with, and its settings."""

from __future__ import annotations

import re
import ssl

import pytest
import trustme
from pydantic import ValidationError

from ocpp_cable.foundation.settings import GatewaySettings
from ocpp_cable.gateway.tls import OCPP_TLS12_CIPHERS, server_context


@pytest.fixture(scope="module")
def pems(tmp_path_factory):
    base, ca = tmp_path_factory.mktemp("tls"), trustme.CA()
    paths = {}
    for kind in (trustme.KeyType.RSA, trustme.KeyType.ECDSA):
        paths[kind.name] = base / f"{kind.name}.pem"
        ca.issue_cert("127.0.0.1", key_type=kind).private_key_and_cert_chain_pem.write_to_path(
            paths[kind.name]
        )
    return {name: str(path) for name, path in paths.items()}


def test_several_certificates_one_key_each_in_order(pems):
    both = f"{pems['RSA']}, {pems['ECDSA']}"
    settings = GatewaySettings(tls_cert=both, tls_key=both)
    assert settings.tls_pairs() == [(pems["RSA"], pems["RSA"]), (pems["ECDSA"], pems["ECDSA"])]
    with pytest.raises(ValidationError, match="one per certificate"):
        GatewaySettings(tls_cert=both, tls_key=pems["RSA"])
    with pytest.raises(ValidationError, match=r"no file at /nowhere\.pem"):
        GatewaySettings(tls_cert=f"{pems['RSA']},/nowhere.pem", tls_key=both)


def test_the_context_offers_ocpps_suites_from_tls_1_2(pems):
    both = f"{pems['RSA']},{pems['ECDSA']}"
    context = server_context(GatewaySettings(tls_cert=both, tls_key=both))
    assert context.minimum_version == ssl.TLSVersion.TLSv1_2
    tls12 = [c["name"] for c in context.get_ciphers() if c["protocol"] == "TLSv1.2"]
    assert tls12 == OCPP_TLS12_CIPHERS.split(":")
    assert context.options & ssl.OP_NO_COMPRESSION


def test_a_key_that_is_not_the_certificates_is_named(pems):
    settings = GatewaySettings(tls_cert=pems["RSA"], tls_key=pems["ECDSA"])
    with pytest.raises(ValueError, match=re.escape(f"tls_cert {pems['RSA']} with tls_key")):
        server_context(settings)
