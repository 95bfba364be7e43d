"""AnyCable broadcast messages (`{"stream", "data"}`, one or an array, from any adapter)
and their delivery to this node's streams."""

from __future__ import annotations

from typing import Any

import orjson
import structlog

from gateway.hub import StreamHub
from gateway.metrics import PREFIX, GatewayMetrics

log = structlog.get_logger("gateway")


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
        elif not isinstance(data, str):
            raise MalformedBroadcast("'data' is the JSON text of a transmission")
        else:
            try:
                # Browsers get it inside a frame as it is (never parsed per subscriber).
                orjson.loads(data)
            except orjson.JSONDecodeError:
                raise MalformedBroadcast("'data' is not JSON text") from None
        broadcasts.append((stream, data))
    return broadcasts


class Broadcasts:
    """Broadcasts reaching this node, from the HTTP endpoint or a broker, handed to the
    stream hub and counted. A stream no local connection holds is dropped: another node
    holds it, or no one does."""

    def __init__(self, hub: StreamHub, metrics: GatewayMetrics) -> None:
        self.hub = hub
        self.metrics = metrics

    def on_message(self, data: bytes) -> None:
        """A message from a broker: one broadcast or an array of them."""
        try:
            broadcasts = parse_broadcasts(data)
        except MalformedBroadcast as exc:
            log.warning("malformed broadcast dropped", error=str(exc))
            return
        for stream, text in broadcasts:
            self.deliver(stream, text)

    def deliver(self, stream: str, data: str) -> int:
        """Hand `data` to the stream's local listeners; returns how many got it."""
        self.metrics.broadcasts_received.inc()
        delivered = self.hub.broadcast(stream, data)
        if delivered:
            self.metrics.broadcasts_delivered.inc(delivered)
        else:
            self.metrics.broadcasts_dropped.inc()
            log.debug("broadcast for no local station dropped", stream=stream)
        return delivered

    @property
    def dropped(self) -> int:
        found = self.metrics.registry.get_sample_value(f"{PREFIX}_broadcasts_dropped_total")
        return int(found or 0)
