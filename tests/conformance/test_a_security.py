"""OCA 2.0.1 CSMS cases, block A (Security): HTTP Basic authentication (profiles 1, 2)
and TLS (profiles 2, 3)."""

from __future__ import annotations

import ssl
from datetime import UTC, datetime, timedelta

import pytest
import trustme
import websockets
from websockets.exceptions import InvalidMessage, InvalidStatus

from tests.support.central import PASSWORD, basic
from tests.support.conformance import csms
from tests.support.servers import station_url


async def refused(url: str, headers: dict[str, str], **kwargs) -> int:
    """The HTTP status a handshake that must not be upgraded gets."""
    with pytest.raises(InvalidStatus) as caught:
        ws = await websockets.connect(
            url, subprotocols=["ocpp2.0.1"], additional_headers=headers, **kwargs
        )
        await ws.close()
    return caught.value.response.status_code


async def test_tc_a_01_csms(tmp_path, capsys):
    """Basic authentication with the right username (the station id) and password: the
    upgrade succeeds and the station boots, Accepted, and reports its connectors."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station() as cp:
            booted = await cp.boot()
            assert booted.status == "Accepted"
            assert await cp.status("Available") is not None


async def test_tc_a_02_csms(tmp_path, capsys):
    """Basic authentication whose username is not the station id in the URL: refused
    with 401, never upgraded, even with the password that station id would have."""
    async with csms(tmp_path, capsys) as system:
        system.seed("CP-1")
        system.seed("CP-2", tags=())
        url = station_url(system.node, "CP-1")
        assert await refused(url, basic("CP-2", PASSWORD)) == 401


async def test_tc_a_03_csms(tmp_path, capsys):
    """No Authorization header, then a wrong password: both refused with 401 before the
    upgrade (the same answer an unknown station id gets, so none is told apart)."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        url = station_url(system.node, "CP-1")
        assert await refused(url, {}) == 401
        assert await refused(url, basic("CP-1", "x" * 24 + "!Wrong")) == 401
        assert await refused(station_url(system.node, "CP-NOBODY"), {}) == 401


# --- TLS: security profiles 2 and 3 ----------------------------------------------------

# The four TLS 1.2 suites a CSMS must offer (OCPP 2.0.1 Part 2, A00.FR.318 and .421).
REQUIRED_TLS12 = (
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384",
    "AES128-GCM-SHA256",
    "AES256-GCM-SHA384",
)


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """A CA; the CSMS's certificates for 127.0.0.1, an RSA and an ECDSA one; certificates
    for station CP-1 (valid, expired, another's CN) and one from a CA nobody trusts."""
    base = tmp_path_factory.mktemp("pki")
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


def tls_overrides(pki, **extra):
    both = f"{pki['rsa']},{pki['ecdsa']}"
    return {"tls_cert": both, "tls_key": both, "tls_client_ca": pki["ca"], **extra}


def client(pki, cert=None, cipher=None, maximum=None, minimum=None) -> ssl.SSLContext:
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


def wss(system, station_id="CP-1") -> str:
    return f"wss://127.0.0.1:{system.node.port}/ocpp/{station_id}"


async def negotiated(url, context, headers=None) -> tuple[str, str]:
    """(TLS version, cipher) of an upgraded connection, which is then closed."""
    ws = await websockets.connect(
        url, ssl=context, subprotocols=["ocpp2.0.1"], additional_headers=headers or {}
    )
    try:
        name, version, _ = ws.transport.get_extra_info("ssl_object").cipher()
        return version, name
    finally:
        await ws.close()


async def test_tc_a_04_csms(tmp_path, capsys, pki):
    """Profile 2: the CSMS is the TLS server with its certificate; the station upgrades with
    Basic credentials and boots. Each of the four required TLS 1.2 suites is agreed on its
    own (the ECDSA ones with the ECDSA certificate, the RSA ones with the RSA one)."""
    async with csms(tmp_path, capsys, **tls_overrides(pki)) as system:
        system.seed()
        auth = basic("CP-1", PASSWORD)
        for cipher in REQUIRED_TLS12:
            version, name = await negotiated(wss(system), client(pki, cipher=cipher), auth)
            assert (version, name) == ("TLSv1.2", cipher)
        async with system.station(ssl=client(pki)) as cp:
            assert (await cp.boot()).status == "Accepted"
            assert await cp.status("Available") is not None


@pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1_1 is deprecated")
async def test_tc_a_06_csms(tmp_path, capsys, pki):
    """A TLS version below 1.2 is refused at the handshake; 1.2 then succeeds."""
    async with csms(tmp_path, capsys, **tls_overrides(pki)) as system:
        system.seed()
        auth = basic("CP-1", PASSWORD)
        old = client(pki, maximum=ssl.TLSVersion.TLSv1_1)
        with pytest.raises((ssl.SSLError, OSError)):
            await negotiated(wss(system), old, auth)
        tls12 = client(pki, maximum=ssl.TLSVersion.TLSv1_2, minimum=ssl.TLSVersion.TLSv1_2)
        assert (await negotiated(wss(system), tls12, auth))[0] == "TLSv1.2"


async def test_tc_a_07_csms(tmp_path, capsys, pki):
    """Profile 3: the station proves who it is with a client certificate whose CN is its
    id (no password sent), over each required TLS 1.2 suite, and boots."""
    overrides = tls_overrides(pki, tls_client_cert_required=True)
    async with csms(tmp_path, capsys, **overrides) as system:
        system.seed()
        for cipher in REQUIRED_TLS12:
            context = client(pki, cert="station", cipher=cipher)
            assert await negotiated(wss(system), context) == ("TLSv1.2", cipher)
        async with system.station(ssl=client(pki, cert="station"), password=None) as cp:
            assert (await cp.boot()).status == "Accepted"


async def test_tc_a_08_csms(tmp_path, capsys, pki):
    """Profile 3 with an invalid client certificate (from an unknown CA, expired, or issued
    to another station) ends the connection; the valid one then gets through."""
    overrides = tls_overrides(pki, tls_client_cert_required=True)
    async with csms(tmp_path, capsys, **overrides) as system:
        system.seed()
        for cert in ("unknown", "expired"):  # TLS itself ends it (in 1.3 after the Finished)
            with pytest.raises((ssl.SSLError, OSError, InvalidMessage)):
                await negotiated(wss(system), client(pki, cert=cert))
        with pytest.raises(InvalidStatus) as refused:  # a valid certificate, not CP-1's
            await negotiated(wss(system), client(pki, cert="other"))
        assert refused.value.response.status_code == 401
        assert (await negotiated(wss(system), client(pki, cert="station")))[0].startswith("TLS")


# --- the station's password (A01) ------------------------------------------------------


def set_variables_answer(status: str):
    def answer(request):
        [data] = request["set_variable_data"]
        return {
            "set_variable_result": [
                {"attribute_status": status, "component": data["component"],
                 "variable": data["variable"]}
            ]
        }  # fmt: skip

    return answer


async def rotate(system, status: str) -> str:
    """The operator rotates CP-1's password; the station answers `status`: the new password
    as the CSMS sent it in SetVariables (SecurityCtrlr.BasicAuthPassword)."""
    async with system.station(answers={"SetVariables": set_variables_answer(status)}) as cp:
        await cp.boot()
        code, out, err = await system.operator("rotate-password", "CP-1", "--wait")
        assert code == (0 if status == "Accepted" else 1), (out, err)  # 1: refused
        [data] = (await cp.request("SetVariables"))["set_variable_data"]
    assert (data["component"]["name"], data["variable"]["name"]) == (
        "SecurityCtrlr", "BasicAuthPassword",
    )  # fmt: skip
    assert data["attribute_value"] not in out + err  # shown to no one
    return data["attribute_value"]


async def test_tc_a_09_csms(tmp_path, capsys):
    """The CSMS sets a new BasicAuthPassword with SetVariables; the station accepts it and
    logs in with it; from then on only the new password is admitted."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        new = await rotate(system, "Accepted")
        async with system.station(password=new) as cp:
            assert (await cp.boot()).status == "Accepted"
        url = station_url(system.node, "CP-1")
        assert await refused(url, basic("CP-1", PASSWORD)) == 401


async def test_tc_a_10_csms(tmp_path, capsys):
    """The station rejects the new BasicAuthPassword: the CSMS keeps admitting the old one,
    and never the one the station refused."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        new = await rotate(system, "Rejected")
        async with system.station(password=PASSWORD) as cp:
            assert (await cp.boot()).status == "Accepted"
        assert await refused(station_url(system.node, "CP-1"), basic("CP-1", new)) == 401
