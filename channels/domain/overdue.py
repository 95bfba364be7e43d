"""rpc_app's sweep in the reference system: commands nobody will answer any more end.

A command stays open while an answer may still come. After rpc_app or the API
was killed, some never get one: recorded `queued` by an API that died before it
marked them sent, or `sent` with an answer lost on the way. The sweep (every few
seconds, in every rpc_app replica) ends them once the station and the gateway
have had all their time (commands.settle_overdue), applies what their failure
changes (a reservation, a local list update) and tells the dashboard.
"""

from __future__ import annotations

import structlog

from ocpp_cable.channels.domain import command_hooks, commands
from ocpp_cable.channels.operators.live import events as live
from ocpp_cable.channels.settings import CentralSystemRPCSettings
from ocpp_cable.channels.storage.store import Unit, store

log = structlog.get_logger("channels.overdue")


async def sweep(settings: CentralSystemRPCSettings) -> list[commands.Ended]:
    """End the overdue commands, with their failure hooks; returns those ended. Their
    patience (commands.patience) is made of the settings the gateway runs with too."""
    waited = commands.patience(settings)

    def unit(u: Unit) -> list[commands.Ended]:
        ended = commands.settle_overdue(u.session, waited)
        for command in ended:
            command_hooks.failed(u.session, command.station_id, command.id, command.code)
        return ended

    ended = await store(settings.database_url).run(unit)
    for command in ended:
        log.warning(
            "command given up",
            station_id=command.station_id,
            command=command.action,
            message_id=command.id,
            code=command.code,
        )
        live.publish(
            command.station_id,
            "command_result",
            command=command.action,
            command_id=command.id,
            result="failed",
            code=command.code,
        )
    return ended
