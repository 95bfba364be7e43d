"""No password inside a URL reaches a terminal or a log line (issue: secrets in output)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess

import orjson
import pytest
import websockets

from ocpp_cable.foundation.redact import mask_secrets
from tests.support.processes import CLI, ROOT, free_port, wait_for_port

SECRET_URLS = {
    "OCPP_CABLE_DATABASE_URL": "postgresql+psycopg://ocpp:db-pass-1@127.0.0.1:5432/ocpp",
    "OCPP_CABLE_REDIS_URL": "redis://:redis-pass-2@127.0.0.1:{port}/0",
    "OCPP_CABLE_NATS_SERVERS": "nats://u:nats-pass-3@127.0.0.1:{port},nats://tok-4@127.0.0.1:{port}",
    "OCPP_CABLE_BROADCAST_URL": "http://u:http-pass-5@127.0.0.1:{port}/_broadcast",
}
SECRETS = ("db-pass-1", "redis-pass-2", "nats-pass-3", "tok-4", "http-pass-5")


def secret_env(tmp_path) -> dict[str, str]:
    closed = free_port()  # nothing listens there
    env = {k: v for k, v in os.environ.items() if not k.startswith("OCPP_CABLE_")}
    env.update({k: v.format(port=closed) for k, v in SECRET_URLS.items()})
    env["OCPP_CABLE_RPC_TIMEOUT"] = "1"
    return env


def assert_no_secret(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{secret} leaked:\n{text}"


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("postgresql+psycopg://u:p@h/db", "postgresql+psycopg://u:***@h/db"),
        ("redis://:p@h:6379/0", "redis://:***@h:6379/0"),
        ("nats://token@h:4222", "nats://***@h:4222"),
        ("cannot reach http://a:b@h/x: refused", "cannot reach http://a:***@h/x: refused"),
        ("sqlite:///x.db?password=p&mode=ro", "sqlite:///x.db?password=***&mode=ro"),
        ("http://h/x", "http://h/x"),
        ("no url here: a@b", "no url here: a@b"),
    ],
)
def test_mask_secrets(text, masked):
    assert mask_secrets(text) == masked


def test_config_masks_every_url(tmp_path):
    result = subprocess.run(
        [*CLI, "config"], cwd=ROOT, env=secret_env(tmp_path), capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert_no_secret(result.stdout + result.stderr)
    assert "postgresql+psycopg://ocpp:***@127.0.0.1:5432/ocpp" in result.stdout


@pytest.mark.parametrize("broadcaster", ["http", "redis", "nats"])
def test_send_failure_names_no_password(tmp_path, broadcaster):
    result = subprocess.run(
        [*CLI, "send", "CP-1", "ClearCache", "--no-record", "--broadcaster", broadcaster],
        cwd=ROOT, env=secret_env(tmp_path), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert "broadcast failed" in result.stderr
    assert_no_secret(result.stdout + result.stderr)


def test_failed_broadcasts_in_channels_log_no_password(tmp_path):
    env = secret_env(tmp_path)
    env["OCPP_CABLE_DATABASE_URL"] = f"sqlite:///{tmp_path}/x.db"
    env["OCPP_CABLE_BROADCASTER"] = "redis"  # `up` would post to itself over HTTP
    port = free_port()
    server = subprocess.Popen(
        [*CLI, "up", "--channels-module", "tests.support.secret_leak_app", "--port", str(port),
         "--http-port", str(free_port()), "--rpc-host", f"127.0.0.1:{free_port()}",
         "--rpc-metrics-port", str(free_port()), "--api-port", str(free_port()),
         "--log-format", "json"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        wait_for_port(port, server)

        async def charger():
            url = f"ws://127.0.0.1:{port}/ocpp/CP-S"
            async with websockets.connect(url, subprotocols=["ocpp1.6"]) as ws:
                await ws.send('[2,"a1","Authorize",{"idTag":"T"}]')
                assert orjson.loads(await ws.recv())[0] == 3
                await ws.send('[2,"d1","DataTransfer",{"vendorId":"v"}]')
                assert orjson.loads(await ws.recv())[:3] == [4, "d1", "InternalError"]
                await asyncio.sleep(0.5)  # the threaded publish fails and is logged

        asyncio.run(charger())
    finally:
        server.send_signal(signal.SIGTERM)
        _, logs = server.communicate(timeout=20)
    events = {orjson.loads(line)["event"] for line in logs.splitlines() if line.startswith("{")}
    assert {"broadcast failed", "command failed", "perform not successful"} <= events, events
    assert "Traceback" in logs or '"exception"' in logs
    assert_no_secret(logs)
