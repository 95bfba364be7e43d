"""Who is asking: a bearer token from `ocpp-cable tokens add`, read or write scope.

No token, or one that is unknown or revoked: 401 with `WWW-Authenticate: Bearer`.
A read token asking to change something: 403.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ocpp_cable.channels.domain import viewers
from ocpp_cable.channels.operators.api.database import session_for

_bearer = HTTPBearer(
    auto_error=False,
    description="A token made with `ocpp-cable tokens add NAME --scope read|write`",
)


def _unauthorized(detail: str, error: str) -> HTTPException:
    return HTTPException(
        401, detail, headers={"WWW-Authenticate": f'Bearer realm="ocpp-cable", error="{error}"'}
    )


def holder(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> viewers.Holder:
    if credentials is None:
        raise HTTPException(
            401,
            "a bearer token is required",
            headers={"WWW-Authenticate": 'Bearer realm="ocpp-cable"'},
        )
    with session_for(request) as session:
        found = viewers.holder_of(session, credentials.credentials)
    if found is None:
        raise _unauthorized("the token is unknown or revoked", "invalid_token")
    return found


def writer(found: Annotated[viewers.Holder, Depends(holder)]) -> viewers.Holder:
    if not found.may_write:
        raise HTTPException(
            403,
            f"token {found.name} may only read (scope read)",
            headers={"WWW-Authenticate": 'Bearer realm="ocpp-cable", error="insufficient_scope"'},
        )
    return found


Reader = Annotated[viewers.Holder, Depends(holder)]
Writer = Annotated[viewers.Holder, Depends(writer)]
