"""Publishing broadcasts: `{"stream": name, "data": "<JSON text>"}`, as AnyCable does;
and AnyCable's remote disconnect, `{"command": "disconnect", "payload": {...}}`.

The broadcaster is chosen once per process (`configure`); `broadcast()` works
from synchronous code (it blocks until the broker took the message) and from
inside the event loop (it hands the publishing to a thread and returns).
"""

from __future__ import annotations

import asyncio
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

import orjson
import structlog

from ocpp_cable.foundation.redact import mask_secrets
from ocpp_cable.rpc_app.connection import identifiers_json

if TYPE_CHECKING:
    from ocpp_cable.foundation.settings import PublisherSettings

log = structlog.get_logger("rpc_app.broadcasting")


class BroadcastError(Exception):
    """The broadcast could not be handed to the broker. The message names no secret."""

    def __init__(self, message: str) -> None:
        super().__init__(mask_secrets(message))


class Broadcaster(Protocol):
    """Publishes broadcasts (`{"stream", "data"}` messages) and remote commands to the
    gateways.

    `publish` blocks until the broker or gateway took them, and raises BroadcastError
    when it did not.
    """

    def publish(self, messages: list[dict[str, Any]]) -> None: ...


class HTTPBroadcaster:
    """POSTs to the gateway's `/_broadcast` endpoint with a bearer key."""

    def __init__(
        self, url: str, key: str | None = None, timeout: float = 5.0, key_source: str = ""
    ) -> None:
        self.url = url
        self.key = key
        self.timeout = timeout
        # Where the key was looked for: a 401 then says which file to fix.
        self.key_source = key_source

    def publish(self, messages: list[dict[str, Any]]) -> None:
        body = _payload(messages)
        request = urllib.request.Request(self.url, data=body, method="POST")
        request.add_header("Content-Type", "application/json")
        if self.key:
            request.add_header("Authorization", f"Bearer {self.key}")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            said = f"{self.url} answered HTTP {exc.code}"
            if exc.code == 401 and self.key_source:
                said += f" ({self.key_source})"
            raise BroadcastError(said) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise BroadcastError(f"cannot reach {self.url}: {reason}") from None


class InProcessBroadcaster:
    """The gateway in this process (`ocpp-cable up` with the HTTP broadcaster, whose one
    gateway it is): the body /_broadcast would have taken goes to `deliver` on the
    gateway's loop, in order, without HTTP or a thread of its own."""

    def __init__(self, loop: asyncio.AbstractEventLoop, deliver: Callable[[bytes], None]) -> None:
        self._loop = loop
        self._deliver = deliver

    def publish(self, messages: list[dict[str, Any]]) -> None:
        try:
            self._loop.call_soon_threadsafe(self._deliver, _payload(messages))
        except RuntimeError:  # the loop is closed: the gateway is gone
            raise BroadcastError("the gateway in this process has stopped") from None


def _payload(messages: list[dict[str, Any]]) -> bytes:
    return orjson.dumps(messages[0] if len(messages) == 1 else messages)


class RedisBroadcaster:
    """PUBLISH on the broadcast channel (`__anycable__`), as AnyCable's redis broadcaster."""

    def __init__(self, url: str, channel: str, timeout: float = 5.0) -> None:
        import redis

        self.url = url
        self.channel = channel
        self._errors = redis.RedisError
        self._client = redis.Redis.from_url(
            url, socket_connect_timeout=min(timeout, 2.0), socket_timeout=timeout
        )

    def publish(self, messages: list[dict[str, Any]]) -> None:
        try:
            self._client.publish(self.channel, _payload(messages))
        except self._errors as exc:
            raise BroadcastError(f"cannot publish to Redis at {self.url}: {exc}") from None


class NATSBroadcaster:
    """Publishes on the broadcast subject (`__anycable__`).

    nats-py is asyncio-only: one connection lives on a private event loop in a
    daemon thread, so `publish` can be called from any thread, loop or not.
    """

    def __init__(self, servers: str, subject: str, timeout: float = 5.0) -> None:
        self.servers = [s.strip() for s in servers.split(",") if s.strip()]
        self.subject = subject
        self.timeout = timeout
        self._loop: asyncio.AbstractEventLoop | None = None
        self._client: Any = None
        self._lock = threading.Lock()

    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                threading.Thread(
                    target=loop.run_forever, name="nats-publisher", daemon=True
                ).start()
                self._loop = loop
            return self._loop

    async def _publish(self, payload: bytes) -> None:
        import nats

        if self._client is None or self._client.is_closed:
            self._client = await nats.connect(
                servers=self.servers,
                connect_timeout=min(self.timeout, 2.0),
                max_reconnect_attempts=3,
                reconnect_time_wait=0.2,
                allow_reconnect=True,
                error_cb=_quiet,  # failures surface as BroadcastError, not tracebacks
            )
        await self._client.publish(self.subject, payload)
        await self._client.flush(timeout=self.timeout)

    def publish(self, messages: list[dict[str, Any]]) -> None:
        future = asyncio.run_coroutine_threadsafe(
            self._publish(_payload(messages)), self._ensure_loop()
        )
        try:
            future.result(timeout=self.timeout * 2)
        except Exception as exc:  # nats-py raises many kinds; all mean "not published"
            future.cancel()
            reason = str(exc) or type(exc).__name__
            raise BroadcastError(
                f"cannot publish to NATS at {','.join(self.servers)}: {reason}"
            ) from None


async def _quiet(_exc: Exception) -> None:
    return None


_broadcaster: Broadcaster | None = None
_background: set[asyncio.Future[Any]] = set()


def configure(broadcaster: Broadcaster | None) -> None:
    """Choose the process's broadcaster; None goes back to the one the settings name."""
    global _broadcaster
    _broadcaster = broadcaster


def current() -> Broadcaster:
    if _broadcaster is None:
        configure(from_settings())
    assert _broadcaster is not None
    return _broadcaster


def from_settings(settings: PublisherSettings | None = None) -> Broadcaster:
    """The broadcaster `--broadcaster` names (http, redis or nats), set up from the settings
    (the environment's when `settings` is None).
    """
    if settings is None:
        from ocpp_cable.foundation.settings import PublisherSettings, load_settings

        settings = load_settings(PublisherSettings)
    if settings.broadcaster == "redis":
        return RedisBroadcaster(settings.redis_url, settings.redis_channel, settings.rpc_timeout)
    if settings.broadcaster == "nats":
        return NATSBroadcaster(settings.nats_servers, settings.nats_subject, settings.rpc_timeout)
    return HTTPBroadcaster(
        settings.broadcast_endpoint(),
        settings.broadcast_secret(),
        timeout=settings.rpc_timeout,
        key_source=settings.broadcast_key_source(),
    )


def message(stream: str, data: dict[str, Any] | str) -> dict[str, str]:
    text = data if isinstance(data, str) else orjson.dumps(data).decode()
    return {"stream": stream, "data": text}


def remote_disconnect(
    identifiers: Mapping[str, Any], reconnect: bool = False, reason: str | None = None
) -> dict[str, Any]:
    """AnyCable's remote disconnect of every connection Connect identified by `identifiers`
    (the same keys in the same order), on every node. `reason` (a word, ours: anycable-go
    ignores it and says `remote`) is what the clients are told."""
    payload: dict[str, Any] = {"identifier": identifiers_json(identifiers), "reconnect": reconnect}
    if reason is not None:
        payload["reason"] = reason
    return {"command": "disconnect", "payload": payload}


def broadcast(stream: str, data: dict[str, Any] | str) -> None:
    """Send `data` (a transmission) to every station streaming from `stream`."""
    messages = [message(stream, data)]
    broadcaster = current()
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        broadcaster.publish(messages)
        return
    # Inside the event loop: never block it on the broker.
    future = loop.run_in_executor(None, broadcaster.publish, messages)
    _background.add(future)
    future.add_done_callback(lambda f: _done(f, stream))


async def abroadcast(stream: str, data: dict[str, Any] | str) -> None:
    """`broadcast` for async code: returns once the broker took the message."""
    await asyncio.to_thread(current().publish, [message(stream, data)])


def _done(future: asyncio.Future[Any], stream: str) -> None:
    _background.discard(future)
    if not future.cancelled() and future.exception() is not None:
        log.error("broadcast failed", stream=stream, error=str(future.exception()))
