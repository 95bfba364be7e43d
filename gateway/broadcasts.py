"""AnyCable broadcast messages (`{"stream", "data"}`, one or an array, from any adapter)
and their delivery to this node's streams; and AnyCable's remote disconnect beside them.

A remote disconnect is `{"command": "disconnect", "payload": {"identifier": <the
connection identifiers JSON, as Connect answered it>, "reconnect": false}}`: every node
closes the browsers Connect identified so. `payload.reason` (ours; anycable-go ignores
it and says `remote`) is the reason the browsers are told.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import orjson
import structlog

from ocpp_cable.gateway.hub import StreamHub
from ocpp_cable.gateway.metrics import PREFIX, GatewayMetrics
from ocpp_cable.ocppj.frames import clip

log = structlog.get_logger("gateway")

REMOTE = "remote"  # Action Cable's reason for a disconnect the server was asked for
# A reason is a word: it goes into the disconnect message and the WebSocket close frame.
REASON = re.compile(r"[a-z_]{1,32}")


class MalformedBroadcast(ValueError):
    pass


class Broadcast(NamedTuple):
    stream: str
    data: str  # JSON text, handed on as it is


@dataclass(frozen=True, slots=True)
class RemoteDisconnect:
    """Close the connections Connect identified by `identifiers` (its JSON, exactly)."""

    identifiers: str
    reconnect: bool = False
    reason: str = REMOTE


def parse_broadcasts(body: bytes) -> list[Broadcast | RemoteDisconnect]:
    """`{"stream", "data"}` or an array of them -> [Broadcast]; a remote command (an
    object with `command` and no `stream`) -> RemoteDisconnect."""
    try:
        parsed: Any = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise MalformedBroadcast(f"invalid JSON: {exc.msg}") from None
    items = parsed if isinstance(parsed, list) else [parsed]
    broadcasts: list[Broadcast | RemoteDisconnect] = []
    for item in items:
        if not isinstance(item, dict):
            raise MalformedBroadcast("a broadcast is a JSON object")
        if "command" in item and "stream" not in item:
            broadcasts.append(remote_command(item["command"], item.get("payload")))
            continue
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
        broadcasts.append(Broadcast(stream, data))
    return broadcasts


def remote_command(command: Any, payload: Any) -> RemoteDisconnect:
    """AnyCable's remote command; `disconnect` is the one there is."""
    if command != "disconnect":
        raise MalformedBroadcast("the remote command we know is 'disconnect'")
    if not isinstance(payload, dict):
        raise MalformedBroadcast("a remote disconnect's 'payload' is a JSON object")
    identifiers, reconnect = payload.get("identifier"), payload.get("reconnect", False)
    reason = payload.get("reason", REMOTE)
    if not isinstance(identifiers, str) or not identifiers:
        raise MalformedBroadcast("a remote disconnect names the connection identifiers")
    if not isinstance(reconnect, bool):
        raise MalformedBroadcast("a remote disconnect's 'reconnect' is true or false")
    if not isinstance(reason, str) or not REASON.fullmatch(reason):
        raise MalformedBroadcast("a remote disconnect's 'reason' is a word of a-z and _")
    return RemoteDisconnect(identifiers, reconnect, reason)


class Broadcasts:
    """Broadcasts reaching this node, from the HTTP endpoint or a broker, handed to the
    stream hub and counted. A stream no local connection holds is dropped: another node
    holds it, or no one does."""

    def __init__(
        self,
        hub: StreamHub,
        metrics: GatewayMetrics,
        disconnect: Callable[[RemoteDisconnect], int] | None = None,
    ) -> None:
        self.hub = hub
        self.metrics = metrics
        self._disconnect = disconnect

    def on_message(self, data: bytes) -> None:
        """A message from a broker: one broadcast or an array of them, or a remote command."""
        try:
            broadcasts = parse_broadcasts(data)
        except MalformedBroadcast as exc:
            log.warning("malformed broadcast dropped", error=str(exc))
            return
        self.handle(broadcasts)

    def handle(self, broadcasts: list[Broadcast | RemoteDisconnect]) -> None:
        """Each parsed message, in order: delivered, or carried out."""
        for item in broadcasts:
            if isinstance(item, RemoteDisconnect):
                self.disconnect(item)
            else:
                self.deliver(item.stream, item.data)

    def disconnect(self, command: RemoteDisconnect) -> int:
        """Close this node's connections `command` names; returns how many."""
        closed = self._disconnect(command) if self._disconnect is not None else 0
        if closed:
            log.info(
                "remote disconnect",
                identifiers=clip(command.identifiers, 200),
                reason=command.reason,
                closed=closed,
            )
        return closed

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
