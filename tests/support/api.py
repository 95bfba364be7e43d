"""The HTTP API served in a test beside the reference central system, and its tokens."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import httpx

from ocpp_cable.channels.domain import viewers
from ocpp_cable.channels.operators.api import APIServer
from ocpp_cable.channels.storage import db
from ocpp_cable.rpc_app import broadcasting
from tests.support.central import central_system
from tests.support.servers import publish_to


def make_token(url: str, name: str = "ops", scope: str = viewers.WRITE) -> str:
    with db.session_scope(url) as session:
        return viewers.add_viewer(session, name, scope)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@contextlib.asynccontextmanager
async def api_server(node, settings) -> AsyncIterator[APIServer]:
    """The API on a free port, sending commands to `node`'s gateway."""
    settings = settings.model_copy(
        update={"api_port": 0, "broadcast_url": f"http://127.0.0.1:{node.http_port}/_broadcast"}
    )
    broadcasting.configure(broadcasting.from_settings(settings))
    server = APIServer(settings)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
        publish_to(node)  # (its settings may have named a broker)


@contextlib.asynccontextmanager
async def served_api(database_url: str, **overrides) -> AsyncIterator[tuple]:
    """(gateway node, an httpx client of the API with no token, the API's settings)."""
    async with central_system(database_url, **overrides) as (node, settings):
        async with api_server(node, settings) as server:
            base = f"http://127.0.0.1:{server.port}"
            async with httpx.AsyncClient(base_url=base, timeout=15) as client:
                yield node, client, server.settings
