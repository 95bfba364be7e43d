"""What a Connection sees of the charger's request."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from ocpp_cable.contract.env import (
    BROWSER,
    CLIENT_PROTOCOL_HEADER,
    NODE_HEADER,
    REMOTE_ADDR_HEADER,
    SUBPROTOCOL_HEADER,
    TLS_CLIENT_SUBJECT_HEADER,
)


@dataclass(frozen=True, slots=True)
class RequestEnv:
    """The request a connection arrived with, as the gateway passed it to Connect.

    `url` is the URL the station connected to (its path names the station), `headers` the
    request headers the gateway passes (`--headers`), plus the ones only the gateway sets:
    the remote address, the node, a verified certificate's subject.
    """

    url: str
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def station_id(self) -> str:
        """The percent-decoded last path segment of the URL."""
        return unquote(urlsplit(self.url).path.rsplit("/", 1)[-1])

    @property
    def remote_address(self) -> str | None:
        return self.headers.get(REMOTE_ADDR_HEADER)

    @property
    def node(self) -> str | None:
        """The gateway node holding the connection (None behind a gateway without leases)."""
        return self.headers.get(NODE_HEADER)

    @property
    def client_subject(self) -> str | None:
        """Subject of the charger's verified certificate (security profile 3), if any."""
        return self.headers.get(TLS_CLIENT_SUBJECT_HEADER)

    @property
    def ocpp_version(self) -> str | None:
        """The OCPP version the station speaks ("1.6", "2.0.1", "2.1"); None for a browser."""
        subprotocol = self.headers.get(SUBPROTOCOL_HEADER, "")
        return subprotocol.removeprefix("ocpp") if subprotocol.startswith("ocpp") else None

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    @property
    def browser(self) -> bool:
        """Did the gateway admit this connection at its cable path (a browser)?"""
        return self.headers.get(CLIENT_PROTOCOL_HEADER) == BROWSER

    def bearer_token(self) -> str | None:
        """The token of an `Authorization: Bearer` header."""
        scheme, _, token = (self.header("authorization") or "").partition(" ")
        if scheme.lower() != "bearer":
            return None
        return token.strip() or None

    def basic_auth(self) -> tuple[str, str] | None:
        """(username, password) from an HTTP Basic Authorization header (security profiles 1, 2)."""
        value = self.header("authorization")
        if not value:
            return None
        scheme, _, encoded = value.partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        user, sep, password = decoded.partition(":")
        return (user, password) if sep else None
