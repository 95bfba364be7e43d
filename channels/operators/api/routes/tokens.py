"""/api/v1/tokens: an admin token makes, lists and revokes people's tokens, as `ocpp-cable
tokens add|list|revoke` does; /api/v1/me: whose token is asking, at any scope (the
dashboard shows its Tokens view to an admin only).

A token made here is in its 201 answer only (`Cache-Control: no-store`): it is kept as
its SHA-256 and logged nowhere. A token revoked here is refused from its next request on,
and its browsers at /cable are closed at once, as `tokens revoke` does it. The token a
request is made with cannot revoke itself (409): the dashboard using it would be locked
out in the middle of its work; another admin token, or the CLI, can.
"""

from __future__ import annotations

import structlog
from fastapi import APIRouter, Request, Response
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ocpp_cable.channels.domain import viewers
from ocpp_cable.channels.operators import records
from ocpp_cable.channels.operators.api import schemas
from ocpp_cable.channels.operators.api.auth import Admin, Reader
from ocpp_cable.channels.operators.api.database import page, session_for
from ocpp_cable.channels.operators.api.problems import Problem, responses
from ocpp_cable.channels.storage.models import ViewerToken
from ocpp_cable.rpc_app import broadcasting

router = APIRouter(tags=["tokens"])
log = structlog.get_logger("channels.api")


@router.get("/me", response_model=schemas.Me, responses=responses(401))
def me(who: Reader):
    """The name and scope of the token asking."""
    return {"name": who.name, "scope": who.scope}


@router.get("/tokens", response_model=schemas.Page[schemas.Token], responses=responses(401, 403))
def list_tokens(request: Request, _: Admin, limit: schemas.Limit = 50, offset: schemas.Offset = 0):
    """Every token by name, revoked ones too (admin scope). Never a token or its hash."""
    query = select(ViewerToken).order_by(ViewerToken.name)
    with session_for(request) as session:
        return page(session, query, limit, offset, records.token_row)


def _taken(name: str) -> Problem:
    return Problem(409, "token-exists", f"token {name} exists and is in force; revoke it first")


@router.post(
    "/tokens",
    status_code=201,
    response_model=schemas.MadeToken,
    responses=responses(401, 403, 409, 422),
)
def add(request: Request, body: schemas.NewToken, who: Admin, response: Response):
    """Make a token (admin scope). The answer's `token` is the only time it is shown: it
    is kept as its SHA-256. A name whose token is revoked may be taken again; one in
    force is a 409."""
    try:
        with session_for(request) as session:
            token = viewers.add_new_viewer(session, body.name, body.scope)
            if token is None:
                raise _taken(body.name)
            session.flush()  # made by another request meanwhile: the name's key says so
            row = records.token_row(session.get_one(ViewerToken, body.name))
    except IntegrityError:
        raise _taken(body.name) from None
    log.info("token added", name=body.name, scope=body.scope, by=who.name)
    response.headers["Cache-Control"] = "no-store"  # no cache keeps the answer
    return {**row, "token": token}


@router.delete("/tokens/{name}", status_code=204, responses=responses(401, 403, 404, 409, 502))
def revoke(request: Request, name: str, who: Admin) -> Response:
    """Revoke a token (admin scope): refused from its next request on, its browsers at
    /cable closed at once. A token revoked already: 204, and the gateway nodes are told
    again. The token asking cannot revoke itself (409)."""
    if name == who.name:
        raise Problem(
            409,
            "token-in-use",
            f"token {name} is the one this request is made with: revoke it with another "
            "admin token, or `ocpp-cable tokens revoke`",
        )
    try:
        with session_for(request) as session:
            revoked = viewers.revoke(session, name)
    except viewers.UnknownToken as exc:
        raise Problem(404, "unknown-token", str(exc)) from None
    log.info("token revoked" if revoked else "revoked token's browsers told again",
             name=name, by=who.name)  # fmt: skip
    try:
        viewers.end_connections(broadcasting.current(), name)
    except broadcasting.BroadcastError as exc:
        raise Problem(
            502,
            "broadcast-failed",
            f"token {name} is revoked, but its open /cable connections were not told to "
            f"close ({exc}): each is refused and closed at its next subscribe; DELETE again "
            "tells them",
        ) from None
    return Response(status_code=204)
