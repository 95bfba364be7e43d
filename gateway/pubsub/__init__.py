"""Broker subscribers: broadcasts (and node-to-node control messages) from Redis or NATS.

Each subscriber hands raw message bytes to the node: `on_broadcast` for the
broadcast channel, `on_control` for the control channel beside it. They
reconnect by themselves when the broker goes away, and call `on_connected` each
time they are subscribed again (messages sent meanwhile are lost: pub/sub keeps
nothing).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ocpp_cable.gateway.pubsub.subscriber import BrokerSubscriber, Connected, Handler, control_name

if TYPE_CHECKING:
    from ocpp_cable.foundation.settings import GatewaySettings

__all__ = ["BrokerSubscriber", "Connected", "Handler", "control_name", "subscribers_for"]


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
