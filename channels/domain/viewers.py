"""People's tokens: who may watch the network live over /cable and use the HTTP API.

A token is made once (`ocpp-cable tokens add NAME`), shown once, and kept only
as its SHA-256: it is 256 random bits, so a fast hash is as safe as a slow one
and a lookup is one indexed read. Its scope says what it may do: `read` watches
and reads, `write` also changes data and sends commands to stations, `admin` also
makes, lists and revokes tokens through the HTTP API.

A token revoked or replaced ends its browsers' live connections: every gateway node
is told to close the connections of its holder (`end_connections`).
"""

from __future__ import annotations

import hashlib
import secrets
from typing import NamedTuple

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ocpp_cable.channels.domain.timeutil import now
from ocpp_cable.channels.storage.models import ViewerToken
from ocpp_cable.contract.transmissions import UNAUTHORIZED
from ocpp_cable.rpc_app.broadcasting import Broadcaster, remote_disconnect

PREFIX = "ocv_"  # says what the secret is when it turns up in a paste or a log scanner
READ, WRITE, ADMIN = "read", "write", "admin"
SCOPES = (READ, WRITE, ADMIN)  # each may do all the one before it may
MAX_TOKEN_LENGTH = 128
MAX_NAME_LENGTH = 64


class UnknownToken(LookupError):
    """No token has that name."""


class Holder(NamedTuple):
    """Who a token names, and what it may do."""

    name: str
    scope: str

    @property
    def may_write(self) -> bool:
        return self.scope in (WRITE, ADMIN)

    @property
    def may_manage_tokens(self) -> bool:
        return self.scope == ADMIN


def name_problem(name: str) -> str | None:
    """Why `name` cannot name a token, or None. It names the file `tokens add` writes
    (`token-<name>.token`), a path segment of the API's and a row people read: no
    separator, nothing unprintable (a control or format character could make two names
    look alike), no space at either end."""
    if (
        not 0 < len(name) <= MAX_NAME_LENGTH
        or not name.isprintable()
        or name != name.strip()
        or any(c in "/\\" for c in name)
    ):
        return (
            f"a token's name has 1 to {MAX_NAME_LENGTH} printable characters, no / or \\, "
            "and no space at either end"
        )
    return None


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


def _checked(scope: str) -> None:
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {', '.join(SCOPES)}")


def _new_token() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def add_viewer(session: Session, name: str, scope: str = READ) -> str:
    """A new token for `name` (replacing one it had); returns the token, never stored."""
    _checked(scope)
    token = _new_token()
    record = session.get(ViewerToken, name)
    if record is None:
        session.add(ViewerToken(name=name, token_hash=digest(token), scope=scope))
    else:
        record.token_hash, record.revoked_at, record.created_at = digest(token), None, now()
        record.scope = scope
    return token


def add_new_viewer(session: Session, name: str, scope: str = READ) -> str | None:
    """A token for `name` unless it has one in force (None then): a revoked one is
    replaced. Returns the token, never stored. Two callers at once for a new name: the
    second one's commit fails on the name's key."""
    _checked(scope)
    token = _new_token()
    if session.get(ViewerToken, name) is None:
        session.add(ViewerToken(name=name, token_hash=digest(token), scope=scope))
        return token
    # Only while revoked: of two callers at once, one replaces it and the other sees it
    # in force.
    replaced = session.execute(
        update(ViewerToken)
        .where(ViewerToken.name == name, ViewerToken.revoked_at.is_not(None))
        .values(token_hash=digest(token), scope=scope, created_at=now(), revoked_at=None)
    )
    return token if replaced.rowcount == 1 else None


def in_force(session: Session, name: str) -> bool:
    """Has `name` a token that is not revoked?"""
    record = session.get(ViewerToken, name)
    return record is not None and record.revoked_at is None


def revoke_viewer(session: Session, name: str) -> bool:
    """Revoke `name`'s token: True when revoked now, False when it was already (or there
    is no such token)."""
    record = session.get(ViewerToken, name)
    if record is None or record.revoked_at is not None:
        return False
    record.revoked_at = now()
    return True


def revoke(session: Session, name: str) -> bool:
    """Revoke the token an operator named: True when revoked now, False when it was
    already. Once this is committed, the caller has every gateway node told
    (`end_connections`), as `tokens revoke` and the API's DELETE do; a browser that
    reconnects meanwhile is refused at Connect.

    Raises:
        UnknownToken: there is no token `name`.
    """
    if session.get(ViewerToken, name) is None:
        raise UnknownToken(f"no token {name}")
    return revoke_viewer(session, name)


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
