"""The charger simulator, against a real gateway and rpc_app."""

from __future__ import annotations

import subprocess
import sys

import orjson
import pytest

from ocpp_cable.simulator import SimCharger, SimulationOptions, Stats, simulate, summary
from tests import apps
from tests.support import eventually, gateway, rpc_server
from tests.test_cli import ROOT

pytestmark = pytest.mark.integration


async def test_simulated_chargers_run_whole_sessions():
    async with rpc_server() as (_, port, _), gateway(port) as node:
        options = SimulationOptions(
            url=f"ws://127.0.0.1:{node.port}/ocpp",
            count=3,
            ramp_up=0.1,
            meter_interval=0.02,
            samples=3,
            duration=0.3,
        )
        stats = await simulate(options, progress=False)
    assert stats.connected == 3 and stats.connect_failures == 0
    assert dict(stats.errors) == {}
    assert stats.sessions >= 3
    assert len(stats.latencies["MeterValues"]) == 3 * stats.sessions
    assert len(stats.latencies["BootNotification"]) == 3
    starts = apps.recorded("start_transaction")
    assert len(starts) == stats.sessions
    # Energy rises within a session.
    meters = [
        m["payload"]["meterValue"][0]["sampledValue"][0]["value"]
        for m in apps.recorded("meter_values", "SIM-00000")
    ]
    assert [int(v) for v in meters[:3]] == sorted(int(v) for v in meters[:3])
    assert "MeterValues" in summary(stats, 1.0)


@pytest.mark.parametrize(
    ("action", "payload", "reply"),
    [
        ("Reset", {"type": "Soft"}, {"status": "Accepted"}),
        ("RemoteStartTransaction", {"idTag": "T"}, {"status": "Accepted"}),
        ("UnlockConnector", {"connectorId": 1}, {"status": "Unlocked"}),
        ("TriggerMessage", {"requestedMessage": "Heartbeat"}, {"status": "Accepted"}),
    ],
)
async def test_simulated_charger_answers_remote_commands(action, payload, reply):
    async with rpc_server() as (_, port, _), gateway(port) as node:
        charger = SimCharger(f"ws://127.0.0.1:{node.port}/ocpp", "SIM-R", Stats())
        await charger.connect()
        try:
            await charger.boot()
            command = {"command": action, "id": "cmd-1", "payload": payload}
            node.broadcast("ocpp:SIM-R", orjson.dumps(command).decode())
            (ack,) = await eventually(lambda: apps.recorded("ack", "SIM-R"))
        finally:
            await charger.close()
    assert ack["command"] == action and ack["payload"] == reply


def test_simulate_command_line_help():
    result = subprocess.run(
        [sys.executable, "-m", "ocpp_cable.cli", "simulate", "--help"],
        cwd=ROOT, capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert result.returncode == 0
    for option in ("--count", "--ramp-up", "--meter-interval", "--duration", "--password"):
        assert option in result.stdout


def test_benchmark_harness_runs():
    """`python -m bench.run --quick`: both systems start, every scenario completes."""
    result = subprocess.run(
        [sys.executable, "-m", "bench.run", "--quick"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    rows = {
        line.split("|")[1].strip(): [c.strip() for c in line.split("|")[2:5]]
        for line in result.stdout.splitlines()
        if line.startswith("| ") and not line.startswith("| measure")
    }
    assert rows["reboot storm: failures"][:2] == ["0", "0"]
    assert rows["broadcast: stations reached"][:2] == ["200", "200"]
    assert float(rows["heartbeat path: calls/s"][0].replace(",", "")) > 0
