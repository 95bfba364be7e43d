"""One browser's Action Cable session as a state machine without I/O.

The client's commands (`subscribe`, `message`, `unsubscribe`, `pong`) become
RPC Commands; what rpc_app answers goes to the client as it is (rpc_app speaks
Action Cable: ocpp_cable/contract/transmissions.py); broadcasts reach the client wrapped
with the identifier of each subscription that streams them. A subscription
counts once rpc_app confirmed it, and only subscribed identifiers may send
messages, as in anycable-go.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

import orjson
import structlog
from websockets.frames import Frame, Opcode

from ocpp_cable.contract import transmissions

SUBPROTOCOL = "actioncable-v1-json"
# Close codes: a normal goodbye, and a client that sent what the protocol forbids.
CLOSE_NORMAL = 1000
CLOSE_GOING_AWAY = 1001


@dataclass(frozen=True, slots=True)
class CableConfig:
    """Bounds a client cannot push past."""

    max_subscriptions: int = 100
    max_identifier_length: int = 1024


# --- effects ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Send:
    """Send this text frame to the client."""

    text: str


@dataclass(frozen=True, slots=True)
class RPCCommand:
    """Make the RPC Command `command` for `identifier`; report its outcome with
    `command_finished`."""

    command: str  # subscribe, message, unsubscribe
    identifier: str
    data: str = ""


@dataclass(frozen=True, slots=True)
class Close:
    code: int
    reason: str


Effect = Send | RPCCommand | Close


UNAUTHORIZED = transmissions.encode_transmission(transmissions.unauthorized())

# Seconds between pings: Action Cable's clients reconnect after missing two (6 s).
PING_INTERVAL = 3.0


def ping_frame(now: float) -> str:
    """Action Cable's keepalive, the same frame for every client at one tick."""
    return f'{{"type":"ping","message":{int(now)}}}'


def broadcast_frame(identifier: str, data: str) -> str:
    """A broadcast's `data` (JSON text) for the subscription `identifier`, as Action Cable
    sends it: `{"identifier": ..., "message": <data>}`; the data is not parsed again."""
    return f'{{"identifier":{orjson.dumps(identifier).decode()},"message":{data}}}'


class Outgoing(NamedTuple):
    """A text message for browsers: its UTF-8 `payload`, and `wire`, the whole unmasked,
    unfragmented WebSocket frame that carries it (what a server sends on a connection
    without extensions), built once for every browser it goes to."""

    payload: bytes
    wire: bytes


def outgoing(text: str) -> Outgoing:
    payload = text.encode()
    return Outgoing(payload, Frame(Opcode.TEXT, payload).serialize(mask=False, extensions=[]))


class BroadcastFrames:
    """The latest broadcast's frame for each subscription identifier, encoded once: a
    broadcast to thousands of subscribers of one identifier builds one frame, not one
    each. A new broadcast's data replaces the frames of the one before."""

    __slots__ = ("_data", "_frames")

    def __init__(self) -> None:
        self._data: str | None = None
        self._frames: dict[str, Outgoing] = {}

    def frame(self, identifier: str, data: str) -> Outgoing:
        # The hub hands every holder the same str object: identity finds the broadcast.
        if data is not self._data:
            self._data, self._frames = data, {}
        frame = self._frames.get(identifier)
        if frame is None:
            frame = self._frames[identifier] = outgoing(broadcast_frame(identifier, data))
        return frame


class CableSession:
    """The Action Cable protocol for one client connection.

    Feed it the client's frames (`receive`), the outcome of each RPC Command it
    asked for (`command_finished`); carry out the effects it returns. Pings go to
    every client at once (`ping_frame`). `subscriptions` holds the identifiers rpc_app confirmed.
    """

    def __init__(self, config: CableConfig, log: Any = None) -> None:
        self.config = config
        self.log = log or structlog.get_logger("gateway.cable")
        self.subscriptions: set[str] = set()
        self._pending: set[str] = set()  # subscribe or unsubscribe under way
        self.ended = False  # the goodbye is said: nothing the client sends is done any more

    def opened(self, welcome: Iterable[str]) -> list[Effect]:
        """The connection is upgraded: send what Connect transmitted (the welcome)."""
        return [Send(text) for text in welcome]

    def receive(self, text: str | bytes) -> list[Effect]:
        """One frame from the client. What the protocol does not allow is logged and
        ignored, as Action Cable's servers do; the connection stays."""
        if self.ended:
            return []
        try:
            message = orjson.loads(text)
        except orjson.JSONDecodeError:
            self.log.warning("unreadable cable frame ignored")
            return []
        if not isinstance(message, dict):
            self.log.warning("cable frame is not an object: ignored")
            return []
        command = message.get("command")
        if command == "pong":
            return []
        identifier = message.get("identifier")
        if not isinstance(identifier, str) or not identifier:
            self.log.warning(
                "cable command without an identifier ignored", command=str(command)[:40]
            )
            return []
        if len(identifier) > self.config.max_identifier_length:
            return self._too_long(command, identifier)
        if command == "subscribe":
            return self._subscribe(identifier)
        if command == "unsubscribe":
            return self._unsubscribe(identifier)
        if command == "message":
            return self._message(identifier, message.get("data"))
        self.log.warning("unknown cable command ignored", command=str(command)[:40])
        return []

    def _too_long(self, command: Any, identifier: str) -> list[Effect]:
        """A subscribe is answered `reject_subscription`, naming the identifier's head: an
        echo of it whole would let one client fill its outbox with frames as large as the
        frame limit. Nothing can be subscribed under such an identifier, so a message or
        unsubscribe for one is ignored, as for any identifier not subscribed."""
        self.log.warning("cable identifier too long", command=str(command)[:40])
        if command != "subscribe":
            return []
        head = identifier[: self.config.max_identifier_length]
        return [Send(transmissions.encode_transmission(transmissions.rejection(head)))]

    def _subscribe(self, identifier: str) -> list[Effect]:
        if identifier in self.subscriptions or identifier in self._pending:
            self.log.info("already subscribed: ignored")
            return []
        if len(self.subscriptions) + len(self._pending) >= self.config.max_subscriptions:
            self.log.warning("subscription limit reached", limit=self.config.max_subscriptions)
            return [Send(transmissions.encode_transmission(transmissions.rejection(identifier)))]
        self._pending.add(identifier)
        return [RPCCommand("subscribe", identifier)]

    def _unsubscribe(self, identifier: str) -> list[Effect]:
        if identifier not in self.subscriptions or identifier in self._pending:
            self.log.info("unsubscribe from no subscription: ignored")
            return []
        self._pending.add(identifier)
        return [RPCCommand("unsubscribe", identifier)]

    def _message(self, identifier: str, data: Any) -> list[Effect]:
        if identifier not in self.subscriptions:
            self.log.info("message for no subscription: ignored")
            return []
        if not isinstance(data, str):
            self.log.warning("cable message data is not a string: ignored")
            return []
        return [RPCCommand("message", identifier, data)]

    def command_finished(
        self, command: RPCCommand, succeeded: bool | None, sent: Iterable[str] = ()
    ) -> list[Effect]:
        """The outcome of `command`: `succeeded` True (SUCCESS), False (FAILURE or ERROR),
        None (the RPC did not complete). What rpc_app transmitted goes out as it is."""
        effects: list[Effect] = [Send(text) for text in sent]
        identifier = command.identifier
        if command.command == "subscribe":
            self._pending.discard(identifier)
            if succeeded:
                self.subscriptions.add(identifier)
            elif succeeded is None:
                # No answer at all: the client is told, not left waiting.
                rejection = transmissions.rejection(identifier)
                effects.append(Send(transmissions.encode_transmission(rejection)))
        elif command.command == "unsubscribe":
            self._pending.discard(identifier)
            if succeeded is not None:
                self.subscriptions.discard(identifier)
        return effects

    def disconnect(self, reason: str, reconnect: bool, code: int = CLOSE_NORMAL) -> list[Effect]:
        """Say goodbye the Action Cable way, then close."""
        self.ended = True
        goodbye = transmissions.encode_transmission(transmissions.disconnect(reason, reconnect))
        return [Send(goodbye), Close(code, reason)]
