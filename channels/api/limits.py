"""A bound on request bodies: nothing a client sends grows memory beyond it.

Pure ASGI, before FastAPI reads the body: a Content-Length above the bound is refused
at once (413), and a chunked body is counted as it arrives and cut off at the bound.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import HTTPException

from channels.api.problems import MEDIA_TYPE

MAX_BODY = 1024 * 1024  # a SendLocalList of thousands of entries fits; a flood does not


class BodyTooLarge(HTTPException):
    """Raised while the body is read: FastAPI passes an HTTPException on as it is."""

    def __init__(self) -> None:
        super().__init__(413, f"a request body holds at most {MAX_BODY} bytes")


def _problem(path: str) -> tuple[dict[str, Any], bytes]:
    body = orjson.dumps(
        {
            "type": "about:blank",
            "title": "Content Too Large",
            "status": 413,
            "detail": f"a request body holds at most {MAX_BODY} bytes",
            "instance": path,
        }
    )
    start = {
        "type": "http.response.start",
        "status": 413,
        "headers": [(b"content-type", MEDIA_TYPE.encode()), (b"content-length", b"%d" % len(body))],
    }
    return start, body


class BodyLimit:
    def __init__(self, app: Any, limit: int = MAX_BODY) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await self._refuse(scope, send)
            return
        seen = 0
        started = False

        async def counted_receive() -> dict:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise BodyTooLarge
            return message

        async def tracked_send(message: dict) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except BodyTooLarge:
            if not started:
                await self._refuse(scope, send)

    @staticmethod
    async def _refuse(scope: dict, send: Any) -> None:
        start, body = _problem(scope.get("path", ""))
        await send(start)
        await send({"type": "http.response.body", "body": body})
