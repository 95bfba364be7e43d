"""What every broker subscriber is and offers the node (Redis and NATS implement it)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

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
