"""OCA 2.0.1 CSMS cases, block B (Provisioning): the WebSocket subprotocol (OCPP-J)."""

from __future__ import annotations

import pytest
import websockets
from websockets.exceptions import InvalidStatus

from tests.support.central import PASSWORD, basic
from tests.support.conformance import csms
from tests.support.servers import station_url


async def test_tc_b_58_csms(tmp_path, capsys):
    """A station offering only a version we do not speak is refused, not upgraded; offering
    it beside 2.0.1, it is upgraded with 2.0.1 named in Sec-WebSocket-Protocol."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        url, auth = station_url(system.node, "CP-1"), basic("CP-1", PASSWORD)
        with pytest.raises(InvalidStatus) as refused:
            await websockets.connect(url, subprotocols=["ocpp0.1"], additional_headers=auth)
        assert refused.value.response.status_code == 400
        ws = await websockets.connect(
            url, subprotocols=["ocpp0.1", "ocpp2.0.1"], additional_headers=auth
        )
        try:
            assert ws.response.headers["Sec-WebSocket-Protocol"] == "ocpp2.0.1"
        finally:
            await ws.close()
