"""The reference central system: channel classes served by rpc_app.

rpc_app finds every Channel subclass in this package and its one Connection
subclass; `--channels-module` points it at another package.
"""

from ocpp_cable.channels.connection import StationConnection
from ocpp_cable.channels.ocpp_channel import OCPPChannel

__all__ = ["OCPPChannel", "StationConnection", "node_lease", "setup", "sweep"]


def setup(settings) -> None:
    """Called by rpc_app before it serves: use these settings, migrate the database."""
    from ocpp_cable.channels import config, db

    config.configure(settings)
    if settings.auto_migrate:
        db.upgrade(settings.database_url)


async def node_lease(node: str, ttl: float, stations: list[str]) -> None:
    """Called by rpc_app for each gateway node's lease renewal (ttl 0: the node is leaving)."""
    from ocpp_cable.channels import config, presence
    from ocpp_cable.channels.store import store

    await store(config.settings().database_url).run(
        lambda u: presence.renew(u.session, node, ttl, stations)
    )


async def sweep() -> None:
    """Called by rpc_app every few seconds: commands nobody will answer any more end."""
    from ocpp_cable.channels import config, overdue

    await overdue.sweep(config.settings())
