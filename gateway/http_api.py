"""The gateway's HTTP endpoints: POST /_broadcast (AnyCable's HTTP broadcaster)."""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING, Any

import orjson
from aiohttp import web

if TYPE_CHECKING:
    from gateway.node import GatewayNode


class MalformedBroadcast(ValueError):
    pass


def parse_broadcasts(body: bytes) -> list[tuple[str, str]]:
    """`{"stream", "data"}` or an array of them -> [(stream, data text)]."""
    try:
        parsed: Any = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise MalformedBroadcast(f"invalid JSON: {exc.msg}") from None
    items = parsed if isinstance(parsed, list) else [parsed]
    broadcasts = []
    for item in items:
        if not isinstance(item, dict):
            raise MalformedBroadcast("a broadcast is a JSON object")
        stream, data = item.get("stream"), item.get("data")
        if not isinstance(stream, str) or not stream:
            raise MalformedBroadcast("a broadcast needs a non-empty string 'stream'")
        if isinstance(data, dict):
            data = orjson.dumps(data).decode()
        if not isinstance(data, str):
            raise MalformedBroadcast("'data' is the JSON text of a transmission")
        broadcasts.append((stream, data))
    return broadcasts


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

    app = web.Application(client_max_size=settings.max_frame_size * 16)
    app.router.add_post("/_broadcast", broadcast)
    return app
