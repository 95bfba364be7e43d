"""The Channel base class, in the Action Cable manner, with OCPP helpers on top."""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ocpp_cable.contract import transmissions
from ocpp_cable.contract.naming import snake_case
from ocpp_cable.rpc_app import broadcasting
from ocpp_cable.rpc_app.connection import Connection
from ocpp_cable.rpc_app.errors import Rejected
from ocpp_cable.rpc_app.state import State


@dataclass(slots=True)
class CommandResult:
    """What one command did: it becomes the CommandResponse."""

    transmissions: list[str] = field(default_factory=list)
    streams: list[str] = field(default_factory=list)
    stopped_streams: list[str] = field(default_factory=list)
    stop_streams: bool = False
    disconnect: bool = False


class Channel:
    """Subclass it and define one method per OCPP action (`boot_notification(self, data)`).

    `data` is `{"id", "command", "payload"}` for a charger's CALL. Answer with
    `transmit_ack` / `transmit_error`; send commands with `send_call`. The
    station's replies to those arrive at `ack(data)` and `error(data)`.
    """

    # Methods of the base class that are hooks, not actions a charger can reach.
    _HOOKS: ClassVar[frozenset[str]] = frozenset({"ack", "error", "receive"})

    def __init__(
        self,
        connection: Connection,
        identifier: str,
        params: dict[str, Any],
        state: State | None = None,
        result: CommandResult | None = None,
    ) -> None:
        self.connection = connection
        self.identifier = identifier
        self.params = params
        self.state = state if state is not None else State()
        self.result = result if result is not None else CommandResult()

    @functools.cached_property
    def logger(self) -> Any:
        """The connection's logger with the channel bound, built on first use."""
        return self.connection.logger.bind(channel=type(self).__name__)

    # --- naming -------------------------------------------------------------

    @classmethod
    def channel_name(cls) -> str:
        """`OCPPChannel` -> `ocpp`, as Action Cable names channels."""
        name = cls.__name__
        return snake_case(name.removesuffix("Channel") or name)

    @classmethod
    def broadcasting_for(cls, model: Any) -> str:
        """Stream name for `model`: `<channel_name>:<key>`."""
        key = getattr(model, "to_param", None)
        key = key() if callable(key) else getattr(model, "id", model) if key is None else key
        return f"{cls.channel_name()}:{key}"

    # --- lifecycle hooks ----------------------------------------------------

    # The defaults are `async def` so they run on the event loop; an override
    # may be `def` (run in a worker thread) or `async def`.
    async def subscribed(self) -> Any:
        """Called when the station subscribes; stream from here."""

    async def unsubscribed(self) -> Any:
        """Called when the station disconnects."""

    async def ack(self, data: dict[str, Any]) -> Any:
        """The station answered one of our CALLs: `{"id", "command", "payload"}`."""
        self.logger.info("ack", command=data.get("command"), message_id=data.get("id"))

    async def error(self, data: dict[str, Any]) -> Any:
        """One of our CALLs failed: `{"id", "command", "code", "message", "payload"}`."""
        self.logger.warning(
            "call failed",
            command=data.get("command"),
            message_id=data.get("id"),
            code=data.get("code"),
            reason=data.get("message"),
        )

    # --- Action Cable API ---------------------------------------------------

    def transmit(self, data: dict[str, Any]) -> None:
        """Send `data` to the client once this command is done, as Action Cable does
        (`{"identifier": ..., "message": data}`); to a station, `data` is a
        transmission of ocpp_cable/contract/transmissions.py."""
        self.result.transmissions.append(
            transmissions.encode_transmission(transmissions.message(self.identifier, data))
        )

    def stream_from(self, stream: str) -> None:
        """Subscribe the station to `stream`: broadcasts to it reach the station."""
        self.result.streams.append(stream)

    def stream_for(self, model: Any) -> None:
        """`stream_from` the stream `broadcasting_for(model)` names."""
        self.stream_from(self.broadcasting_for(model))

    def stop_stream_from(self, stream: str) -> None:
        """Unsubscribe the station from `stream`."""
        self.result.stopped_streams.append(stream)

    def stop_stream_for(self, model: Any) -> None:
        """`stop_stream_from` the stream `broadcasting_for(model)` names."""
        self.stop_stream_from(self.broadcasting_for(model))

    def stop_all_streams(self) -> None:
        """Unsubscribe the station from every stream this channel subscribed it to."""
        self.result.stop_streams = True

    def reject(self) -> None:
        """Refuse the subscription (call from `subscribed`)."""
        raise Rejected("subscription rejected")

    def disconnect(self) -> None:
        """Ask the gateway to close the station's connection after this command."""
        self.result.disconnect = True

    @classmethod
    def broadcast_to(cls, model: Any, data: dict[str, Any]) -> None:
        """Publish `data` (a transmission) to the stream of `model`, on every node.

        Raises:
            BroadcastError: the broadcaster did not take it.
        """
        broadcasting.broadcast(cls.broadcasting_for(model), data)

    # --- OCPP helpers -------------------------------------------------------

    def transmit_ack(self, id: str, **payload: Any) -> None:
        """Answer the charger's CALL `id` with a CALLRESULT carrying `payload`."""
        self.transmit(transmissions.ack_for_station(id, payload))

    def transmit_error(
        self,
        id: str,
        code: str,
        description: str = "",
        details: dict[str, Any] | None = None,
    ) -> None:
        """Answer the charger's CALL `id` with a CALLERROR."""
        self.transmit(transmissions.error_for_station(id, code, description, details))

    def send_call(self, action: str, payload: dict[str, Any], id: str | None = None) -> str:
        """Send a CALL to this station; its answer comes to `ack` or `error`. Returns the id."""
        message_id = id or uuid.uuid4().hex
        self.transmit(transmissions.call_for_station(action, message_id, payload))
        return message_id


def action_methods(channel_class: type[Channel]) -> frozenset[str]:
    """Public methods a charger's frames may reach: those the application defined."""
    base = set(dir(Channel)) - Channel._HOOKS
    return frozenset(
        name
        for name in dir(channel_class)
        if not name.startswith("_") and name not in base and callable(getattr(channel_class, name))
    )
