"""Errors as RFC 9457 problem details (`application/problem+json`).

Every error the API returns has this shape, including FastAPI's own (404 for an
unknown path, 405, 422 for a request that does not match the schema). A 500 says
nothing of its cause: that goes to the log.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "urn:ocpp-cable:problem:"

log = structlog.get_logger("channels.api")


class Problem(Exception):
    """An error of the API's own, with a type that names it (`station-not-connected`)."""

    def __init__(self, status: int, kind: str, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status, self.kind, self.detail, self.extra = status, kind, detail, extra


def problem_response(
    request: Request,
    status: int,
    detail: str | None = None,
    kind: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": TYPE_BASE + kind if kind else "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "instance": request.url.path,
    }
    if detail:
        body["detail"] = detail
    body.update(extra)
    return JSONResponse(body, status_code=status, headers=headers, media_type=MEDIA_TYPE)


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    # Never the input back: a rejected body may hold a password.
    return [
        {"loc": list(error["loc"]), "msg": error["msg"], "type": error["type"]}
        for error in exc.errors()
    ]


def install(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(request, exc.status, exc.detail, exc.kind, **exc.extra)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else None
        return problem_response(request, exc.status_code, detail, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return problem_response(
            request,
            422,
            "the request does not match the API's schema",
            "invalid-request",
            errors=_validation_errors(exc),
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # The route's template, not the path: a path may hold an idTag, a credential.
        route = getattr(request.scope.get("route"), "path", "?")
        log.error("api request failed", route=route, error=type(exc).__name__)
        return problem_response(request, 500, "the server could not answer; see its log")


# The shapes the OpenAPI document shows for errors.
PROBLEM_SCHEMA = {
    "content": {
        MEDIA_TYPE: {
            "schema": {
                "type": "object",
                "properties": {
                    "type": {"type": "string"},
                    "title": {"type": "string"},
                    "status": {"type": "integer"},
                    "detail": {"type": "string"},
                    "instance": {"type": "string"},
                },
                "required": ["type", "title", "status"],
            }
        }
    }
}


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The problem responses a route may give, for its OpenAPI entry."""
    return {
        status: {"description": HTTPStatus(status).phrase, **PROBLEM_SCHEMA} for status in statuses
    }
