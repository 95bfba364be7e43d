"""AnyCable broadcast messages: `{"stream", "data"}`, one or an array, from any adapter."""

from __future__ import annotations

from typing import Any

import orjson


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
