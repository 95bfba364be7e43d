"""The gRPC server: AnyCable's RPC service (Connect, Command, Disconnect) over the channels."""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import grpc
import orjson
import structlog
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1.health import aio as health_aio

from ocpp_cable.contract import performs, transmissions
from ocpp_cable.contract.pb import batch_pb2_grpc, presence_pb2_grpc, rpc_pb2, rpc_pb2_grpc
from ocpp_cable.foundation.listening import listening
from ocpp_cable.foundation.redact import mask_secrets
from ocpp_cable.foundation.throttle import LogThrottle
from ocpp_cable.rpc_app.application import Application
from ocpp_cable.rpc_app.batch_service import BatchService
from ocpp_cable.rpc_app.callers import CallerCheck
from ocpp_cable.rpc_app.channel import Channel, CommandResult
from ocpp_cable.rpc_app.connection import identifiers_json
from ocpp_cable.rpc_app.env import RequestEnv
from ocpp_cable.rpc_app.errors import Rejected
from ocpp_cable.rpc_app.metrics import RPCMetrics
from ocpp_cable.rpc_app.presence import PresenceService
from ocpp_cable.rpc_app.state import State
from ocpp_cable.rpc_app.sweeping import Sweeper

log = structlog.get_logger("rpc_app")

SUCCESS, FAILURE, ERROR = rpc_pb2.SUCCESS, rpc_pb2.FAILURE, rpc_pb2.ERROR
# What Connect answers as Action Cable does: welcome, or a disconnect not to retry.
WELCOME = transmissions.encode_transmission(transmissions.welcome())
UNAUTHORIZED = transmissions.encode_transmission(transmissions.unauthorized())
NOT_SUPPORTED = "NotSupported"
SERVICE_NAME = "anycable.RPC"
BATCH_SERVICE_NAME = "ocpp_cable.Batch"
PRESENCE_SERVICE_NAME = "ocpp_cable.Presence"

# Server-side keepalive that tolerates the gateway's client pings (no too_many_pings).
SERVER_OPTIONS = [
    ("grpc.keepalive_time_ms", 30_000),
    ("grpc.keepalive_timeout_ms", 10_000),
    ("grpc.http2.min_ping_interval_without_data_ms", 5_000),
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.max_concurrent_streams", 1000),
    # gRPC would share a port with a server already on it (SO_REUSEPORT): a second rpc_app
    # started by mistake would take half the gateway's calls, unseen. Refuse the port.
    ("grpc.so_reuseport", 0),
]


def _error_text(exc: BaseException) -> str:
    # It travels to the gateway and into its logs: no password inside a URL.
    return mask_secrets(f"{type(exc).__name__}: {exc}")


def measured(method):
    """Count and time an RPC method by the status it answers."""
    name = method.__name__

    @functools.wraps(method)
    async def wrapper(self, request, context):
        metrics = self.metrics
        metrics.in_flight.inc()
        started = time.perf_counter()
        status = "ERROR"
        try:
            response = await method(self, request, context)
            status = rpc_pb2.Status.Name(response.status)
            return response
        finally:
            metrics.in_flight.dec()
            metrics.served(name, status).inc()
            metrics.timed(name).observe(time.perf_counter() - started)

    return wrapper


class RPCService(rpc_pb2_grpc.RPCServicer):
    def __init__(
        self, app: Application, workers: int = 16, metrics: RPCMetrics | None = None
    ) -> None:
        self.app = app
        self.executor = ThreadPoolExecutor(workers, thread_name_prefix="channel")
        self.metrics = metrics or RPCMetrics()
        # Anyone may knock at /cable as fast as they like: one line per burst, not per try.
        self.browser_refusals = LogThrottle(interval=10.0)

    async def invoke(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Await async application code; run sync code in a worker thread."""
        if inspect.iscoroutinefunction(fn):
            return await fn(*args)
        loop = asyncio.get_running_loop()
        context = contextvars.copy_context()
        result = await loop.run_in_executor(
            self.executor, functools.partial(context.run, fn, *args)
        )
        if inspect.isawaitable(result):
            result = await result
        return result

    # --- Connect --------------------------------------------------------------

    @measured
    async def Connect(self, request, context):
        env = RequestEnv(request.env.url, dict(request.env.headers))
        cstate = State(request.env.cstate)
        connection = self.app.connection_class(env, state=cstate)
        try:
            await self.invoke(connection.connect)
        except Rejected as exc:
            held_back = self.browser_refusals.allow("browser") if env.browser else 0
            if held_back is not None:
                connection.logger.info("connection rejected", reason=str(exc), since_last=held_back)
            return rpc_pb2.ConnectionResponse(
                status=FAILURE, error_msg=str(exc), transmissions=[UNAUTHORIZED]
            )
        except Exception as exc:
            connection.logger.exception("connect failed")
            return rpc_pb2.ConnectionResponse(status=ERROR, error_msg=_error_text(exc))
        if not connection.identifiers:
            connection.identifiers["station_id"] = env.station_id
        connection.logger.info("connected")
        return rpc_pb2.ConnectionResponse(
            status=SUCCESS,
            identifiers=identifiers_json(connection.identifiers),
            transmissions=[WELCOME],
            env=rpc_pb2.EnvResponse(cstate=cstate.changes()),
        )

    # --- Command --------------------------------------------------------------

    def _connection(self, identifiers: str, env: Any):
        return self.app.connection_class(
            RequestEnv(env.url, dict(env.headers)),
            orjson.loads(identifiers) if identifiers else {},
            State(env.cstate),
        )

    def _channel_class(self, identifier: dict[str, Any]) -> type[Channel] | None:
        return self.app.channels.get(identifier.get("channel", ""))

    @measured
    async def Command(self, request, context):
        try:
            connection = self._connection(request.connection_identifiers, request.env)
            identifier = orjson.loads(request.identifier)
            if not isinstance(identifier, dict):
                raise ValueError("the identifier is not a JSON object")
        except ValueError as exc:
            return rpc_pb2.CommandResponse(status=ERROR, error_msg=f"bad command: {exc}")
        channel_class = self._channel_class(identifier)
        if channel_class is None:
            connection.logger.warning("unknown channel", channel=identifier.get("channel"))
            return rpc_pb2.CommandResponse(
                status=FAILURE, error_msg=f"unknown channel {identifier.get('channel')!r}"
            )
        params = {k: v for k, v in identifier.items() if k != "channel"}
        istate = State(request.env.istate)
        result = CommandResult()
        channel = channel_class(connection, request.identifier, params, istate, result)
        try:
            status = await self._run_command(channel, request.command, request.data)
        except Rejected:
            channel.logger.info("subscription rejected")
            rejection = transmissions.encode_transmission(
                transmissions.rejection(request.identifier)
            )
            return rpc_pb2.CommandResponse(
                status=FAILURE,
                error_msg="subscription rejected",
                transmissions=[*result.transmissions, rejection],
                disconnect=result.disconnect,  # a channel may refuse and end the connection
            )
        except Exception as exc:
            channel.logger.exception("command failed", command=request.command)
            # No transmissions: a half-done command must not look like an answer.
            return rpc_pb2.CommandResponse(status=ERROR, error_msg=_error_text(exc))
        return rpc_pb2.CommandResponse(
            status=status,
            disconnect=result.disconnect,
            stop_streams=result.stop_streams,
            streams=result.streams,
            stopped_streams=result.stopped_streams,
            transmissions=result.transmissions,
            env=rpc_pb2.EnvResponse(cstate=connection.state.changes(), istate=istate.changes()),
        )

    async def _run_command(self, channel: Channel, command: str, data: str) -> int:
        if command == "subscribe":
            await self.invoke(channel.subscribed)
            # After what `subscribed` transmitted, as Action Cable confirms.
            channel.result.transmissions.append(
                transmissions.encode_transmission(transmissions.confirmation(channel.identifier))
            )
            return SUCCESS
        if command == "unsubscribe":
            await self.invoke(channel.unsubscribed)
            channel.stop_all_streams()
            return SUCCESS
        if command == "message":
            await self._perform(channel, performs.decode_perform(data))
            return SUCCESS
        raise ValueError(f"unknown command {command!r}")

    async def _perform(self, channel: Channel, data: dict[str, Any]) -> None:
        # As Action Cable does: data without an action (AnyCable-Go Pro with granular
        # actions off sends none) goes to `receive`.
        action = data.get("action") or performs.RECEIVE
        if isinstance(action, str) and action in self.app.actions[type(channel)]:
            await self.invoke(getattr(channel, action), data)
            return
        command = data.get("command") or action
        channel.logger.info("action not supported", action=action, message_id=data.get("id"))
        if isinstance(data.get("id"), str):
            channel.transmit_error(
                data["id"], NOT_SUPPORTED, f"{type(channel).__name__} does not handle {command}"
            )

    # --- Disconnect -----------------------------------------------------------

    @measured
    async def Disconnect(self, request, context):
        """Every subscription's `unsubscribed`, then the connection's `disconnect`.

        Each runs even when another fails; an identifier no channel can use is logged
        and passed over. ERROR only when application code raised: the gateway logs it.
        """
        try:
            connection = self._connection(request.identifiers, request.env)
        except ValueError as exc:
            log.warning("disconnect with unreadable identifiers", error=str(exc))
            connection = self._connection("", request.env)
        failures: list[BaseException] = []
        for identifier_text in request.subscriptions:
            channel = self._unsubscribing(connection, identifier_text, request.env.istate)
            if channel is None:
                continue
            try:
                await self.invoke(channel.unsubscribed)
            except Exception as exc:
                channel.logger.exception("unsubscribed failed")
                failures.append(exc)
        try:
            await self.invoke(connection.disconnect)
        except Exception as exc:
            connection.logger.exception("disconnect failed")
            failures.append(exc)
        if failures:
            return rpc_pb2.DisconnectResponse(status=ERROR, error_msg=_error_text(failures[0]))
        connection.logger.info("disconnected")
        return rpc_pb2.DisconnectResponse(status=SUCCESS)

    def _unsubscribing(self, connection: Any, identifier_text: str, istates: Any) -> Channel | None:
        """The channel a subscription names, with its state; None (logged) if none can."""
        try:
            identifier = orjson.loads(identifier_text)
            if not isinstance(identifier, dict):
                raise ValueError("the identifier is not a JSON object")
            istate_text = istates.get(identifier_text)
            istate = State(orjson.loads(istate_text) if istate_text else {})
        except (ValueError, TypeError) as exc:
            connection.logger.warning(
                "subscription passed over", identifier=identifier_text[:200], error=str(exc)
            )
            return None
        channel_class = self._channel_class(identifier)
        if channel_class is None:
            connection.logger.warning("unknown channel", channel=str(identifier.get("channel")))
            return None
        params = {k: v for k, v in identifier.items() if k != "channel"}
        return channel_class(connection, identifier_text, params, istate)


class RPCServer:
    """The gRPC server with AnyCable's RPC service and the standard health service, and
    the application's sweep if it has one."""

    def __init__(
        self,
        server: grpc.aio.Server,
        port: int,
        health: health_aio.HealthServicer,
        service: RPCService,
        sweeper: Sweeper | None = None,
    ) -> None:
        self.server = server
        # AnyCable's RPC service itself, for a gateway in this process to call directly.
        self.service = service
        self.port = port
        self.health = health
        self.sweeper = sweeper

    async def stop(self, grace: float | None) -> None:
        """Stop taking calls; in-flight calls get `grace` seconds to finish."""
        await self.health.enter_graceful_shutdown()
        if self.sweeper is not None:
            await self.sweeper.stop()
        await self.server.stop(grace)
        log.info("rpc server stopped")


async def start_rpc_server(
    app: Application,
    address: str,
    workers: int = 16,
    interceptors: list[grpc.aio.ServerInterceptor] | None = None,
    metrics: RPCMetrics | None = None,
    maximum_concurrent_rpcs: int | None = None,
    secret: str | None = None,
    credentials: grpc.ServerCredentials | None = None,
) -> RPCServer:
    """Serve `app` on `address` (host:port; port 0 picks one, see `.port`).

    Beyond `maximum_concurrent_rpcs` calls, the server answers RESOURCE_EXHAUSTED. With
    `secret`, a call without it is answered UNAUTHENTICATED; with `credentials`, the port
    speaks TLS (callers.server_credentials).
    """
    metrics = metrics or RPCMetrics()
    if secret is not None:
        check = CallerCheck(secret, lambda method: metrics.refused.labels(method).inc())
        interceptors = [check, *(interceptors or ())]
    server = grpc.aio.server(
        options=SERVER_OPTIONS,
        interceptors=interceptors,
        maximum_concurrent_rpcs=maximum_concurrent_rpcs,
    )
    service = RPCService(app, workers, metrics)
    rpc_pb2_grpc.add_RPCServicer_to_server(service, server)
    # ocpp-cable's extensions: the same calls batched over a stream; gateway node leases.
    batch_pb2_grpc.add_BatchServicer_to_server(BatchService(service), server)
    presence_pb2_grpc.add_PresenceServicer_to_server(
        PresenceService(app.node_lease, service.invoke), server
    )
    health = health_aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health, server)
    with listening("rpc_app", address, "--rpc-host"):
        if credentials is None:
            port = server.add_insecure_port(address)
        else:
            port = server.add_secure_port(address, credentials)
    await server.start()
    for name in ("", SERVICE_NAME, BATCH_SERVICE_NAME, PRESENCE_SERVICE_NAME):
        await health.set(name, health_pb2.HealthCheckResponse.SERVING)
    sweeper = None
    if app.sweep is not None:
        sweeper = Sweeper(app.sweep, service.invoke, app.sweep_every)
        sweeper.start()
    log.info(
        "rpc server started",
        address=address,
        port=port,
        channels=sorted(app.channels),
        callers="with the secret" if secret is not None else "any",
        tls=credentials is not None,
    )
    return RPCServer(server, port, health, service, sweeper)
