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

from channels import command_hooks, commands
from channels.live import events as live
from channels.store import Unit, store
from foundation.settings import RPCAppSettings

log = structlog.get_logger("channels.overdue")

# Seconds two hosts' clocks may differ by: a command's times are written by the process
# that sent it and by rpc_app, and the sweep compares them with its own clock.
CLOCK_SKEW = 5.0


def patience(settings: RPCAppSettings) -> commands.Patience:
    """How long a command may stay open, from the settings the gateway runs with too.

    Its answer reaches the database at the latest --reply-retry-time after the station's
    time ran out (the gateway's last try taking one --rpc-timeout), and the sender
    publishes within two more: the broker's connect and its answer."""
    return commands.Patience(
        per_call=settings.call_timeout,
        grace=settings.reply_retry_time + 3 * settings.rpc_timeout + CLOCK_SKEW,
    )


async def sweep(settings: RPCAppSettings) -> list[commands.Ended]:
    """End the overdue commands, with their failure hooks; returns those ended."""
    waited = patience(settings)

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
