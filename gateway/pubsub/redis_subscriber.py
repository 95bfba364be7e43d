"""Broadcasts from Redis PUBLISH (AnyCable's redis adapter, channel `__anycable__`)."""

from __future__ import annotations

import asyncio
import contextlib

import redis.asyncio as aioredis
import structlog
from redis.exceptions import RedisError

from ocpp_cable.gateway.pubsub.subscriber import Connected, Handler, control_name

log = structlog.get_logger("gateway.redis")

MAX_BACKOFF = 2.0


class RedisSubscriber:
    name = "redis"

    def __init__(
        self,
        url: str,
        channel: str,
        on_broadcast: Handler,
        on_control: Handler,
        on_connected: Connected | None = None,
    ):
        self.url = url
        self._on_connected = on_connected
        self.channel = channel
        self.control = control_name(channel)
        self._handlers = {channel.encode(): on_broadcast, self.control.encode(): on_control}
        self._task: asyncio.Task[None] | None = None
        self._publisher = aioredis.from_url(url, socket_connect_timeout=2)
        self._connected = False

    @property
    def connected(self) -> bool:
        return self._connected

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="redis-subscriber")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._publisher.aclose()

    async def publish_control(self, data: bytes) -> None:
        await self._publisher.publish(self.control, data)

    async def _run(self) -> None:
        backoff = 0.1
        while True:
            client = aioredis.from_url(self.url, socket_connect_timeout=2, health_check_interval=5)
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.channel, self.control)
                self._connected = True
                backoff = 0.1
                log.info("subscribed", channel=self.channel)
                if self._on_connected is not None:
                    self._on_connected(self)
                while True:
                    message = await pubsub.get_message(timeout=5.0)
                    if message is not None and message["type"] == "message":
                        self._dispatch(message["channel"], message["data"])
            except (RedisError, OSError) as exc:
                was_connected, self._connected = self._connected, False
                log.warning(
                    "redis unavailable" if not was_connected else "redis connection lost",
                    error=str(exc),
                    retry_in=backoff,
                )
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
            finally:
                self._connected = False
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
                    await client.aclose()

    def _dispatch(self, channel: bytes, data: bytes) -> None:
        handler = self._handlers.get(channel)
        if handler is not None:
            handler(data)
