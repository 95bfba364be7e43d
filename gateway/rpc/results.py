"""What an RPC call answers, as plain values: the asyncio shells never see protobuf."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from ocpp_cable.contract.pb import rpc_pb2

# The request env a connection's calls carry (url, headers, connection and channel
# state). Opaque outside gateway.rpc: made by `new_env`, updated by the client as the
# application changes state. One message per connection, reused by every call.
Env = rpc_pb2.Env


class Status(enum.Enum):
    """AnyCable's answer to a call: done, refused by the application, or failed in it."""

    SUCCESS = "SUCCESS"
    FAILURE = "FAILURE"
    ERROR = "ERROR"


STATUSES = {
    rpc_pb2.SUCCESS: Status.SUCCESS,
    rpc_pb2.FAILURE: Status.FAILURE,
    rpc_pb2.ERROR: Status.ERROR,
}


class RPCError(Exception):
    """The RPC did not complete (unreachable, deadline exceeded, server crash)."""

    def __init__(self, code: str, details: str) -> None:
        super().__init__(f"{code}: {details}")
        self.code = code
        self.details = details


class HandshakesQueueFull(RPCError):
    """A Connect found the gateway's handshake queue at its bound: it never left."""

    def __init__(self) -> None:
        super().__init__("RESOURCE_EXHAUSTED", "too many handshakes queued")


class HandshakeQueuedTooLong(RPCError):
    """A handshake's call waited in the queue as long as its handshake allowed: never made."""

    def __init__(self) -> None:
        super().__init__("DEADLINE_EXCEEDED", "handshake queued too long")


class ClientGone(RPCError):
    """The client closed its connection while its call waited for a slot: never made."""

    def __init__(self) -> None:
        super().__init__("CANCELLED", "the client went away while its call was queued")


@dataclass(slots=True)
class ConnectResult:
    """Connect's answer. `env` is the connection's env from now on, with its state."""

    status: Status
    error: str
    identifiers: str
    transmissions: list[str]
    env: Env


@dataclass(slots=True)
class CommandResult:
    """Command's answer. The state changes it carried are already merged into the env."""

    status: Status
    error: str
    transmissions: list[str]
    streams: list[str]
    stopped_streams: list[str]
    stop_streams: bool
    disconnect: bool


@dataclass(slots=True)
class DisconnectResult:
    status: Status
    error: str


def new_env(url: str, headers: dict[str, str], cstate: dict[str, str] | None = None) -> Env:
    return rpc_pb2.Env(url=url, headers=headers, cstate=cstate or {})
