"""The gateway's side of the RPC contract: calls out, plain results back.

Protobuf stays in here. `RPCClient` makes AnyCable's Connect, Command and
Disconnect calls (and ocpp-cable's lease renewal and health check) over the
transport chosen once: unary calls, or the Batch stream when the servers offer
it. Each call answers a result from `results` or raises `RPCError`.
"""

from ocpp_cable.gateway.rpc.client import RPCClient
from ocpp_cable.gateway.rpc.results import (
    ClientGone,
    CommandResult,
    ConnectResult,
    DisconnectResult,
    Env,
    HandshakeQueuedTooLong,
    HandshakesQueueFull,
    RPCError,
    Status,
)
from ocpp_cable.gateway.rpc.slots import Kind

__all__ = [
    "ClientGone",
    "CommandResult",
    "ConnectResult",
    "DisconnectResult",
    "Env",
    "HandshakeQueuedTooLong",
    "HandshakesQueueFull",
    "Kind",
    "RPCClient",
    "RPCError",
    "Status",
]
