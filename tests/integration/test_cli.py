"""The `ocpp-cable` command, run as a user runs it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from tests.support import docs
from tests.support.processes import CLI, ROOT, free_port, wait_for_port


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*CLI, *args],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, **(env or {})},
        cwd=ROOT,
    )


def test_config_masks_secrets_and_flag_beats_environment():
    result = run(
        "config",
        "--port",
        "9100",
        env={"OCPP_CABLE_PORT": "9200", "OCPP_CABLE_BROADCAST_KEY": "s3cret"},
    )
    assert result.returncode == 0, result.stderr
    assert "s3cret" not in result.stdout
    lines = dict(line.split(None, 1) for line in result.stdout.splitlines())
    assert lines["port"] == "9100"
    assert lines["broadcast_key"] == "********"


def test_environment_sets_a_setting():
    result = run("config", env={"OCPP_CABLE_RPC_HOST": "10.0.0.1:6000"})
    assert "10.0.0.1:6000" in result.stdout


@pytest.mark.parametrize(
    ("args", "env", "named"),
    [
        (["--port", "http"], {}, "port (--port / OCPP_CABLE_PORT)"),
        ([], {"OCPP_CABLE_RPC_HOST": "nohost"}, "rpc_host (--rpc-host / OCPP_CABLE_RPC_HOST)"),
        (["--granular-actions", "maybe"], {}, "granular_actions"),
    ],
)
def test_invalid_setting_stops_start_up_naming_it(args, env, named):
    result = run("up", *args, env=env)
    assert result.returncode == 2
    assert named in result.stderr
    assert "Traceback" not in result.stderr


@pytest.fixture
def running_up():
    """`ocpp-cable up` with the hello-world channels from the README."""
    port, http_port, rpc_port = free_port(), free_port(), free_port()
    process = subprocess.Popen(
        [
            *CLI,
            "up",
            "--port",
            str(port),
            "--http-port",
            str(http_port),
            "--rpc-host",
            f"127.0.0.1:{rpc_port}",
            "--rpc-metrics-port",
            str(free_port()),
            "--api-port",
            str(free_port()),
            "--channels-module",
            "examples.hello.hello_channels",
            "--log-format",
            "json",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for_port(port, process)
        yield port, process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=15)


def test_up_serves_the_readme_hello_world_charger(running_up):
    port, process = running_up
    charger = subprocess.run(
        [sys.executable, "examples/hello/charger.py", f"ws://127.0.0.1:{port}/ocpp/CP-1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert charger.returncode == 0, charger.stderr
    assert "boot: Accepted interval 300" in charger.stdout
    assert "authorize: Accepted" in charger.stdout
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=15) == 0
    events = [orjson.loads(line) for line in process.stderr.read().splitlines()
              if line.startswith("{")]  # fmt: skip
    assert any(e["event"] == "hello" and e.get("vendor") == "World" for e in events)
    # The GetConfiguration reply came back to the channel's `ack`.
    answered = [e for e in events if e["event"] == "station answered"]
    assert answered and "HeartbeatInterval" in str(answered)


def test_readme_shows_the_hello_world_files():
    for name in ("hello_channels.py", "charger.py"):
        body = (ROOT / "examples" / "hello" / name).read_text().strip()
        assert body in docs.text(), f"README's copy of examples/hello/{name} is out of date"
        assert docs.page_with(body) == Path("README.md"), "the hello world is the README's"


def test_gateway_alone_needs_a_broadcast_key(tmp_path):
    no_key = {"OCPP_CABLE_BROADCAST_KEY_FILE": str(tmp_path / "missing.key")}
    result = run("gateway", "--port", "0", "--http-port", "0", env=no_key)
    assert result.returncode == 2
    assert "broadcast_key (--broadcast-key / OCPP_CABLE_BROADCAST_KEY)" in result.stderr


def test_docs_settings_tables_are_current():
    from devtools import docs as generated

    page = generated.page_holding("settings")
    assert page == ROOT / "docs" / "settings.md"
    table = generated.read_block(page.read_text(), "settings")
    assert table == generated.settings_table(), "settings table is stale: run `make docs`"
    page = generated.page_holding("anycable-aliases")
    assert page == ROOT / "docs" / "anycable-go-pro.md"
    aliases = generated.read_block(page.read_text(), "anycable-aliases")
    assert aliases == generated.anycable_table(), "AnyCable names are stale: run `make docs`"


def test_migrate_creates_the_schema(tmp_path):
    import sqlite3

    path = tmp_path / "m.db"
    result = run("migrate", "--database-url", f"sqlite:///{path}")
    assert result.returncode == 0, result.stderr
    tables = {r[0] for r in sqlite3.connect(path).execute("select name from sqlite_master")}
    assert {"charge_points", "transactions", "meter_values", "message_log", "commands"} <= tables


def _ports(taken: int | None = None, where: str | None = None) -> list[str]:
    """`up`'s every port free, but for `where` (a flag) set to the `taken` one."""
    flags = {
        "--port": str(free_port()),
        "--http-port": str(free_port()),
        "--rpc-host": f"127.0.0.1:{free_port()}",
        "--rpc-metrics-port": str(free_port()),
        "--api-port": str(free_port()),
    }
    if where is not None:
        flags[where] = f"127.0.0.1:{taken}" if where == "--rpc-host" else str(taken)
    return [word for pair in flags.items() for word in pair]


@pytest.mark.parametrize(
    ("flag", "named"),
    [
        ("--port", "the gateway (chargers' WebSockets) cannot listen on 127.0.0.1:{}"),
        ("--http-port", "the gateway's HTTP endpoints (/_broadcast, /health, /metrics)"),
        ("--rpc-host", "rpc_app cannot listen on 127.0.0.1:{}"),
        ("--rpc-metrics-port", "rpc_app's /metrics cannot listen on 127.0.0.1:{}"),
        ("--api-port", "the HTTP API and dashboard cannot listen on 127.0.0.1:{}"),
    ],
)
def test_a_port_in_use_stops_up_naming_it_and_releases_the_rest(tmp_path, flag, named):
    """Whichever port is taken, `up` says which, by which setting, with no traceback, and
    exits: the parts that had started give their ports back (none serves alone)."""
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        argv = [*CLI, "up", *_ports(port, flag), "--database-url", f"sqlite:///{tmp_path}/u.db"]
        result = subprocess.run(argv, capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert named.format(port) in result.stderr and flag in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_a_second_rpc_app_on_the_same_port_is_refused(tmp_path):
    """gRPC would share the port (SO_REUSEPORT) and take half the gateway's calls."""
    rpc, metrics = free_port(), free_port()
    common = ["--rpc-host", f"127.0.0.1:{rpc}", "--database-url", f"sqlite:///{tmp_path}/r.db"]
    first = subprocess.Popen(
        [*CLI, "rpc", *common, "--rpc-metrics-port", str(metrics)],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        wait_for_port(rpc, first)
        second = subprocess.run(
            [*CLI, "rpc", *common, "--rpc-metrics-port", str(free_port())],
            capture_output=True, text=True, timeout=60, cwd=tmp_path,
        )  # fmt: skip
    finally:
        first.send_signal(signal.SIGINT)
        first.wait(timeout=15)
    assert second.returncode == 1
    assert f"rpc_app cannot listen on 127.0.0.1:{rpc}" in second.stderr, second.stderr
    assert "Traceback" not in second.stderr


def test_commands_find_the_systems_data_from_any_directory(tmp_path):
    """-C DIR (or OCPP_CABLE_DATA_DIR) runs a command in the system's data directory; typed
    elsewhere without it, a command says it makes a new database, and where."""
    data, elsewhere = tmp_path / "data", tmp_path / "elsewhere"
    elsewhere.mkdir()

    def cli(*argv: str, env: dict | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            [*CLI, *argv], capture_output=True, text=True, timeout=60, cwd=elsewhere,
            env={**os.environ, **(env or {})},
        )  # fmt: skip

    assert cli("-C", str(data), "migrate").returncode == 0  # makes the directory
    assert (data / "ocpp_cable.db").exists()
    assert cli("stations", "add", "CP-7", "-C", str(data)).returncode == 2  # -C goes first
    added = cli("-C", str(data), "stations", "add", "CP-7")
    assert added.returncode == 0 and "note:" not in added.stderr, added.stderr
    by_env = cli("stations", "list", "--json", env={"OCPP_CABLE_DATA_DIR": str(data)})
    assert [row["id"] for row in orjson.loads(by_env.stdout)] == ["CP-7"], by_env.stderr
    lost = cli("stations", "list")
    assert lost.returncode == 0 and lost.stdout.strip() == "no stations"
    assert f"no database at {elsewhere / 'ocpp_cable.db'}: a new, empty one" in lost.stderr
    assert "-C DIR or OCPP_CABLE_DATA_DIR" in lost.stderr
    missing = cli("-C", str(tmp_path / "nowhere"), "stations", "list")
    assert missing.returncode == 2
    assert f"data directory {tmp_path / 'nowhere'} does not exist" in missing.stderr
