"""Serving the app with Hypercorn inside the caller's event loop, beside the gateway.

The listening socket is bound here, before Hypercorn starts, so a port in use stops
start-up with a message instead of failing later inside a task.
"""

from __future__ import annotations

import asyncio
import logging
import socket

import structlog
from hypercorn.asyncio import serve as hypercorn_serve
from hypercorn.config import Config

from ocpp_cable.channels.operators.api.app import create_app
from ocpp_cable.channels.settings import OperatorAPIServerSettings
from ocpp_cable.foundation.listening import listening

log = structlog.get_logger("channels.api")


class APIServer:
    """The HTTP API and dashboard on --api-host:--api-port, until `stop`."""

    def __init__(self, settings: OperatorAPIServerSettings) -> None:
        self.settings = settings
        self.app = create_app(settings)
        self._stopping = asyncio.Event()
        self._task: asyncio.Task | None = None
        self.port: int | None = None  # the bound port (--api-port 0: the one chosen)

    async def start(self) -> None:
        host, port = self.settings.api_host, self.settings.api_port
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with listening("the HTTP API and dashboard", f"{host}:{port}", "--api-host and --api-port"):
            bound = socket.create_server((host, port), family=family, backlog=1024)
        bound.setblocking(False)
        self.port = bound.getsockname()[1]
        config = Config()
        # Hypercorn takes the descriptor over, and closes it when it stops.
        config.bind = [f"fd://{bound.detach()}"]
        config.accesslog = None  # one line per request is the operator's proxy's job
        config.errorlog = logging.getLogger("hypercorn.error")  # through our log handler
        config.graceful_timeout = self.settings.shutdown_timeout
        config.include_server_header = False
        self._task = asyncio.create_task(
            hypercorn_serve(self.app, config, shutdown_trigger=self._stopping.wait)
        )
        self._task.add_done_callback(self._ended)
        log.info("api listening", url=f"http://{host}:{self.port}/api/v1", docs="/api/docs")

    def _ended(self, task: asyncio.Task) -> None:
        if not task.cancelled() and task.exception() is not None:
            # Said at once, not at shutdown: the API is gone while the rest serves on.
            log.error("api stopped serving", error=repr(task.exception()))

    async def stop(self) -> None:
        self.app.state.stopping.set()
        self._stopping.set()
        if self._task is not None:
            await self._task


async def serve(settings: OperatorAPIServerSettings) -> APIServer:
    """A started APIServer."""
    server = APIServer(settings)
    await server.start()
    return server
