"""The gateway's HTTP endpoints: POST /_broadcast (AnyCable's HTTP broadcaster)."""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING

from aiohttp import web

from gateway.broadcasts import MalformedBroadcast, parse_broadcasts

if TYPE_CHECKING:
    from gateway.node import GatewayNode


def make_app(node: GatewayNode) -> web.Application:
    settings = node.settings
    key = settings.broadcast_key.get_secret_value() if settings.broadcast_key else ""
    expected = f"Bearer {key}".encode()

    async def broadcast(request: web.Request) -> web.Response:
        if settings.broadcast_auth:
            given = request.headers.get("Authorization", "").encode()
            if not key or not hmac.compare_digest(given, expected):
                return web.Response(status=401, text="missing or wrong broadcast key\n")
        try:
            broadcasts = parse_broadcasts(await request.read())
        except MalformedBroadcast as exc:
            return web.Response(status=400, text=f"{exc}\n")
        for stream, data in broadcasts:
            node.broadcast(stream, data)
        return web.Response(status=201)

    async def health(_request: web.Request) -> web.Response:
        healthy, report = await node.health()
        return web.json_response(report, status=200 if healthy else 503)

    async def metrics(_request: web.Request) -> web.Response:
        return web.Response(body=node.metrics.render(), content_type="text/plain", charset="utf-8")

    app = web.Application(client_max_size=settings.max_frame_size * 16)
    app.router.add_get("/health", health)
    app.router.add_get("/metrics", metrics)
    if "http" in settings.adapters():
        app.router.add_post("/_broadcast", broadcast)
    return app
