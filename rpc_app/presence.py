"""ocpp-cable's Presence service: gateway nodes renew their leases on the application.

The framework keeps no state: a renewal goes to the application's `node_lease`
hook (the reference central system keeps leases in its database). An application
without the hook accepts renewals and does nothing with them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import grpc
import structlog

from ocpp_cable.contract.pb import presence_pb2, presence_pb2_grpc
from ocpp_cable.foundation.redact import mask_secrets

log = structlog.get_logger("rpc_app.presence")


class PresenceService(presence_pb2_grpc.PresenceServicer):
    def __init__(
        self,
        node_lease: Callable[..., Any] | None,
        invoke: Callable[..., Awaitable[Any]],
    ) -> None:
        self.node_lease = node_lease
        self.invoke = invoke  # runs a sync hook in a worker thread, an async one on the loop

    async def Renew(self, request, context):
        if self.node_lease is not None:
            try:
                await self.invoke(
                    self.node_lease, request.node, request.ttl, list(request.stations)
                )
            except Exception as exc:
                log.exception("lease renewal failed", node=request.node)
                await context.abort(
                    grpc.StatusCode.INTERNAL, mask_secrets(f"{type(exc).__name__}: {exc}")
                )
        return presence_pb2.LeaseReply()
