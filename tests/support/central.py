"""The reference central system (channels/) in a test: served, seeded, read back."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import re

from ocpp.routing import on
from ocpp.v16 import ChargePoint as Charger
from ocpp.v16 import call_result
from ocpp.v16.enums import Action
from sqlalchemy import select

from ocpp_cable import channels
from ocpp_cable.channels.domain import stations
from ocpp_cable.channels.settings import Settings
from ocpp_cable.channels.storage import db
from ocpp_cable.channels.storage.models import IdTag
from ocpp_cable.rpc_app.application import load_application
from tests.support.servers import BROADCAST_KEY, charger, gateway, publish_to, rpc_server

PASSWORD = "s3cret-pass"
_LOG_LINE = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \[")  # structlog's console format


class CentralCharger(Charger):
    @on(Action.remote_start_transaction)
    def on_remote_start(self, id_tag, **_):
        return call_result.RemoteStartTransaction(status="Accepted")


@contextlib.asynccontextmanager
async def central_rpc(database_url, **overrides):
    """rpc_app serving the reference system: (its port, the settings), for gateways a test
    starts and stops itself (publish_to the one that runs)."""
    settings = Settings(database_url=database_url, broadcast_key=BROADCAST_KEY, **overrides)
    channels.setup(settings)
    try:
        async with rpc_server(app=load_application("ocpp_cable.channels")) as (_, port, _):
            yield port, settings
    finally:
        channels.config.configure(None)


@contextlib.asynccontextmanager
async def central_system(database_url, **overrides):
    async with central_rpc(database_url, **overrides) as (port, settings):
        async with gateway(port, **overrides) as node:
            publish_to(node)
            yield node, settings


def basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def connected(node, station_id="CP-1", password=PASSWORD, cls=CentralCharger):
    headers = basic(station_id, password) if password else {}
    return charger(node, station_id, cls=cls, additional_headers=headers)


def seed(url, station_id="CP-1", tags=(("TAG-1", "Accepted", None),)):
    with db.session_scope(url) as session:
        stations.add_station(session, station_id, password=PASSWORD)
        for tag, status, expiry in tags:
            session.add(IdTag(tag=tag, status=status, expiry_date=expiry))


def rows(url, model, *where):
    with db.session_scope(url) as session:
        return list(session.scalars(select(model).where(*where)))


async def operator(capsys, node, url, *argv: str) -> tuple[int, str, str]:
    """An `ocpp-cable` command that sends to stations (`local-list`, `reserve`, ...), run
    in this process against the test's gateway and database: (exit status, stdout, stderr)."""
    broadcast_url = f"http://127.0.0.1:{node.http_port}/_broadcast"
    flags = ["--database-url", url, "--broadcast-url", broadcast_url, "--broadcast-key",
             BROADCAST_KEY]  # fmt: skip
    return await command_line(capsys, *argv, *flags)


async def command_line(capsys, *argv: str) -> tuple[int, str, str]:
    """`ocpp-cable <argv>` run in this process beside the test's servers, off the event
    loop: (exit status, stdout, stderr) without the servers' log lines."""
    from ocpp_cable.cli import main

    capsys.readouterr()
    code = await asyncio.to_thread(main, list(argv))
    out, err = capsys.readouterr()
    return code, _without_log_lines(out), _without_log_lines(err)


def _without_log_lines(text: str) -> str:
    # The servers run in this process too: their log lines land beside the command's output.
    return "".join(line for line in text.splitlines(True) if not _LOG_LINE.match(line))
