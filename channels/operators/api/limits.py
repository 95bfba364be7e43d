"""A bound on request bodies: nothing a client sends grows memory beyond it.

Pure ASGI, before FastAPI reads the body: a Content-Length above the bound is refused
at once (413), and a chunked body is counted as it arrives and cut off at the bound.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import orjson
from fastapi import HTTPException

from ocpp_cable.channels.operators.api.problems import MEDIA_TYPE

MAX_BODY = 1024 * 1024  # a SendLocalList of thousands of entries fits; a flood does not
TOO_LARGE = f"a request body holds at most {MAX_BODY} bytes"


class BodyTooLarge(HTTPException):
    """Raised while the body is read: FastAPI passes an HTTPException on as it is."""

    def __init__(self) -> None:
        super().__init__(413, TOO_LARGE)


def _problem(path: str, status: int, detail: str) -> tuple[dict[str, Any], bytes]:
    body = orjson.dumps(
        {
            "type": "about:blank",
            "title": HTTPStatus(status).phrase,
            "status": status,
            "detail": detail,
            "instance": path,
        }
    )
    start = {
        "type": "http.response.start",
        "status": status,
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
        if declared is not None and not declared.isdigit():
            await self._refuse(scope, send, 400, "Content-Length is not a number")
            return
        if declared is not None and int(declared) > self.limit:
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
    async def _refuse(scope: dict, send: Any, status: int = 413, detail: str = TOO_LARGE) -> None:
        start, body = _problem(scope.get("path", ""), status, detail)
        await send(start)
        await send({"type": "http.response.body", "body": body})
