"""How the gateway proves to rpc_app that it is the caller: AnyCable's bearer secret.

anycable-go sends its RPC secret as `Authorization: Bearer <secret>` over HTTP RPC;
over gRPC the same header is call metadata. Every call carries it (on a Batch stream,
the stream's opening does); rpc_app answers UNAUTHENTICATED without it.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable

AUTHORIZATION = "authorization"  # gRPC metadata keys are lower case

Metadata = tuple[tuple[str, str], ...]


def metadata(secret: str | None) -> Metadata:
    """The metadata that names the caller: the secret, if there is one."""
    return () if secret is None else ((AUTHORIZATION, f"Bearer {secret}"),)


def authorized(received: Iterable[tuple[str, str | bytes]] | None, secret: str) -> bool:
    """Does the call's metadata carry `secret`? (Compared in constant time.)"""
    expected = f"Bearer {secret}".encode()
    for key, value in received or ():
        if key == AUTHORIZATION:
            given = value.encode() if isinstance(value, str) else value
            return hmac.compare_digest(given, expected)
    return False
