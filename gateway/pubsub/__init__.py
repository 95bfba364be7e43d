"""Broker subscribers: broadcasts (and node-to-node control messages) from Redis or NATS.

Each subscriber hands raw message bytes to the node: `on_broadcast` for the
broadcast channel, `on_control` for the control channel beside it. They
reconnect by themselves when the broker goes away, and call `on_connected` each
time they are subscribed again (messages sent meanwhile are lost: pub/sub keeps
nothing).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

Handler = Callable[[bytes], None]
Connected = Callable[["BrokerSubscriber"], None]


class BrokerSubscriber(Protocol):
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
