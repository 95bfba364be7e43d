"""The API's units of work: each request handler opens its own, so what it changed is
committed before the response goes out."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from fastapi import HTTPException, Request
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from ocpp_cable.channels.operators.api.problems import Problem
from ocpp_cable.channels.settings import OperatorAPIServerSettings
from ocpp_cable.channels.storage import db

T = TypeVar("T")


def no_nul_in_url(request: Request) -> None:
    """A path or query holding NUL is refused (400): no id we keep holds one, and
    PostgreSQL's text cannot even take one to compare with."""
    if "\x00" in request.url.path or any(
        "\x00" in key or "\x00" in value for key, value in request.query_params.multi_items()
    ):
        raise HTTPException(400, "a URL holds no NUL character")


def settings_of(request: Request) -> OperatorAPIServerSettings:
    return request.app.state.settings


@contextmanager
def session_for(request: Request) -> Iterator[Session]:
    with db.session_scope(settings_of(request).database_url) as session:
        yield session


def row_or_404(session: Session, model: type[T], key: Any, kind: str, what: str) -> T:
    """The `model` row of `key`, or a 404 problem of `kind` ("no <what> <key>")."""
    row = session.get(model, key)
    if row is None:
        raise Problem(404, kind, f"no {what} {key}")
    return row


def page(
    session: Session, query: Select, limit: int, offset: int, row: Callable[[Any], dict]
) -> dict[str, Any]:
    """One page of `query`'s results, each made a `row`, and how many there are in all."""
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    found = session.scalars(query.limit(limit).offset(offset))
    return {"items": [row(x) for x in found], "total": total or 0, "limit": limit, "offset": offset}
