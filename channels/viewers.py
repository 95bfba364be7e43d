"""Viewer tokens: who may watch the network live over /cable.

A token is made once (`ocpp-cable viewers add NAME`), shown once, and kept only
as its SHA-256: it is 256 random bits, so a fast hash is as safe as a slow one
and a lookup is one indexed read.
"""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from channels.models import ViewerToken
from channels.timeutil import now

PREFIX = "ocv_"  # says what the secret is when it turns up in a paste or a log scanner


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def add_viewer(session: Session, name: str) -> str:
    """A new token for `name` (replacing one it had); returns the token, never stored."""
    token = PREFIX + secrets.token_urlsafe(32)
    record = session.get(ViewerToken, name)
    if record is None:
        session.add(ViewerToken(name=name, token_hash=digest(token)))
    else:
        record.token_hash, record.revoked_at, record.created_at = digest(token), None, now()
    return token


def revoke_viewer(session: Session, name: str) -> bool:
    record = session.get(ViewerToken, name)
    if record is None or record.revoked_at is not None:
        return False
    record.revoked_at = now()
    return True


def viewer_named_by(session: Session, token: str) -> str | None:
    """The viewer whose token `token` is, if it is not revoked."""
    if not token.startswith(PREFIX) or len(token) > 128:
        return None
    query = select(ViewerToken.name).where(
        ViewerToken.token_hash == digest(token), ViewerToken.revoked_at.is_(None)
    )
    return session.scalars(query).first()
