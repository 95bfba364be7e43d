"""What each `ocpp-cable` command loads: the framework apart from the reference system.

Each command runs in a process of its own under a wrapper that, when the command
returns (after SIGTERM for a server), writes down every module the process imported.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import grpc
import orjson

from tests.support.processes import ROOT, free_port, wait_for_port

# Runs `ocpp_cable.cli.main(argv)`, then writes sorted(sys.modules) to argv[1].
WRAPPER = textwrap.dedent(
    """
    import json, sys
    from ocpp_cable import cli
    try:
        cli.main(sys.argv[2:])
    except SystemExit:
        pass
    with open(sys.argv[1], "w") as out:
        json.dump(sorted(sys.modules), out)
    """
)
DATABASE = ("sqlalchemy", "alembic", "psycopg")
WEB = ("fastapi", "starlette", "hypercorn")
REFERENCE = ("ocpp_cable.channels",)


def loaded_by(tmp_path: Path, *argv: str, port: int | None = None, cwd: Path = ROOT) -> set[str]:
    """The modules `ocpp-cable argv...` imported; a server (`port`) is stopped by SIGTERM."""
    out = tmp_path / "modules.json"
    process = subprocess.Popen(
        [sys.executable, "-c", WRAPPER, str(out), *argv],
        cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    if port is not None:
        wait_for_port(port, process)
        process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=30)
    assert out.exists(), stderr
    return set(json.loads(out.read_text()))


def among(modules: set[str], roots: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == r or m.startswith(f"{r}.") for r in roots))


def test_gateway_help_loads_no_database_web_framework_or_application(tmp_path):
    modules = loaded_by(tmp_path, "gateway", "--help")
    assert among(modules, (*DATABASE, *WEB, *REFERENCE, "ocpp_cable.rpc_app", "grpc")) == []


def test_a_running_gateway_loads_no_database_web_framework_or_application(tmp_path):
    port = free_port()
    modules = loaded_by(
        tmp_path, "gateway", "--port", str(port), "--http-port", str(free_port()),
        "--broadcast-auth", "false", port=port,
    )  # fmt: skip
    assert "ocpp_cable.gateway.node" in modules
    assert among(modules, (*DATABASE, *WEB, *REFERENCE, "ocpp_cable.rpc_app")) == []


def test_rpc_with_an_application_of_its_own_loads_no_database_or_gateway(tmp_path):
    port = free_port()
    modules = loaded_by(
        tmp_path, "rpc", "--rpc-host", f"127.0.0.1:{port}", "--rpc-metrics-port",
        str(free_port()), "--channels-module", "examples.hello.hello_channels", port=port,
    )  # fmt: skip
    assert "examples.hello.hello_channels" in modules
    found = among(modules, (*DATABASE, *WEB, "ocpp_cable.gateway", "websockets"))
    assert found == []
    # The `rpc` command's flags include the reference system's (its default application):
    # their declarations load, nothing else of it.
    assert among(modules, REFERENCE) == ["ocpp_cable.channels", "ocpp_cable.channels.settings"]


def test_rpc_with_the_reference_system_loads_its_channels_not_its_operator_tools(tmp_path):
    port = free_port()
    database = f"sqlite:///{tmp_path / 'ocpp.db'}"
    modules = loaded_by(
        tmp_path, "rpc", "--rpc-host", f"127.0.0.1:{port}", "--rpc-metrics-port",
        str(free_port()), "--database-url", database, port=port,
    )  # fmt: skip
    assert {"ocpp_cable.channels.handlers.ocpp_channel", "sqlalchemy"} <= modules
    found = among(
        modules, (*WEB, "ocpp_cable.channels.operators.api", "ocpp_cable.channels.operators.admin",
                  "ocpp_cable.channels.operators.dashboard", "ocpp_cable.gateway"),
    )  # fmt: skip
    assert found == []


def test_config_loads_the_settings_and_no_server(tmp_path):
    """It prints every setting, the reference system's too: their module and no other."""
    modules = loaded_by(tmp_path, "config")
    servers = ("ocpp_cable.gateway", "ocpp_cable.rpc_app")
    assert among(modules, (*DATABASE, *WEB, *servers)) == []
    assert among(modules, REFERENCE) == ["ocpp_cable.channels", "ocpp_cable.channels.settings"]


def user_package(tmp_path: Path, name: str) -> Path:
    """A user's own package called `name` in a working directory: its channel answers
    DataTransfer with "mine", and a module it does not export would fail on import."""
    package = tmp_path / "work" / name
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(
        "from .vendor import OCPPChannel\n\n__all__ = ['OCPPChannel']\n"
    )
    (package / "vendor.py").write_text(
        textwrap.dedent(
            """
            from ocpp_cable import Channel


            class OCPPChannel(Channel):
                def data_transfer(self, data):
                    self.transmit_ack(data["id"], status="Accepted", data="mine")
            """
        )
    )
    (package / "unrelated.py").write_text("raise RuntimeError('not exported, never imported')\n")
    return package.parent


async def test_a_users_own_channels_package_is_what_rpc_serves(tmp_path):
    """Named `channels`, as the card's layout and the README suggest: it is not ours."""
    from ocpp_cable.contract.pb import rpc_pb2, rpc_pb2_grpc

    work = user_package(tmp_path, "channels")
    port, secret = free_port(), "the-gateway-s-secret"
    process = subprocess.Popen(
        [sys.executable, "-m", "ocpp_cable.cli", "rpc", "--rpc-host", f"127.0.0.1:{port}",
         "--channels-module", "channels", "--rpc-metrics-port", str(free_port())],
        cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "OCPP_CABLE_RPC_SECRET": secret},
    )  # fmt: skip
    try:
        await asyncio.to_thread(wait_for_port, port, process)
        data = {"action": "data_transfer", "command": "DataTransfer", "id": "m1",
                "payload": {"vendorId": "v"}}  # fmt: skip
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            response = await rpc_pb2_grpc.RPCStub(channel).Command(
                rpc_pb2.CommandMessage(
                    command="message",
                    identifier='{"channel":"OCPPChannel","station_id":"CP-1"}',
                    connection_identifiers='{"station_id":"CP-1"}',
                    data=orjson.dumps(data).decode(),
                ),
                timeout=10,
                metadata=(("authorization", f"Bearer {secret}"),),
            )
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=10)
    assert response.status == rpc_pb2.SUCCESS, stderr
    message = orjson.loads(response.transmissions[0])["message"]
    assert message["payload"] == {"status": "Accepted", "data": "mine"}
    assert "RuntimeError" not in stderr
