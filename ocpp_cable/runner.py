"""Run the gateway, rpc_app, or both in one process, until SIGINT or SIGTERM.

Each part is imported by the function that runs it: a gateway process loads no rpc_app,
an rpc_app process no gateway, and neither the reference system's web API.
"""

from __future__ import annotations

import asyncio
import gc
import ipaddress
import secrets
import signal
import sys
from typing import TYPE_CHECKING

import structlog
from pydantic import SecretStr

from ocpp_cable.foundation.key_file import KeyFileError, ensure_key
from ocpp_cable.foundation.listening import listening
from ocpp_cable.foundation.settings import (
    GatewaySettings,
    ProcessSettings,
    RPCAppSettings,
    SettingsError,
)

if TYPE_CHECKING:  # the reference system's settings: a gateway process never loads them
    from ocpp_cable.channels.settings import OperatorAPIServerSettings, Settings
    from ocpp_cable.rpc_app.application import Application
    from ocpp_cable.rpc_app.server import RPCServer

log = structlog.get_logger("ocpp_cable")

# How long a thread may hold the GIL while another waits for it (CPython: 5 ms). Our
# processes pass work between the event loop and gRPC's poller thread (and rpc_app's
# store writer) thousands of times a second; at 5 ms a hand-over, each call would wait
# behind the other thread's turn instead of the CPU.
GIL_SWITCH_INTERVAL = 0.0005

# The collector's defaults (a young collection every 700 allocations) move the objects
# of every call in flight, which live for up to a second, into the oldest generation,
# and full collections of a heap holding thousands of connections then stop the process
# for hundreds of milliseconds (measured: 500-600 ms in the gateway after a storm of
# 10,000 chargers, the p99 of 1,000 chargers 1.3 s). Young collections every 50,000
# allocations let them die young: p99 0.7 s, memory per charger unchanged.
GC_THRESHOLDS = (50_000, 10, 10)


def tune_collector() -> None:
    """What the process imported never becomes garbage: out of every collection's way."""
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def loop_factory(settings: ProcessSettings):
    """uvloop by default: the same asyncio code, a faster loop underneath."""
    sys.setswitchinterval(GIL_SWITCH_INTERVAL)
    tune_collector()
    if settings.event_loop == "uvloop":
        import uvloop

        return uvloop.new_event_loop
    return None


def _stop_event() -> asyncio.Event:
    """Set by SIGINT or SIGTERM. Made before a server starts: a signal that comes while it
    binds its ports still stops it gracefully, once it is up, rather than killing it."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop


def loopback(address: str) -> bool:
    """Is `address` (host:port, or unix:...) reachable from this machine only?"""
    if address.startswith("unix"):
        return True
    host = address.rpartition(":")[0].strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a name: whatever it resolves to, it is not ours to trust


def rpc_caller_check(settings: RPCAppSettings) -> str | None:
    """The secret rpc_app requires of callers. None only on a loopback address (or with
    mutual TLS): anyone who reaches the port could otherwise speak for any station."""
    if settings.rpc_tls_ca and not settings.rpc_tls_cert:
        # The gateway verifies rpc_app with it; rpc_app without a certificate speaks no TLS.
        raise SettingsError(
            "invalid setting rpc_tls_ca (--rpc-tls-ca / OCPP_CABLE_RPC_TLS_CA): rpc_app "
            "requires client certificates only over TLS; give it --rpc-tls-cert and "
            "--rpc-tls-key too"
        )
    secret = settings.rpc_auth_secret() if settings.rpc_auth else None
    if secret is None and not loopback(settings.rpc_host) and not settings.rpc_tls_ca:
        setting = "rpc_secret (OCPP_CABLE_RPC_SECRET / --rpc-secret)"
        if not settings.rpc_auth:
            setting = "rpc_auth (OCPP_CABLE_RPC_AUTH / --rpc-auth)"
        raise SettingsError(
            f"invalid setting {setting}: rpc_app listens on {settings.rpc_host}, beyond "
            "this machine, and would serve any caller as the gateway; give it and the "
            "gateway the same OCPP_CABLE_RPC_SECRET (or the same broadcast key, which it is "
            "made from), or --rpc-tls-cert, --rpc-tls-key and --rpc-tls-ca for mutual TLS"
        )
    return secret


async def start_rpc(settings: RPCAppSettings) -> tuple[RPCServer, Application]:
    from ocpp_cable.rpc_app import broadcasting
    from ocpp_cable.rpc_app.application import load_application
    from ocpp_cable.rpc_app.callers import server_credentials
    from ocpp_cable.rpc_app.metrics import RPCMetrics
    from ocpp_cable.rpc_app.server import start_rpc_server

    secret = rpc_caller_check(settings)
    app = load_application(settings.channels_module)
    if app.setup is not None:
        app.setup(settings)
    broadcasting.configure(broadcasting.from_settings(settings))
    metrics = RPCMetrics()
    credentials = None
    if settings.rpc_tls_cert:
        credentials = server_credentials(
            settings.rpc_tls_cert, settings.rpc_tls_key, settings.rpc_tls_ca
        )
    server = await start_rpc_server(
        app,
        settings.rpc_host,
        settings.rpc_workers,
        metrics=metrics,
        secret=secret,
        credentials=credentials,
    )
    address = f"{settings.rpc_metrics_host}:{settings.rpc_metrics_port}"
    try:
        with listening("rpc_app's /metrics", address, "--rpc-metrics-port"):
            metrics.serve(settings.rpc_metrics_host, settings.rpc_metrics_port)
    except BaseException:
        await server.stop(grace=0)
        raise
    return server, app


async def run_rpc(settings: RPCAppSettings) -> None:
    stop = _stop_event()
    server, _ = await start_rpc(settings)
    try:
        await stop.wait()
        log.info("shutting down")
    finally:
        await server.stop(grace=settings.shutdown_timeout)


def require_broadcast_key(settings: GatewaySettings) -> None:
    if "http" not in settings.adapters() or not settings.broadcast_auth:
        return
    try:
        key = settings.broadcast_secret()
    except KeyFileError as exc:
        raise SettingsError(str(exc)) from None
    if key is None:
        raise SettingsError(
            "invalid setting broadcast_key (--broadcast-key / OCPP_CABLE_BROADCAST_KEY): "
            "POST /_broadcast needs a bearer key; set one, put one in "
            f"{settings.broadcast_key_file} (--broadcast-key-file), or --broadcast-auth false"
        )


async def run_gateway(settings: GatewaySettings) -> None:
    from ocpp_cable.gateway.node import GatewayNode

    require_broadcast_key(settings)
    stop = _stop_event()
    node = GatewayNode(settings)
    await node.start()
    try:
        await stop.wait()
        log.info("shutting down")
    finally:
        await node.stop()


async def run_api(settings: OperatorAPIServerSettings) -> None:
    from ocpp_cable.rpc_app import broadcasting

    # Commands and live events go out through this process's own broadcaster.
    broadcasting.configure(broadcasting.from_settings(settings))
    from ocpp_cable.channels import serve_operators

    stop = _stop_event()
    api = await serve_operators(settings)
    try:
        await stop.wait()
        log.info("shutting down")
    finally:
        await api.stop()


def embedded(settings: Settings) -> Settings:
    """`up` runs both halves together: they share a broadcast key and URL, and the
    secret the gateway shows rpc_app.

    With no key set, the key lives in --broadcast-key-file (created on first use),
    where `ocpp-cable send` and `broadcast` in the same directory find it. The RPC
    secret is --rpc-secret, else derived from that key; with neither (the broadcast
    check turned off), one made for this run: the RPC port never serves just anyone.
    """
    update: dict[str, object] = {"broadcast_url": settings.broadcast_endpoint()}
    if settings.broadcast_auth and settings.broadcast_key is None:
        try:
            key = ensure_key(settings.broadcast_key_file)
        except (KeyFileError, OSError) as exc:
            raise SettingsError(
                f"broadcast key file {settings.broadcast_key_file}: {exc}"
            ) from None
        update["broadcast_key"] = SecretStr(key)
    settings = settings.model_copy(update=update)
    if settings.rpc_auth_secret() is None:
        settings = settings.model_copy(update={"rpc_secret": SecretStr(secrets.token_hex(32))})
    return settings


async def run_up(settings: Settings) -> None:
    from ocpp_cable.gateway.node import GatewayNode

    # HTTP broadcasts to no gateway but this one go to it directly, not over HTTP.
    in_process_broadcasts = settings.broadcaster == "http" and not settings.broadcast_url
    settings = embedded(settings)
    stop = _stop_event()
    server, app = await start_rpc(settings)
    api = gateway = None
    try:
        # What the application offers people (the reference system: its API and
        # dashboard; another application's data is not in those tables). Started before
        # chargers come: a port in use stops start-up before any station is served.
        if app.serve_operators is not None:
            api = await app.serve_operators(settings)
        # Its calls to rpc_app stay in this process: no gRPC, no encoding between them.
        node = GatewayNode(settings, local_rpc=server.service)
        await node.start()  # one that fails gives back what it took
        gateway = node
        if in_process_broadcasts:
            from ocpp_cable.rpc_app import broadcasting

            broadcasting.configure(
                broadcasting.InProcessBroadcaster(
                    asyncio.get_running_loop(), node.broadcasts.on_message
                )
            )
        await stop.wait()
        log.info("shutting down")
    finally:
        # People first (nothing new is asked), then chargers (their Disconnect calls need
        # rpc_app), then rpc_app. What started is stopped also when a later part could
        # not start: the process exits instead of serving half a system.
        if api is not None:
            await api.stop()
        if gateway is not None:
            await gateway.stop()
        await server.stop(grace=settings.shutdown_timeout)
