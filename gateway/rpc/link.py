"""The gateway's side of the RPC link's security: the secret it sends, TLS if configured."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import grpc

from ocpp_cable.contract import caller


@dataclass(frozen=True, slots=True)
class Link:
    """What every channel to rpc_app is opened with and every call carries."""

    metadata: caller.Metadata = ()  # the secret, when there is one
    credentials: grpc.ChannelCredentials | None = None  # TLS; None: plain TCP

    def channel(self, target: str, options: list[tuple[str, int | str]]) -> grpc.aio.Channel:
        if self.credentials is None:
            return grpc.aio.insecure_channel(target, options=options)
        return grpc.aio.secure_channel(target, self.credentials, options=options)


# No secret, no TLS: what a gateway without either opens (and tests' default).
PLAIN = Link()


def link(
    secret: str | None,
    tls_ca: str | None = None,
    tls_cert: str | None = None,
    tls_key: str | None = None,
) -> Link:
    """The link for these settings: TLS when a CA (or a client certificate) is given."""
    credentials = None
    if tls_ca or tls_cert:
        credentials = grpc.ssl_channel_credentials(
            root_certificates=Path(tls_ca).read_bytes() if tls_ca else None,
            private_key=Path(tls_key).read_bytes() if tls_key else None,
            certificate_chain=Path(tls_cert).read_bytes() if tls_cert else None,
        )
    return Link(caller.metadata(secret), credentials)
