"""Who is asking: a bearer token from `ocpp-cable tokens add`, of scope read, write or
admin (each may do all the one before it may).

No token, or one that is unknown or revoked: 401 with `WWW-Authenticate: Bearer`.
A read token asking to change something, or a read or write token asking to manage
tokens: 403.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ocpp_cable.channels.domain import viewers
from ocpp_cable.channels.operators.api.database import session_for

_bearer = HTTPBearer(
    auto_error=False,
    description="A token made with `ocpp-cable tokens add NAME --scope read|write|admin`",
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


def _forbidden(detail: str) -> HTTPException:
    return HTTPException(
        403,
        detail,
        headers={"WWW-Authenticate": 'Bearer realm="ocpp-cable", error="insufficient_scope"'},
    )


def writer(found: Annotated[viewers.Holder, Depends(holder)]) -> viewers.Holder:
    if not found.may_write:
        raise _forbidden(f"token {found.name} may only read (scope read)")
    return found


def admin(found: Annotated[viewers.Holder, Depends(holder)]) -> viewers.Holder:
    if not found.may_manage_tokens:
        raise _forbidden(
            f"token {found.name} may not manage tokens (scope {found.scope}; admin may)"
        )
    return found


Reader = Annotated[viewers.Holder, Depends(holder)]
Writer = Annotated[viewers.Holder, Depends(writer)]
Admin = Annotated[viewers.Holder, Depends(admin)]
