"""The gateway's HTTP endpoints: POST /_broadcast (AnyCable's HTTP broadcaster, remote
disconnects too), and /health and /metrics for the operator."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable

import structlog
from aiohttp import web

from ocpp_cable.foundation.settings import GatewaySettings
from ocpp_cable.foundation.throttle import LogThrottle
from ocpp_cable.gateway.broadcasts import Broadcasts, MalformedBroadcast, parse_broadcasts
from ocpp_cable.gateway.metrics import GatewayMetrics

log = structlog.get_logger("gateway.http")


def bearer_check(secret: str | None) -> Callable[[web.Request], bool]:
    """A check of the Authorization header against `Bearer <secret>`, in constant time."""
    expected = f"Bearer {secret}".encode() if secret else None

    def check(request: web.Request) -> bool:
        if expected is None:
            return False
        return hmac.compare_digest(request.headers.get("Authorization", "").encode(), expected)

    return check


def make_app(
    settings: GatewaySettings,
    broadcasts: Broadcasts,
    health_report: Callable[[], Awaitable[tuple[bool, dict]]],
    gateway_metrics: GatewayMetrics,
) -> web.Application:
    """The aiohttp app of the gateway's HTTP port: POST `/_broadcast` (when the http
    adapter is on; bearer key unless `--broadcast-auth false`) to `broadcasts`,
    `/health` from `health_report` and `/metrics` (bearer `--monitoring-token` when set).
    """
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
            received = parse_broadcasts(await request.read())
        except MalformedBroadcast as exc:
            return web.Response(status=400, text=f"{exc}\n")
        broadcasts.handle(received)
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
        healthy, report = await health_report()
        return web.json_response(report, status=200 if healthy else 503)

    @monitoring
    async def metrics(_request: web.Request) -> web.Response:
        body = gateway_metrics.render()
        return web.Response(body=body, content_type="text/plain", charset="utf-8")

    app = web.Application(client_max_size=settings.max_frame_size * 16)
    app.router.add_get("/health", health)
    app.router.add_get("/metrics", metrics)
    if "http" in settings.adapters():
        app.router.add_post("/_broadcast", broadcast)
    return app
