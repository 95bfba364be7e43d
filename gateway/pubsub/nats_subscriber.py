"""Broadcasts from NATS (AnyCable's nats adapter, subject `__anycable__`)."""

from __future__ import annotations

import asyncio
import contextlib

import nats
import structlog
from nats.aio.client import Client
from nats.errors import Error as NATSError

from ocpp_cable.gateway.pubsub.subscriber import Connected, Handler, control_name

log = structlog.get_logger("gateway.nats")

MAX_BACKOFF = 2.0


class NATSSubscriber:
    name = "nats"

    def __init__(
        self,
        servers: str,
        subject: str,
        on_broadcast: Handler,
        on_control: Handler,
        on_connected: Connected | None = None,
    ):
        self._on_connected = on_connected
        self.servers = [s.strip() for s in servers.split(",") if s.strip()]
        self.subject = subject
        self.control = control_name(subject)
        self._on_broadcast = on_broadcast
        self._on_control = on_control
        self._client: Client | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def connected(self) -> bool:
        return self._client is not None and self._client.is_connected

    async def start(self) -> None:
        self._task = asyncio.create_task(self._connect(), name="nats-subscriber")

    async def _connect(self) -> None:
        # nats-py reconnects by itself once connected; the first connection is ours to retry.
        backoff = 0.1
        while True:
            try:
                self._client = await nats.connect(
                    servers=self.servers,
                    connect_timeout=2,
                    reconnect_time_wait=0.5,
                    max_reconnect_attempts=-1,
                    ping_interval=5,
                    max_outstanding_pings=2,
                    disconnected_cb=self._disconnected,
                    reconnected_cb=self._reconnected,
                    error_cb=self._error,
                )
                break
            except (TimeoutError, NATSError, OSError) as exc:
                log.warning(
                    "nats unavailable", error=str(exc) or type(exc).__name__, retry_in=backoff
                )
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
        await self._client.subscribe(self.subject, cb=self._broadcast)
        await self._client.subscribe(self.control, cb=self._control)
        log.info("subscribed", subject=self.subject)
        self._connected_again()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._client is not None:
            with contextlib.suppress(Exception):
                await self._client.close()

    async def publish_control(self, data: bytes) -> None:
        if self._client is None or not self._client.is_connected:
            raise ConnectionError("nats not connected")
        await self._client.publish(self.control, data)
        await self._client.flush(timeout=2)

    def _connected_again(self) -> None:
        if self._on_connected is not None:
            self._on_connected(self)

    async def _broadcast(self, message) -> None:
        self._on_broadcast(message.data)

    async def _control(self, message) -> None:
        self._on_control(message.data)

    async def _disconnected(self) -> None:
        log.warning("nats connection lost")

    async def _reconnected(self) -> None:
        log.info("nats reconnected")  # nats-py subscribes again by itself
        self._connected_again()

    async def _error(self, exc: Exception) -> None:
        log.debug("nats error", error=str(exc) or type(exc).__name__)
