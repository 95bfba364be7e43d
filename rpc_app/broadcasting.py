"""Publishing broadcasts: `{"stream": name, "data": "<JSON text>"}`, as AnyCable does.

The broadcaster is chosen once per process (`configure`); `broadcast()` works
from synchronous code (it blocks until the broker took the message) and from
inside the event loop (it hands the publishing to a thread and returns).
"""

from __future__ import annotations

import asyncio
import urllib.error
import urllib.request
from typing import Any, Protocol

import orjson
import structlog

log = structlog.get_logger("rpc_app.broadcasting")


class BroadcastError(Exception):
    """The broadcast could not be handed to the broker."""


class Broadcaster(Protocol):
    def publish(self, messages: list[dict[str, str]]) -> None: ...


class HTTPBroadcaster:
    """POSTs to the gateway's `/_broadcast` endpoint with a bearer key."""

    def __init__(self, url: str, key: str | None = None, timeout: float = 5.0) -> None:
        self.url = url
        self.key = key
        self.timeout = timeout

    def publish(self, messages: list[dict[str, str]]) -> None:
        body = orjson.dumps(messages[0] if len(messages) == 1 else messages)
        request = urllib.request.Request(self.url, data=body, method="POST")
        request.add_header("Content-Type", "application/json")
        if self.key:
            request.add_header("Authorization", f"Bearer {self.key}")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            raise BroadcastError(f"{self.url} answered HTTP {exc.code}") from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise BroadcastError(f"cannot reach {self.url}: {reason}") from None


_broadcaster: Broadcaster | None = None
_background: set[asyncio.Future[Any]] = set()


def configure(broadcaster: Broadcaster) -> None:
    global _broadcaster
    _broadcaster = broadcaster


def current() -> Broadcaster:
    if _broadcaster is None:
        configure(from_settings())
    assert _broadcaster is not None
    return _broadcaster


def from_settings(settings: Any = None) -> Broadcaster:
    if settings is None:
        from ocpp_cable.settings import load_settings

        settings = load_settings()
    key = settings.broadcast_key.get_secret_value() if settings.broadcast_key else None
    return HTTPBroadcaster(settings.broadcast_url, key, timeout=settings.rpc_timeout)


def message(stream: str, data: dict[str, Any] | str) -> dict[str, str]:
    text = data if isinstance(data, str) else orjson.dumps(data).decode()
    return {"stream": stream, "data": text}


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
