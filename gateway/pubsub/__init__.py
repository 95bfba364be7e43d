"""Broker subscribers: broadcasts (and node-to-node control messages) from Redis or NATS.

Each subscriber hands raw message bytes to the node: `on_broadcast` for the
broadcast channel, `on_control` for the control channel beside it. They
reconnect by themselves when the broker goes away, and call `on_connected` each
time they are subscribed again (messages sent meanwhile are lost: pub/sub keeps
nothing).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ocpp_cable.foundation.settings import GatewaySettings

Handler = Callable[[bytes], None]
Connected = Callable[["BrokerSubscriber"], None]


class BrokerSubscriber(Protocol):
    """A broker's subscription for this node: broadcasts in, control messages in and out."""

    name: str

    @property
    def connected(self) -> bool: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def publish_control(self, data: bytes) -> None:
        """Publish on the control channel; raises when the broker did not take it."""
        ...


def control_name(name: str) -> str:
    """The control channel (Redis) or subject (NATS) beside the broadcast one."""
    return f"{name}.control"


def subscribers_for(
    settings: GatewaySettings,
    on_broadcast: Handler,
    on_control: Handler,
    on_connected: Connected,
) -> list[BrokerSubscriber]:
    """One subscriber per broker adapter the settings name (HTTP needs none)."""
    from ocpp_cable.gateway.pubsub.nats_subscriber import NATSSubscriber
    from ocpp_cable.gateway.pubsub.redis_subscriber import RedisSubscriber

    handlers = (on_broadcast, on_control, on_connected)
    subscribers: list[BrokerSubscriber] = []
    if "redis" in settings.adapters():
        subscribers.append(RedisSubscriber(settings.redis_url, settings.redis_channel, *handlers))
    if "nats" in settings.adapters():
        subscribers.append(NATSSubscriber(settings.nats_servers, settings.nats_subject, *handlers))
    return subscribers
