"""OCA 2.0.1 CSMS cases, block M (ISO 15118 certificate management): the ones that are plain
commands (install, list, delete a station's certificates); M_24, 26 and 28 are Plug &
Charge's.

The operator sends InstallCertificate, GetInstalledCertificateIds and DeleteCertificate
with `ocpp-cable send`; each command's record keeps what was sent and the station's
answer, the certificates' hash data among it."""

from __future__ import annotations

import pytest
import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from tests.support.conformance import csms
from tests.support.conformance_flows import send, snake

ALGORITHMS = {"SHA256": hashes.SHA256, "SHA384": hashes.SHA384, "SHA512": hashes.SHA512}


@pytest.fixture(scope="module")
def root() -> str:
    """A root certificate, PEM."""
    return trustme.CA().cert_pem.bytes().decode()


def hash_data(pem: str, algorithm: str = "SHA256") -> dict:
    """OCPP's CertificateHashData of a self-signed certificate (its own issuer)."""
    cert = x509.load_pem_x509_certificate(pem.encode())

    def digest(data: bytes) -> str:
        h = hashes.Hash(ALGORITHMS[algorithm]())
        h.update(data)
        return h.finalize().hex()

    key = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return {
        "hashAlgorithm": algorithm,
        "issuerNameHash": digest(cert.issuer.public_bytes()),
        "issuerKeyHash": digest(key),
        "serialNumber": format(cert.serial_number, "x"),
    }


async def install(tmp_path, capsys, pem: str, certificate_type: str, answer: str = "Accepted"):
    """CertificateInstalled: the operator sends InstallCertificate; the station answers
    `answer`. The request it got and the command's record."""
    payload = {"certificateType": certificate_type, "certificate": pem}
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station(answers={"InstallCertificate": {"status": answer}}) as cp:
            await cp.boot()
            code, out, record = await send(system, "InstallCertificate", payload)
            request = await cp.request("InstallCertificate")
    assert request == {"certificate_type": certificate_type, "certificate": pem}
    assert (record.payload, record.response) == (payload, {"status": answer})
    assert code == (0 if answer == "Accepted" else 1), out
    return record


async def test_tc_m_01_csms(tmp_path, capsys, root):
    """Install a CA certificate, CSMSRootCertificate: InstallCertificate with that type and
    the certificate; the station accepts; the record keeps both."""
    record = await install(tmp_path, capsys, root, "CSMSRootCertificate")
    assert record.status == "accepted"


async def test_tc_m_02_csms(tmp_path, capsys, root):
    """Install a CA certificate, ManufacturerRootCertificate."""
    record = await install(tmp_path, capsys, root, "ManufacturerRootCertificate")
    assert record.status == "accepted"


async def test_tc_m_03_csms(tmp_path, capsys, root):
    """Install a CA certificate, V2GRootCertificate."""
    record = await install(tmp_path, capsys, root, "V2GRootCertificate")
    assert record.status == "accepted"


async def test_tc_m_04_csms(tmp_path, capsys, root):
    """Install a CA certificate, MORootCertificate."""
    record = await install(tmp_path, capsys, root, "MORootCertificate")
    assert record.status == "accepted"


async def test_tc_m_05_csms(tmp_path, capsys, root):
    """Install a CA certificate, Failed: the station cannot install the CSMSRootCertificate;
    the CSMS records the failure (rejected, with the answer) and tells the operator."""
    record = await install(tmp_path, capsys, root, "CSMSRootCertificate", answer="Failed")
    assert record.status == "rejected"


def chain(certificate_type: str, data: dict, children: list[dict] | None = None) -> dict:
    entry = {"certificateType": certificate_type, "certificateHashData": data}
    if children:
        entry["childCertificateHashData"] = children
    return entry


async def installed_ids(tmp_path, capsys, payloads: list[dict], answers: list[dict]):
    """The operator sends each GetInstalledCertificateIds; the station answers in turn.
    The requests it got and the commands' records."""
    pending = iter(snake(answers))
    async with csms(tmp_path, capsys) as system:
        system.seed()
        station_answers = {"GetInstalledCertificateIds": lambda _: next(pending)}
        async with system.station(answers=station_answers) as cp:
            await cp.boot()
            records = []
            for payload in payloads:
                code, out, record = await send(system, "GetInstalledCertificateIds", payload)
                assert code == 0, out  # NotFound too: an answer, not a refusal
                records.append(record)
            requests = [await cp.request("GetInstalledCertificateIds", n + 1)
                        for n in range(len(payloads))]  # fmt: skip
    for payload, answer, record in zip(payloads, answers, records, strict=True):
        # What the station reported, kept exactly as it sent it.
        assert (record.payload, record.response) == (payload, answer)
    return requests, records


async def test_tc_m_12_csms(tmp_path, capsys, root):
    """Retrieve the CSMSRootCertificates' ids, hashed with SHA256, then SHA384, then SHA512:
    each request names the type, each answer's hash data is kept as sent."""
    payload = {"certificateType": ["CSMSRootCertificate"]}
    answers = [{"status": "Accepted",
                "certificateHashDataChain": [chain("CSMSRootCertificate", hash_data(root, a))]}
               for a in ALGORITHMS]  # fmt: skip
    requests, records = await installed_ids(tmp_path, capsys, [payload] * 3, answers)
    assert all(r == {"certificate_type": ["CSMSRootCertificate"]} for r in requests)
    assert all(r.status == "accepted" for r in records)


async def one_type(tmp_path, capsys, root, certificate_type: str, children=None):
    payload = {"certificateType": [certificate_type]}
    answer = {"status": "Accepted",
              "certificateHashDataChain": [chain(certificate_type, hash_data(root),
                                                 children)]}  # fmt: skip
    [request], [record] = await installed_ids(tmp_path, capsys, [payload], [answer])
    assert request == {"certificate_type": [certificate_type]}
    assert record.status == "accepted"
    return record


async def test_tc_m_13_csms(tmp_path, capsys, root):
    """Retrieve the ManufacturerRootCertificates' ids."""
    await one_type(tmp_path, capsys, root, "ManufacturerRootCertificate")


async def test_tc_m_14_csms(tmp_path, capsys, root):
    """Retrieve the V2GRootCertificates' ids."""
    await one_type(tmp_path, capsys, root, "V2GRootCertificate")


async def test_tc_m_15_csms(tmp_path, capsys, root):
    """Retrieve the V2G certificate chain's ids, its child certificates' hash data with
    them; kept whole."""
    child = {**hash_data(root), "serialNumber": "2"}
    record = await one_type(tmp_path, capsys, root, "V2GCertificateChain", children=[child])
    [entry] = record.response["certificateHashDataChain"]
    assert entry["childCertificateHashData"] == [child]


async def test_tc_m_16_csms(tmp_path, capsys, root):
    """Retrieve the MORootCertificates' ids."""
    await one_type(tmp_path, capsys, root, "MORootCertificate")


async def test_tc_m_17_csms(tmp_path, capsys, root):
    """Retrieve the CSMSRoot and ManufacturerRoot certificates' ids in one request."""
    types = ["CSMSRootCertificate", "ManufacturerRootCertificate"]
    answer = {"status": "Accepted",
              "certificateHashDataChain": [chain(t, hash_data(root)) for t in types]}  # fmt: skip
    [request], [record] = await installed_ids(
        tmp_path, capsys, [{"certificateType": types}], [answer]
    )
    assert request == {"certificate_type": types} and record.status == "accepted"


async def test_tc_m_18_csms(tmp_path, capsys, root):
    """Retrieve every certificate's ids: no certificateType; the station reports all its
    types."""
    types = ["V2GRootCertificate", "MORootCertificate", "CSMSRootCertificate",
             "ManufacturerRootCertificate"]  # fmt: skip
    answer = {"status": "Accepted",
              "certificateHashDataChain": [chain(t, hash_data(root)) for t in types]}  # fmt: skip
    [request], [record] = await installed_ids(tmp_path, capsys, [{}], [answer])
    assert request == {} and record.status == "accepted"


async def test_tc_m_19_csms(tmp_path, capsys):
    """Retrieve certificate ids, none matching: the station answers NotFound without a
    chain; the answer is kept."""
    payload = {"certificateType": ["ManufacturerRootCertificate"]}
    [request], _ = await installed_ids(tmp_path, capsys, [payload], [{"status": "NotFound"}])
    assert request == {"certificate_type": ["ManufacturerRootCertificate"]}


async def delete(tmp_path, capsys, root: str, algorithms: list[str], answer: str):
    """For each algorithm in turn: CertificateInstalled, then the operator deletes it: reads
    the installed ids (the station reports the CSMSRootCertificate hashed with that
    algorithm) and sends DeleteCertificate with the hash data the station reported; the
    station answers `answer`. The exit status and the record of each DeleteCertificate."""
    reported_data = iter([hash_data(root, a) for a in algorithms])
    current: dict = {}

    def listing_answer(_request):
        current["data"] = next(reported_data)
        entry = chain("CSMSRootCertificate", current["data"])
        return snake({"status": "Accepted", "certificateHashDataChain": [entry]})

    answers = {"InstallCertificate": {"status": "Accepted"},
               "GetInstalledCertificateIds": listing_answer,
               "DeleteCertificate": {"status": answer}}  # fmt: skip
    outcomes = []
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station(answers=answers) as cp:
            await cp.boot()
            for n, _ in enumerate(algorithms, start=1):
                installed = {"certificateType": "CSMSRootCertificate", "certificate": root}
                assert (await send(system, "InstallCertificate", installed))[0] == 0
                listing = {"certificateType": ["CSMSRootCertificate"]}
                _, _, listed = await send(system, "GetInstalledCertificateIds", listing)
                [reported] = listed.response["certificateHashDataChain"]
                deleting = {"certificateHashData": reported["certificateHashData"]}
                code, _, record = await send(system, "DeleteCertificate", deleting)
                request = await cp.request("DeleteCertificate", n)
                # The certificate deleted is the one the station reported, as it said it.
                assert request == {"certificate_hash_data": snake(current["data"])}
                assert record.payload == {"certificateHashData": current["data"]}
                assert record.response == {"status": answer}
                outcomes.append((code, record))
    return outcomes


async def test_tc_m_20_csms(tmp_path, capsys, root):
    """Delete a certificate, for each hash algorithm (SHA256, SHA384, SHA512): a
    CSMSRootCertificate installed, the CSMS reads the installed ids and deletes the
    certificate by the hash data the station reported; the station accepts each."""
    outcomes = await delete(tmp_path, capsys, root, list(ALGORITHMS), "Accepted")
    assert [(code, record.status) for code, record in outcomes] == [(0, "accepted")] * 3


async def test_tc_m_21_csms(tmp_path, capsys, root):
    """Delete a certificate, Failed: as above (SHA256); the station cannot delete it; the
    CSMS records the failure and tells the operator."""
    [(code, record)] = await delete(tmp_path, capsys, root, ["SHA256"], "Failed")
    assert code == 1 and record.status == "rejected"
