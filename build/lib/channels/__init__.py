"""The reference central system: channel classes served by rpc_app.

rpc_app finds every Channel subclass in this package and its one Connection
subclass; `--channels-module` points it at another package.
"""

from channels.connection import StationConnection
from channels.ocpp_channel import OCPPChannel

__all__ = ["OCPPChannel", "StationConnection", "setup"]


def setup(settings) -> None:
    """Called by rpc_app before it serves: use these settings, migrate the database."""
    from channels import config, db

    config.configure(settings)
    if settings.auto_migrate:
        db.upgrade(settings.database_url)
