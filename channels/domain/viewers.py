"""People's tokens: who may watch the network live over /cable and use the HTTP API.

A token is made once (`ocpp-cable tokens add NAME`), shown once, and kept only
as its SHA-256: it is 256 random bits, so a fast hash is as safe as a slow one
and a lookup is one indexed read. Its scope says what it may do: `read` watches
and reads, `write` also changes data and sends commands to stations.

A token revoked or replaced ends its browsers' live connections: every gateway node
is told to close the connections of its holder (`end_connections`).
"""

from __future__ import annotations

import hashlib
import secrets
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from ocpp_cable.channels.domain.timeutil import now
from ocpp_cable.channels.storage.models import ViewerToken
from ocpp_cable.contract.transmissions import UNAUTHORIZED
from ocpp_cable.rpc_app.broadcasting import Broadcaster, remote_disconnect

PREFIX = "ocv_"  # says what the secret is when it turns up in a paste or a log scanner
READ, WRITE = "read", "write"
SCOPES = (READ, WRITE)
MAX_TOKEN_LENGTH = 128


class Holder(NamedTuple):
    """Who a token names, and what it may do."""

    name: str
    scope: str

    @property
    def may_write(self) -> bool:
        return self.scope == WRITE


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# A token in a URL we keep (a command's record, the message log) is kept as its digest.
MASKED = "sha256-"


def masked(text: str, token: str) -> str:
    """`text` with `token` replaced by its digest: kept, it opens nothing."""
    return text.replace(token, MASKED + digest(token))


def token_digest(token: str) -> str:
    """The digest of a token as sent, or as kept masked."""
    return token.removeprefix(MASKED) if token.startswith(MASKED) else digest(token)


def add_viewer(session: Session, name: str, scope: str = READ) -> str:
    """A new token for `name` (replacing one it had); returns the token, never stored."""
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {', '.join(SCOPES)}")
    token = PREFIX + secrets.token_urlsafe(32)
    record = session.get(ViewerToken, name)
    if record is None:
        session.add(ViewerToken(name=name, token_hash=digest(token), scope=scope))
    else:
        record.token_hash, record.revoked_at, record.created_at = digest(token), None, now()
        record.scope = scope
    return token


def in_force(session: Session, name: str) -> bool:
    """Has `name` a token that is not revoked?"""
    record = session.get(ViewerToken, name)
    return record is not None and record.revoked_at is None


def revoke_viewer(session: Session, name: str) -> bool:
    record = session.get(ViewerToken, name)
    if record is None or record.revoked_at is not None:
        return False
    record.revoked_at = now()
    return True


def holder_of(session: Session, token: str) -> Holder | None:
    """Whose token `token` is, if it is not revoked."""
    if not token.startswith(PREFIX) or len(token) > MAX_TOKEN_LENGTH:
        return None
    query = select(ViewerToken.name, ViewerToken.scope).where(
        ViewerToken.token_hash == digest(token), ViewerToken.revoked_at.is_(None)
    )
    row = session.execute(query).first()
    return None if row is None else Holder(row.name, row.scope)


def viewer_named_by(session: Session, token: str) -> str | None:
    """The viewer whose token `token` is, if it is not revoked."""
    holder = holder_of(session, token)
    return None if holder is None else holder.name


def identifiers(name: str) -> dict[str, str]:
    """The connection identifiers of `name`'s browsers, as Connect gives them."""
    return {"viewer": name}


def end_connections(broadcaster: Broadcaster, name: str) -> None:
    """Have every gateway node close `name`'s /cable connections (`unauthorized`, not to
    come back): AnyCable's remote disconnect, through `broadcaster`.

    Raises:
        BroadcastError: the broker or gateway did not take it.
    """
    broadcaster.publish([remote_disconnect(identifiers(name), reason=UNAUTHORIZED)])
