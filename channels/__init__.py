"""The reference central system: channel classes served by rpc_app.

This package is the application rpc_app loads by default (`--channels-module
ocpp_cable.channels`): `__all__` names what it serves. The classes load on first use
(PEP 562), so `from ocpp_cable.channels import timeutil` brings no channel, database
engine or web framework with it, and the CLI's admin commands load only what they use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# The channel classes and the connection class rpc_app serves: name -> defining module.
_SERVED = {
    "OCPPChannel": "ocpp_cable.channels.handlers.ocpp_channel",
    "StationChannel": "ocpp_cable.channels.operators.live",
    "StationsChannel": "ocpp_cable.channels.operators.live",
    "StationConnection": "ocpp_cable.channels.handlers.connection",
}

__all__ = [
    "OCPPChannel",
    "StationChannel",
    "StationConnection",
    "StationsChannel",
    "node_lease",
    "serve_operators",
    "setup",
    "sweep",
]

if TYPE_CHECKING:
    from ocpp_cable.channels.handlers.connection import StationConnection
    from ocpp_cable.channels.handlers.ocpp_channel import OCPPChannel
    from ocpp_cable.channels.operators.live import StationChannel, StationsChannel


def __getattr__(name: str) -> Any:
    if name not in _SERVED:
        raise AttributeError(f"module 'ocpp_cable.channels' has no attribute {name!r}")
    value = getattr(importlib.import_module(_SERVED[name]), name)
    globals()[name] = value
    return value


def setup(settings) -> None:
    """Called by rpc_app before it serves: use these settings, migrate the database."""
    from ocpp_cable.channels import config
    from ocpp_cable.channels.storage import db

    config.configure(settings)
    if settings.auto_migrate:
        db.upgrade(settings.database_url)


async def node_lease(node: str, ttl: float, stations: list[str]) -> None:
    """Called by rpc_app for each gateway node's lease renewal (ttl 0: the node is leaving)."""
    from ocpp_cable.channels import config
    from ocpp_cable.channels.domain import presence
    from ocpp_cable.channels.storage.store import store

    await store(config.settings().database_url).run(
        lambda u: presence.renew(u.session, node, ttl, stations)
    )


async def sweep() -> None:
    """Called by rpc_app every few seconds: commands nobody will answer any more end."""
    from ocpp_cable.channels import config
    from ocpp_cable.channels.domain import overdue

    await overdue.sweep(config.settings())


async def serve_operators(settings):
    """Called by `ocpp-cable up` and `api`: the HTTP API and dashboard, started (the
    database migrated first when --auto-migrate); `stop()` ends them."""
    import asyncio

    from ocpp_cable.channels.operators.api import serve
    from ocpp_cable.channels.storage import db

    if settings.auto_migrate:
        await asyncio.to_thread(db.upgrade, settings.database_url)
    return await serve(settings)
