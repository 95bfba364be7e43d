"""The gateway's HTTP endpoints: POST /_broadcast (AnyCable's HTTP broadcaster, remote
disconnects too), and /health and /metrics for the operator."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import TYPE_CHECKING

import structlog
from aiohttp import web
from ocpp_cable.gateway.broadcasts import MalformedBroadcast, parse_broadcasts

from ocpp_cable.foundation.throttle import LogThrottle

if TYPE_CHECKING:
    from ocpp_cable.gateway.node import GatewayNode

log = structlog.get_logger("gateway.http")


def bearer_check(secret: str | None) -> Callable[[web.Request], bool]:
    """A check of the Authorization header against `Bearer <secret>`, in constant time."""
    expected = f"Bearer {secret}".encode() if secret else None

    def check(request: web.Request) -> bool:
        if expected is None:
            return False
        return hmac.compare_digest(request.headers.get("Authorization", "").encode(), expected)

    return check


def make_app(node: GatewayNode) -> web.Application:
    """The aiohttp app of the gateway's HTTP port: POST `/_broadcast` (when the http
    adapter is on; bearer key unless `--broadcast-auth false`), `/health` and
    `/metrics` (bearer `--monitoring-token` when set).
    """
    settings = node.settings
    broadcast_key_ok = bearer_check(
        settings.broadcast_secret() if settings.broadcast_auth else None
    )
    token = settings.monitoring_token
    monitoring_ok = bearer_check(token.get_secret_value() if token else None)
    throttle = LogThrottle()

    def refused(kind: str, request: web.Request) -> web.Response:
        held_back = throttle.allow(kind)
        if held_back is not None:
            log.warning(kind, remote=request.remote, path=request.path, since_last=held_back)
        return web.Response(status=401, text="missing or wrong bearer token\n")

    async def broadcast(request: web.Request) -> web.Response:
        if settings.broadcast_auth and not broadcast_key_ok(request):
            return refused("broadcast refused", request)
        try:
            broadcasts = parse_broadcasts(await request.read())
        except MalformedBroadcast as exc:
            return web.Response(status=400, text=f"{exc}\n")
        node.broadcasts.handle(broadcasts)
        return web.Response(status=201)

    def monitoring(handler):
        if settings.monitoring_token is None:
            return handler

        async def guarded(request: web.Request) -> web.Response:
            if not monitoring_ok(request):
                return refused("monitoring request refused", request)
            return await handler(request)

        return guarded

    @monitoring
    async def health(_request: web.Request) -> web.Response:
        healthy, report = await node.health()
        return web.json_response(report, status=200 if healthy else 503)

    @monitoring
    async def metrics(_request: web.Request) -> web.Response:
        return web.Response(body=node.metrics.render(), content_type="text/plain", charset="utf-8")

    app = web.Application(client_max_size=settings.max_frame_size * 16)
    app.router.add_get("/health", health)
    app.router.add_get("/metrics", metrics)
    if "http" in settings.adapters():
        app.router.add_post("/_broadcast", broadcast)
    return app
