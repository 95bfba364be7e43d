"""Who may call rpc_app: the gateway that shows the shared secret, and no one else.

Anyone who reaches the RPC port could otherwise Connect as any station and speak for
it. With a secret set, every call must carry it (contract.caller); the health service
stays open, for load balancers' probes. TLS, and mutual TLS, are the server's port.
"""

from __future__ import annotations

from pathlib import Path

import grpc
import structlog

from ocpp_cable.contract import caller
from ocpp_cable.foundation.throttle import LogThrottle

log = structlog.get_logger("rpc_app")

OPEN_SERVICES = ("/grpc.health.v1.Health/",)
REFUSAL = "the caller is not the gateway: no or a wrong RPC secret (--rpc-secret)"


class CallerCheck(grpc.aio.ServerInterceptor):
    """Answers UNAUTHENTICATED to any call without the secret; counts and logs (once a
    minute) what it refused."""

    def __init__(self, secret: str, on_refusal=lambda method: None) -> None:
        self._secret = secret
        self._on_refusal = on_refusal
        self._log = LogThrottle(interval=60.0)

    async def intercept_service(self, continuation, details):
        handler = await continuation(details)
        if (
            handler is None
            or details.method.startswith(OPEN_SERVICES)
            or caller.authorized(details.invocation_metadata, self._secret)
        ):
            return handler
        method = details.method.rsplit("/", 1)[-1]
        self._on_refusal(method)
        held_back = self._log.allow("refused")
        if held_back is not None:
            log.warning("rpc call refused: " + REFUSAL, method=method, since_last=held_back)
        return _refusing(handler)


def _refusing(handler: grpc.RpcMethodHandler) -> grpc.RpcMethodHandler:
    """A handler of the same shape as `handler` that answers UNAUTHENTICATED."""

    async def refuse(_request, context):
        await context.abort(grpc.StatusCode.UNAUTHENTICATED, REFUSAL)

    if handler.request_streaming and handler.response_streaming:
        return grpc.stream_stream_rpc_method_handler(refuse)
    if handler.request_streaming:
        return grpc.stream_unary_rpc_method_handler(refuse)
    if handler.response_streaming:
        return grpc.unary_stream_rpc_method_handler(refuse)
    return grpc.unary_unary_rpc_method_handler(refuse)


def server_credentials(cert: str, key: str, client_ca: str | None) -> grpc.ServerCredentials:
    """TLS for the RPC port; with `client_ca`, only callers with a certificate it signed."""
    return grpc.ssl_server_credentials(
        [(Path(key).read_bytes(), Path(cert).read_bytes())],
        root_certificates=Path(client_ca).read_bytes() if client_ca else None,
        require_client_auth=client_ca is not None,
    )
