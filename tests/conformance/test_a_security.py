"""OCA 2.0.1 CSMS cases, block A (Security): HTTP Basic authentication (profiles 1, 2)
and TLS (profiles 2, 3)."""

from __future__ import annotations

import pytest
import websockets
from websockets.exceptions import InvalidStatus

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
