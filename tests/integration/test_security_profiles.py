"""A station's security profile floor, end to end: moved up (2.x SetNetworkProfile, 1.6
ChangeConfiguration SecurityProfile), it connects on the new profile, and from then on a
connection on a lower one is refused until an operator says otherwise."""

from __future__ import annotations

import asyncio
import contextlib
import ssl

import orjson
import pytest
import trustme
import websockets
from websockets.exceptions import InvalidStatus

from ocpp_cable.channels.storage.models import ChargePoint
from tests.support.central import (
    PASSWORD,
    basic,
    central_rpc,
    command_line,
    operator,
    rows,
    seed,
)
from tests.support.servers import eventually, gateway, publish_to, station_url, subscribed


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    base, ca = tmp_path_factory.mktemp("pki"), trustme.CA()
    paths = {"ca": base / "ca.pem", "server": base / "server.pem"}
    ca.cert_pem.write_to_path(paths["ca"])
    ca.issue_cert("127.0.0.1").private_key_and_cert_chain_pem.write_to_path(paths["server"])
    return {name: str(path) for name, path in paths.items()}


@contextlib.asynccontextmanager
async def plain_and_tls(database_url, pki):
    """One rpc_app, two gateway nodes: ws:// (profile 1) and wss:// (profile 2)."""
    tls = {"tls_cert": pki["server"], "tls_key": pki["server"]}
    async with central_rpc(database_url) as (port, _):
        async with gateway(port) as plain, gateway(port, **tls) as secure:
            publish_to(plain)
            yield plain, secure


async def handshake(node, version, context=None):
    """Connect CP-1 with its password (wss:// when `context`); the open socket."""
    url = station_url(node, "CP-1")
    if context is not None:
        url = url.replace("ws://", "wss://", 1)
    return await websockets.connect(
        url, subprotocols=[version], additional_headers=basic("CP-1", PASSWORD), ssl=context
    )


async def refused(node, version) -> int:
    with pytest.raises(InvalidStatus) as caught:
        await handshake(node, version)
    return caught.value.response.status_code


@pytest.mark.parametrize(
    ("version", "action", "payload", "answer"),
    [
        ("ocpp1.6", "ChangeConfiguration", '{"key": "SecurityProfile", "value": "2"}',
         '{"status": "Accepted"}'),
        ("ocpp2.0.1", "SetNetworkProfile",
         '{"configurationSlot": 2, "connectionData": {"ocppVersion": "OCPP20", '
         '"ocppTransport": "JSON", "ocppCsmsUrl": "wss://127.0.0.1/ocpp", '
         '"messageTimeout": 30, "securityProfile": 2, "ocppInterface": "Wired0"}}',
         '{"status": "Accepted"}'),
    ],
)  # fmt: skip
async def test_moved_up_then_never_below(database_url, pki, capsys, version, action, payload,
                                         answer):  # fmt: skip
    seed(database_url)
    client = ssl.create_default_context(cafile=pki["ca"])

    def profile():
        (cp,) = rows(database_url, ChargePoint)
        return cp.security_profile, cp.pending_security_profile

    async with plain_and_tls(database_url, pki) as (plain, secure):
        ws = await handshake(plain, version)
        await eventually(lambda: subscribed(plain, "CP-1"))
        sent = operator(capsys, plain, database_url, "send", "CP-1", action, payload, "--wait")
        sending = asyncio.ensure_future(sent)
        call = orjson.loads(await ws.recv())  # the station answers the operator's CALL
        assert call[2] == action
        await ws.send(f'[3,"{call[1]}",{answer}]')
        code, out, err = await sending
        assert code == 0, (out, err)
        await eventually(lambda: profile() == (None, 2))
        await ws.close()
        # Still on profile 1 before it moved: admitted, nothing rises.
        await (await handshake(plain, version)).close()
        assert profile() == (None, 2)
        # It reconnects on profile 2: that is its floor now.
        secure_ws = await handshake(secure, version, client)
        await secure_ws.close()
        assert profile() == (2, None)
        assert await refused(plain, version) == 401
        # The operator lowers it again.
        code, out, _ = await command_line(
            capsys, "stations", "security-profile", "CP-1", "--any", "--database-url", database_url
        )
        assert code == 0 and "any security profile" in out
        await (await handshake(plain, version)).close()
