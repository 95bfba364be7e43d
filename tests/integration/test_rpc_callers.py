"""Only the gateway may call rpc_app (issue 27, item 2): the shared secret in the call
metadata, TLS and mutual TLS on the link, and the start-up refusal of an open port.
rpc_app is started as `ocpp-cable rpc` starts it (runner.start_rpc) with the reference
central system on SQLite and PostgreSQL; the callers are a bare gRPC stub, as an
attacker on the network would use, and our gateway with real chargers."""

from __future__ import annotations

import contextlib
import os
import subprocess

import grpc
import orjson
import pytest
import trustme
from grpc_health.v1 import health_pb2, health_pb2_grpc
from ocpp.v16 import call

from ocpp_cable import channels, runner
from ocpp_cable.channels.settings import Settings
from ocpp_cable.channels.storage.models import Connector, MessageLog
from ocpp_cable.contract.pb import (
    batch_pb2,
    batch_pb2_grpc,
    presence_pb2,
    presence_pb2_grpc,
    rpc_pb2,
    rpc_pb2_grpc,
)
from ocpp_cable.foundation.settings import SettingsError
from tests.support.central import connected, rows, seed
from tests.support.processes import CLI, free_port, wait_for_port
from tests.support.servers import BROADCAST_KEY, eventually, gateway, subscribed

SECRET = "the-gateway-and-rpc-app-share-this"
FORGED = {"tls-client-subject": "CN=CP-2"}  # what our gateway would only set after TLS


@contextlib.asynccontextmanager
async def rpc_app(database_url: str, **overrides):
    """rpc_app as `ocpp-cable rpc` runs it, on a free port: (its settings, the server)."""
    given = {"rpc_host": f"127.0.0.1:{free_port()}", **overrides}
    settings = Settings(
        database_url=database_url, broadcast_key=BROADCAST_KEY, rpc_metrics_port=0, **given
    )
    server, _ = await runner.start_rpc(settings)
    try:
        yield settings, server
    finally:
        await server.stop(grace=None)
        channels.config.configure(None)


def faulted_status(metadata=()) -> tuple[rpc_pb2.CommandMessage, tuple]:
    data = {
        "action": "status_notification",
        "command": "StatusNotification",
        "id": "forged-1",
        "payload": {"connectorId": 1, "errorCode": "GroundFailure", "status": "Faulted"},
    }
    identifier = orjson.dumps({"channel": "OCPPChannel", "station_id": "CP-2"}).decode()
    request = rpc_pb2.CommandMessage(
        command="message",
        identifier=identifier,
        connection_identifiers=orjson.dumps({"station_id": "CP-2"}).decode(),
        data=orjson.dumps(data).decode(),
        env=rpc_pb2.Env(url="http://h/ocpp/CP-2", headers=FORGED),
    )
    return request, (*metadata, ("sid", "attacker"), ("protov", "v1"))


async def test_a_caller_without_the_secret_is_refused_every_call(database_url):
    seed(database_url, "CP-2")
    async with rpc_app(database_url, rpc_secret=SECRET) as (settings, _):
        async with grpc.aio.insecure_channel(settings.rpc_host) as channel:
            rpc = rpc_pb2_grpc.RPCStub(channel)
            connect = rpc_pb2.ConnectionRequest(
                env=rpc_pb2.Env(url="http://h/ocpp/CP-2", headers=FORGED)
            )
            for metadata in ((), (("authorization", "Bearer wrong"),)):
                with pytest.raises(grpc.aio.AioRpcError) as refused:
                    await rpc.Connect(connect, metadata=metadata)
                assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
                request, with_sid = faulted_status(metadata)
                with pytest.raises(grpc.aio.AioRpcError) as refused:
                    await rpc.Command(request, metadata=with_sid)
                assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
                with pytest.raises(grpc.aio.AioRpcError) as refused:
                    await rpc.Disconnect(
                        rpc_pb2.DisconnectRequest(identifiers='{"station_id":"CP-2"}'),
                        metadata=metadata,
                    )
                assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
                # ocpp-cable's extensions too: the batch stream and the node lease.
                stream = batch_pb2_grpc.BatchStub(channel).Calls(metadata=metadata)
                await stream.write(batch_pb2.CallBatch(calls=[batch_pb2.Call(tag=1)]))
                with pytest.raises(grpc.aio.AioRpcError) as refused:
                    await stream.read()
                assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
                with pytest.raises(grpc.aio.AioRpcError) as refused:
                    await presence_pb2_grpc.PresenceStub(channel).Renew(
                        presence_pb2.Lease(node="n", ttl=30, stations=["CP-2"]), metadata=metadata
                    )
                assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
            # Nothing of CP-2 was stored; a load balancer's health probe still gets through.
            assert rows(database_url, Connector) == []
            assert rows(database_url, MessageLog) == []
            health = await health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest()
            )
            assert health.status == health_pb2.HealthCheckResponse.SERVING
            # With the secret, the same forged connection reaches the application.
            answer = await rpc.Connect(connect, metadata=(("authorization", f"Bearer {SECRET}"),))
            assert answer.status == rpc_pb2.SUCCESS


async def test_the_secret_is_derived_from_the_broadcast_key_when_none_is_set(database_url):
    """`ocpp-cable rpc` and `gateway` run apart share the key file, so they share the
    secret made from it without another setting."""
    from ocpp_cable.foundation.key_file import derived_key

    seed(database_url, "CP-2")
    async with rpc_app(database_url) as (settings, _):
        assert settings.rpc_auth_secret() == derived_key(BROADCAST_KEY, "rpc-cable")
        async with grpc.aio.insecure_channel(settings.rpc_host) as channel:
            request, with_sid = faulted_status()
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await rpc_pb2_grpc.RPCStub(channel).Command(request, metadata=with_sid)
            assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_a_gateway_with_the_secret_serves_stations_and_one_without_gets_503(
    database_url, capsys
):
    seed(database_url, "CP-1")
    async with rpc_app(database_url, rpc_secret=SECRET) as (settings, _):
        port = int(settings.rpc_host.rpartition(":")[2])
        async with gateway(port, rpc_secret=SECRET) as node:
            async with connected(node, "CP-1") as cp:
                await eventually(lambda: subscribed(node, "CP-1"))
                boot = await cp.call(
                    call.BootNotification(charge_point_model="M", charge_point_vendor="V")
                )
                assert boot.status == "Accepted"
        async with gateway(port, rpc_secret="not-the-secret") as node:
            with pytest.raises(Exception) as refused:
                async with connected(node, "CP-1"):
                    pass
            assert "503" in str(refused.value)
    assert "rpc_app refused this gateway" in "".join(capsys.readouterr())


async def test_mutual_tls_on_the_rpc_link(database_url, tmp_path):
    """rpc_app with --rpc-tls-ca takes only callers with a certificate that CA signed."""
    ca = trustme.CA()
    server_cert = ca.issue_cert("127.0.0.1", "localhost")
    client_cert = ca.issue_cert("gateway.internal")
    paths = {}
    for name, blob in (
        ("ca", ca.cert_pem),
        ("server", server_cert.cert_chain_pems[0]),
        ("server_key", server_cert.private_key_pem),
        ("client", client_cert.cert_chain_pems[0]),
        ("client_key", client_cert.private_key_pem),
    ):
        paths[name] = str(tmp_path / f"{name}.pem")
        blob.write_to_path(paths[name])
    seed(database_url, "CP-1")
    async with rpc_app(
        database_url,
        rpc_tls_cert=paths["server"],
        rpc_tls_key=paths["server_key"],
        rpc_tls_ca=paths["ca"],
    ) as (settings, _):
        port = int(settings.rpc_host.rpartition(":")[2])
        tls = {"rpc_tls_ca": paths["ca"]}
        client = {"rpc_tls_cert": paths["client"], "rpc_tls_key": paths["client_key"]}
        async with gateway(port, **tls, **client) as node:
            async with connected(node, "CP-1") as cp:
                boot = await cp.call(
                    call.BootNotification(charge_point_model="M", charge_point_vendor="V")
                )
                assert boot.status == "Accepted"
        # Without a client certificate, or in plain text, the handshake fails.
        for overrides in (tls, {}):
            async with gateway(port, rpc_timeout=1.0, **overrides) as node:
                with pytest.raises(Exception) as refused:
                    async with connected(node, "CP-1"):
                        pass
                assert "503" in str(refused.value)


def test_rpc_refuses_to_listen_beyond_this_machine_without_a_secret(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OCPP_CABLE_", "ANYCABLE_"))}
    argv = [*CLI, "rpc", "--rpc-host", f"0.0.0.0:{port}", "--rpc-metrics-port", "0",
            "--database-url", f"sqlite:///{tmp_path}/db.sqlite"]  # fmt: skip
    refused = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True)
    assert refused.returncode == 2
    assert "rpc_secret" in refused.stderr and f"0.0.0.0:{port}" in refused.stderr
    # With a secret (here through the environment: flags show in `ps`) it starts.
    env = {**env, "OCPP_CABLE_RPC_SECRET": SECRET}
    process = subprocess.Popen(argv, cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True)
    try:
        wait_for_port(port, process)
    finally:
        process.terminate()
        process.wait(timeout=15)
    assert SECRET not in process.stderr.read()


async def test_rpc_auth_false_serves_a_caller_without_secret_on_loopback_only(database_url):
    """Behind anycable-go, whose gRPC client sends no secret: rpc_app beside it, on
    loopback, with --rpc-auth false; beyond this machine that is refused at start-up."""
    seed(database_url, "CP-2")
    async with rpc_app(database_url, rpc_auth=False) as (settings, _):
        async with grpc.aio.insecure_channel(settings.rpc_host) as channel:
            request, with_sid = faulted_status()
            answer = await rpc_pb2_grpc.RPCStub(channel).Command(request, metadata=with_sid)
            assert answer.status == rpc_pb2.SUCCESS
    with pytest.raises(SettingsError, match="rpc_auth"):
        async with rpc_app(database_url, rpc_auth=False, rpc_host="0.0.0.0:50051"):
            pass


async def test_a_client_ca_without_a_certificate_is_refused_at_start_up(database_url, tmp_path):
    """--rpc-tls-ca alone would be no TLS at all: rpc_app open beyond loopback."""
    ca = tmp_path / "ca.pem"
    trustme.CA().cert_pem.write_to_path(str(ca))
    with pytest.raises(SettingsError, match="rpc_tls_ca"):
        async with rpc_app(
            database_url, rpc_auth=False, rpc_host="0.0.0.0:50051", rpc_tls_ca=str(ca)
        ):
            pass
