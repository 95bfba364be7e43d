"""The gateway's client of AnyCable's RPC service."""

from __future__ import annotations

from collections.abc import Mapping

import grpc

from ocpp_cable.pb import rpc_pb2, rpc_pb2_grpc

PROTOCOL_VERSION = "v1"

CHANNEL_OPTIONS = [
    # Pings no more often than the server's min_ping_interval allows.
    ("grpc.keepalive_time_ms", 30_000),
    ("grpc.keepalive_timeout_ms", 10_000),
    ("grpc.keepalive_permit_without_calls", 0),
    ("grpc.http2.max_pings_without_data", 0),
    ("grpc.enable_retries", 0),
    # Come back quickly after rpc_app restarts; CALLs fail fast meanwhile.
    ("grpc.initial_reconnect_backoff_ms", 200),
    ("grpc.min_reconnect_backoff_ms", 200),
    ("grpc.max_reconnect_backoff_ms", 3000),
]


class RPCError(Exception):
    """The RPC did not complete (unreachable, deadline exceeded, server crash)."""

    def __init__(self, code: str, details: str) -> None:
        super().__init__(f"{code}: {details}")
        self.code = code
        self.details = details


def make_env(
    url: str,
    headers: Mapping[str, str],
    cstate: Mapping[str, str] | None = None,
    istate: Mapping[str, str] | None = None,
) -> rpc_pb2.Env:
    return rpc_pb2.Env(url=url, headers=headers, cstate=cstate or {}, istate=istate or {})


class RPCClient:
    def __init__(self, address: str, timeout: float) -> None:
        self.address = address
        self.timeout = timeout
        self._channel = grpc.aio.insecure_channel(address, options=CHANNEL_OPTIONS)
        self._stub = rpc_pb2_grpc.RPCStub(self._channel)

    async def close(self) -> None:
        await self._channel.close()

    async def _call(self, method, request, sid: str):
        try:
            return await method(
                request,
                timeout=self.timeout,
                metadata=(("protov", PROTOCOL_VERSION), ("sid", sid)),
            )
        except grpc.aio.AioRpcError as exc:
            raise RPCError(exc.code().name, exc.details() or "") from None

    async def connect(self, sid: str, env: rpc_pb2.Env) -> rpc_pb2.ConnectionResponse:
        return await self._call(self._stub.Connect, rpc_pb2.ConnectionRequest(env=env), sid)

    async def command(
        self,
        sid: str,
        command: str,
        identifier: str,
        connection_identifiers: str,
        env: rpc_pb2.Env,
        data: str = "",
    ) -> rpc_pb2.CommandResponse:
        request = rpc_pb2.CommandMessage(
            command=command,
            identifier=identifier,
            connection_identifiers=connection_identifiers,
            data=data,
            env=env,
        )
        return await self._call(self._stub.Command, request, sid)

    async def disconnect(
        self, sid: str, identifiers: str, subscriptions: list[str], env: rpc_pb2.Env
    ) -> rpc_pb2.DisconnectResponse:
        request = rpc_pb2.DisconnectRequest(
            identifiers=identifiers, subscriptions=subscriptions, env=env
        )
        return await self._call(self._stub.Disconnect, request, sid)
