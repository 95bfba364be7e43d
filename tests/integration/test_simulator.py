"""The charger simulator, against a real gateway and rpc_app."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import re
import subprocess
import sys
import time
from collections.abc import AsyncIterator

import orjson
import pytest

from ocpp_cable import cli
from ocpp_cable.channels.storage import models
from ocpp_cable.rpc_app import Channel
from ocpp_cable.rpc_app.application import Application
from ocpp_cable.simulator import DIALECTS, SimCharger, SimulationOptions, Stats, simulate, summary
from ocpp_cable.simulator.device_model2 import VARIABLES
from tests.support import apps
from tests.support.central import PASSWORD
from tests.support.conformance import csms
from tests.support.processes import ROOT
from tests.support.servers import eventually, gateway, rpc_server

OCPP_2 = ["2.0.1", "2.1"]


class V2Channel(Channel):
    """A central system of OCPP 2.x that accepts everything and records what reached it
    (the test app's OCPPChannel speaks 1.6)."""

    def subscribed(self):
        # The stream the tests broadcast commands on: the test app's OCPPChannel's.
        self.stream_from(f"ocpp:{self.params['station_id']}")

    def _record(self, action: str, data: dict) -> None:
        apps.record(self.params["station_id"], action, data)

    def boot_notification(self, data):
        self._record("boot_notification", data)  # the gateway's default Accepted

    def status_notification(self, data):
        self._record("status_notification", data)

    def authorize(self, data):
        self._record("authorize", data)
        self.transmit_ack(data["id"], idTokenInfo={"status": "Accepted"})

    def transaction_event(self, data):
        self._record("transaction_event", data)

    def ack(self, data):
        self._record("ack", data)

    def error(self, data):
        self._record("error", data)


@contextlib.asynccontextmanager
async def central_system(ocpp_version: str) -> AsyncIterator:
    """A gateway and its rpc_app for chargers of `ocpp_version`: the test app for 1.6."""
    if ocpp_version == "1.6":
        async with rpc_server() as (_, port, _), gateway(port) as node:
            yield node
        return
    app = Application.of([V2Channel], apps.TestConnection)
    async with (
        rpc_server(app=app) as (_, port, _),
        gateway(port, channel="V2Channel", ocpp_versions=ocpp_version) as node,
    ):
        yield node


async def test_simulated_chargers_run_whole_sessions(record):
    async with rpc_server() as (_, port, _), gateway(port) as node:
        options = SimulationOptions(
            url=f"ws://127.0.0.1:{node.port}/ocpp",
            count=3,
            ramp_up=0.1,
            meter_interval=0.02,
            samples=3,
            duration=0.45,
        )
        stats = await simulate(options, progress=False)
    assert stats.connected == 3 and stats.connect_failures == 0
    assert dict(stats.errors) == {}
    assert len(stats.latencies["BootNotification"]) == 3
    starts, stops = record("start_transaction"), record("stop_transaction")
    assert len(starts) == len(stops) == stats.sessions
    # Every sample of a session, unless the end of the run stopped it early (reason Local).
    # (0.45 s leave each charger time for one session, also on a busy machine; the pause
    # after it, at least 0.5 s, outlasts the run.)
    assert stats.sessions == 3
    for station_id in ("SIM-00000", "SIM-00001", "SIM-00002"):
        (stop,) = record("stop_transaction", station_id)
        taken = len(record("meter_values", station_id))
        assert taken == 3 if stop["payload"]["reason"] == "EVDisconnected" else taken < 3
    assert len(stats.latencies["MeterValues"]) == len(record("meter_values"))
    # Energy rises within a session.
    meters = [
        m["payload"]["meterValue"][0]["sampledValue"][0]["value"]
        for m in record("meter_values", "SIM-00000")
    ]
    assert [int(v) for v in meters[:3]] == sorted(int(v) for v in meters[:3])
    assert "MeterValues" in summary(stats, 1.0)


@pytest.mark.parametrize("ocpp_version", OCPP_2)
async def test_simulated_chargers_run_whole_sessions_in_ocpp_2(ocpp_version, record):
    async with central_system(ocpp_version) as node:
        options = SimulationOptions(
            url=f"ws://127.0.0.1:{node.port}/ocpp",
            count=3,
            ramp_up=0.1,
            meter_interval=0.02,
            samples=3,
            duration=0.45,
            ocpp_version=ocpp_version,
        )
        stats = await simulate(options, progress=False)
    assert stats.connected == 3 and stats.connect_failures == 0
    assert dict(stats.errors) == {}
    assert stats.sessions == 3  # as in 1.6: one each, the pause after it outlasts the run
    assert len(stats.latencies["BootNotification"]) == len(record("boot_notification")) == 3
    assert len(stats.latencies["Authorize"]) == len(record("authorize")) == 3
    events = record("transaction_event")
    assert len(stats.latencies["TransactionEvent"]) == len(events)
    for station_id in ("SIM-00000", "SIM-00001", "SIM-00002"):
        payloads = [e["payload"] for e in record("transaction_event", station_id)]
        kinds = [p["eventType"] for p in payloads]
        stopped = payloads[-1]["transactionInfo"]["stoppedReason"]
        # Every sample, unless the end of the run stopped the session early (Local).
        updates = 3 if stopped == "EVDisconnected" else kinds.count("Updated")
        assert kinds == ["Started"] + ["Updated"] * updates + ["Ended"]
        assert updates <= 3
        assert [p["seqNo"] for p in payloads] == list(range(len(payloads)))
        assert len({p["transactionInfo"]["transactionId"] for p in payloads}) == 1
        energy = [p["meterValue"][0]["sampledValue"][0]["value"] for p in payloads]
        assert energy == sorted(energy)  # it rises through the session
        statuses = [
            s["payload"]["connectorStatus"] for s in record("status_notification", station_id)
        ]
        assert statuses == ["Available", "Occupied", "Available"]


@pytest.mark.parametrize(
    ("ocpp_version", "start", "stop", "started", "ended"),
    [
        ("1.6", ("RemoteStartTransaction", {"idTag": "T"}), "RemoteStopTransaction",
         "start_transaction", "stop_transaction"),
        ("2.0.1", ("RequestStartTransaction", {"idToken": {"idToken": "T", "type": "Central"},
                                               "remoteStartId": 7}),
         "RequestStopTransaction", "transaction_event", "transaction_event"),
        ("2.1", ("RequestStartTransaction", {"idToken": {"idToken": "T", "type": "Central"},
                                             "remoteStartId": 7}),
         "RequestStopTransaction", "transaction_event", "transaction_event"),
    ],
)  # fmt: skip
async def test_the_central_system_starts_and_stops_a_session(
    ocpp_version, start, stop, started, ended, record
):
    async with central_system(ocpp_version) as node:
        charger = SimCharger(
            f"ws://127.0.0.1:{node.port}/ocpp", "SIM-R", Stats(), ocpp_version=ocpp_version,
            meter_interval=60, samples=5,
        )  # fmt: skip
        await charger.connect()
        try:
            await charger.boot()

            def command(action: str, payload: dict, command_id: str) -> None:
                message = {"command": action, "id": command_id, "payload": payload}
                node.broadcast("ocpp:SIM-R", orjson.dumps(message).decode())

            command(*start, "cmd-start")
            (begun,) = await eventually(lambda: record(started, "SIM-R"))
            transaction_id = (
                begun["payload"]["transactionInfo"]["transactionId"]
                if ocpp_version != "1.6"
                else 42  # the test app's
            )
            await eventually(lambda: charger.session and charger.session.transaction_id)
            # A second start finds the connector taken.
            command(*start, "cmd-again")
            command(stop, {"transactionId": transaction_id}, "cmd-stop")
            await eventually(lambda: charger.stats.sessions == 1)  # the end reported
        finally:
            await charger.close()
    acks = {a["id"]: a["payload"] for a in record("ack", "SIM-R")}
    assert acks == {
        "cmd-start": {"status": "Accepted"},
        "cmd-again": {"status": "Rejected"},
        "cmd-stop": {"status": "Accepted"},
    }
    assert record("error", "SIM-R") == []
    assert charger.stats.sessions == 1 and dict(charger.stats.errors) == {}
    end = record(ended, "SIM-R")[-1]["payload"]
    if ocpp_version == "1.6":
        assert begun["payload"]["idTag"] == "T" and end["reason"] == "Remote"
    else:
        assert begun["payload"]["triggerReason"] == "RemoteStart"
        assert begun["payload"]["transactionInfo"]["remoteStartId"] == 7
        assert end["triggerReason"] == "RemoteStop"
        assert end["transactionInfo"]["stoppedReason"] == "Remote"
    assert record("authorize", "SIM-R") == []  # the central system vouched for the idTag


# `simulate --duration D` ends within D plus this, whatever its chargers are doing.
OVERRUN = 2.0


async def run_simulate_command(capsys, *argv: str) -> tuple[int, float, str]:
    """`ocpp-cable simulate ...` as main() runs it (its own event loop, in a thread):
    exit status, seconds it took, and its summary (stdout from its first line on)."""
    capsys.readouterr()
    started = time.monotonic()
    code = await asyncio.to_thread(cli.main, ["simulate", *argv])
    elapsed = time.monotonic() - started
    out = capsys.readouterr().out  # the servers in this test log to stdout too
    return code, elapsed, out[out.find("chargers connected ") :]


async def test_simulate_ends_at_its_duration_mid_session_and_stops_the_transactions(capsys, record):
    # Sessions of 100 MeterValues every 0.3 s would take 30 s; the run has 1.5 s.
    async with rpc_server() as (_, port, _), gateway(port) as node:
        code, elapsed, out = await run_simulate_command(
            capsys,
            f"ws://127.0.0.1:{node.port}/ocpp",
            "--count", "4", "--ramp-up", "0.2", "--meter-interval", "0.3",
            "--samples", "100", "--duration", "1.5",
        )  # fmt: skip
    assert elapsed <= 1.5 + OVERRUN
    assert code == 0, out
    assert out.startswith("chargers connected 4, connect failures 0, sessions 4,")
    assert "MeterValues" in out and "errors:" not in out
    # A session cut short by the end is stopped, not left open at the central system.
    starts, stops = record("start_transaction"), record("stop_transaction")
    assert len(starts) == len(stops) == 4
    assert {s["payload"]["reason"] for s in stops} == {"Local"}


async def test_simulate_speaks_the_ocpp_version_it_is_told(capsys, record):
    async with central_system("2.1") as node:
        code, _, out = await run_simulate_command(
            capsys,
            f"ws://127.0.0.1:{node.port}/ocpp",
            "--ocpp-version", "2.1", "--count", "2", "--ramp-up", "0.1",
            "--meter-interval", "0.1", "--samples", "100", "--duration", "1",
        )  # fmt: skip
    assert code == 0, out
    assert out.startswith("chargers connected 2, connect failures 0, sessions 2,")
    assert "TransactionEvent" in out and "errors:" not in out
    ended = [e for e in record("transaction_event") if e["payload"]["eventType"] == "Ended"]
    assert {e["payload"]["transactionInfo"]["stoppedReason"] for e in ended} == {"Local"}
    assert len(ended) == 2


@contextlib.asynccontextmanager
async def silent_central_system() -> AsyncIterator[str]:
    """Accepts the WebSocket upgrade, then answers nothing: no CALLRESULT, no close frame."""
    handlers: set[asyncio.Task] = set()
    done = asyncio.Event()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        handlers.add(asyncio.current_task())
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            request = await reader.readuntil(b"\r\n\r\n")
            key = re.search(rb"(?i)sec-websocket-key:\s*(\S+)", request).group(1)
            magic = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
            accept = base64.b64encode(hashlib.sha1(key + magic).digest())
            writer.write(
                b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                b"Connection: Upgrade\r\nSec-WebSocket-Protocol: ocpp1.6\r\n"
                b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n"
            )
            while await reader.read(65536):
                pass
            await done.wait()  # the charger closed its side; ours stays open
        writer.transport.abort()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        yield f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}/ocpp"
    finally:
        server.close()
        done.set()
        await asyncio.gather(*handlers)


async def test_simulate_ends_at_its_duration_with_calls_unanswered_and_ramp_up_unfinished(
    capsys,
):
    # A 10 s ramp-up, 30 s call timeouts and closing handshakes nobody answers; 1 s to run.
    async with silent_central_system() as url:
        code, elapsed, out = await run_simulate_command(
            capsys, url, "--count", "20", "--ramp-up", "10", "--duration", "1"
        )
    assert elapsed <= 1 + OVERRUN
    assert code == 1  # nothing was answered: that is an error
    assert out.startswith("chargers connected ")
    connected = int(out.split()[2].rstrip(","))
    assert 0 < connected < 20  # the ramp-up stopped at the end
    assert f"BootNotification: unanswered at the end: {connected}" in out


HEARTBEAT_VARIABLE = {
    "component": {"name": "OCPPCommCtrlr"},
    "variable": {"name": "HeartbeatInterval"},
}


@pytest.mark.parametrize(
    ("ocpp_version", "action", "payload", "reply"),
    [
        ("1.6", "Reset", {"type": "Soft"}, {"status": "Accepted"}),
        ("1.6", "RemoteStartTransaction", {"idTag": "T"}, {"status": "Accepted"}),
        ("1.6", "UnlockConnector", {"connectorId": 1}, {"status": "Unlocked"}),
        ("1.6", "TriggerMessage", {"requestedMessage": "Heartbeat"}, {"status": "Accepted"}),
        ("1.6", "GetConfiguration", {"key": ["HeartbeatInterval"]},
         {"configurationKey": [{"key": "HeartbeatInterval", "readonly": False, "value": "300"}]}),
        ("2.0.1", "Reset", {"type": "OnIdle"}, {"status": "Accepted"}),
        ("2.1", "Reset", {"type": "Immediate"}, {"status": "Accepted"}),
        ("2.0.1", "TriggerMessage", {"requestedMessage": "StatusNotification"},
         {"status": "Accepted"}),
        ("2.1", "UnlockConnector", {"evseId": 1, "connectorId": 1}, {"status": "Unlocked"}),
        ("2.0.1", "GetVariables", {"getVariableData": [HEARTBEAT_VARIABLE]},
         {"getVariableResult": [{"attributeStatus": "Accepted", "attributeValue": "300",
                                 **HEARTBEAT_VARIABLE}]}),
        ("2.1", "GetVariables", {"getVariableData": [HEARTBEAT_VARIABLE]},
         {"getVariableResult": [{"attributeStatus": "Accepted", "attributeValue": "300",
                                 **HEARTBEAT_VARIABLE}]}),
        ("2.1", "SetVariables",
         {"setVariableData": [{"attributeValue": "60", **HEARTBEAT_VARIABLE}]},
         {"setVariableResult": [{"attributeStatus": "Accepted", **HEARTBEAT_VARIABLE}]}),
    ],
)  # fmt: skip
async def test_simulated_charger_answers_remote_commands(
    ocpp_version, action, payload, reply, record
):
    async with central_system(ocpp_version) as node:
        charger = SimCharger(
            f"ws://127.0.0.1:{node.port}/ocpp", "SIM-R", Stats(), ocpp_version=ocpp_version
        )
        await charger.connect()
        try:
            await charger.boot()
            command = {"command": action, "id": "cmd-1", "payload": payload}
            node.broadcast("ocpp:SIM-R", orjson.dumps(command).decode())
            (ack,) = await eventually(lambda: record("ack", "SIM-R"))
        finally:
            await charger.close()
    assert ack["command"] == action and ack["payload"] == reply


def test_simulate_command_line_help():
    result = subprocess.run(
        [sys.executable, "-m", "ocpp_cable.cli", "simulate", "--help"],
        cwd=ROOT, capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert result.returncode == 0
    for option in (
        "--count", "--ramp-up", "--meter-interval", "--duration", "--password", "--ocpp-version",
        "--idle", "--id ", "--id-tags",
    ):  # fmt: skip
        assert option in result.stdout
    # Each option shows its default; the server's settings are not the simulator's options.
    text = " ".join(result.stdout.split())
    for default in (
        "chargers (default: 10)",
        "(default: 1.0)",
        "seconds between MeterValues (default: 5.0)",
        "MeterValues per session (default: 6)",
        "(default: 60.0)",
        "(default: SIM-)",
        "the one idTag every charger presents (default: each its own, TAG-00000...)",
        "0 or 'forever': until Ctrl-C (default: 60.0)",
        "seconds between a charger's sessions, give or take half (default: 30.0)",
        "{" + ",".join(DIALECTS) + "}",  # every version the simulator speaks
        "the OCPP version the chargers speak (default: 1.6)",
    ):
        assert default in text
    for setting in ("--database-url", "--log-level", "--rpc-host", "settings ("):
        assert setting not in result.stdout
    assert "(default: None)" not in text


@pytest.mark.timeout(180)  # every system, each scenario in small: a minute on a busy machine
def test_benchmark_harness_runs():
    """`python -m bench.run --quick`: the systems start, every scenario completes, and
    the reference system stored every reading it acked. (The Node peer needs npm: not here.)"""
    result = subprocess.run(
        [sys.executable, "-m", "bench.run", "--quick", "--systems", "bridge", "sqlite", "ocpp"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    rows, every = {}, []
    for line in result.stdout.splitlines():
        if line.startswith("| ") and not line.startswith(("| measure", "| goal")):
            cells = [c.strip() for c in line.split("|")[1:-1]]
            rows.setdefault(cells[0], cells[1:])
            every.append((cells[0], cells[1:]))
    assert rows["… failures"] == ["0", "0", "0"]  # the reboot storm
    # Every call path of every system ran without a refused call (the chargers' payloads
    # are valid), and its CPU per call was measured.
    errors = [cells for label, cells in every if label == "… errors"]
    assert len(errors) == 3 and all(cells == ["0", "0", "0"] for cells in errors), errors
    cpu = [cells for label, cells in every if label == "… CPU per call, µs"]
    assert cpu and all(float(c.replace(",", "")) > 0 for cells in cpu for c in cells), cpu
    assert rows["one command to all 200 stations: all reached, ms"][1] == "—"
    assert all(float(c.replace(",", "")) > 0 for c in rows["Heartbeat, 10 chargers: calls/s"])
    bridge, reference, peer = rows["stored"]
    assert bridge == peer == "nothing stored"
    kept, _, acked = reference.split(" readings")[0].partition(" of ")
    assert kept == acked and int(acked.replace(",", "")) > 0
    # Browsers at /cable, on the reference system only: every one got every broadcast.
    fanout = rows["browsers: one broadcast to 50 subscribers, p99 ms"]
    assert fanout[0] == fanout[2] == "—" and float(fanout[1].replace(",", "")) > 0
    assert rows["… not delivered"][1] == "0"
    assert float(rows["browsers: a meter value from a charger to its watcher, p50 ms"][1]) > 0


# --- against the reference central system ------------------------------------------------


@contextlib.asynccontextmanager
async def simulated(system, **options) -> AsyncIterator[tuple[Stats, asyncio.Event]]:
    """`simulate` against the reference system's gateway, run until the block ends."""
    ending = asyncio.Event()
    defaults = {"ramp_up": 0, "meter_interval": 0.1, "samples": 100, "idle": 60.0,
                "duration": 0, "password": PASSWORD}  # fmt: skip
    url = f"ws://127.0.0.1:{system.node.port}{system.node.settings.path_prefix}"
    stats = Stats()
    options = SimulationOptions(url=url, **{**defaults, **options})
    run = asyncio.create_task(simulate(options, False, ending, stats))
    try:
        yield stats, ending
    finally:
        ending.set()
        await asyncio.wait_for(run, 10)


async def test_a_refused_idtag_charges_nothing_and_is_counted(tmp_path, capsys):
    async with csms(tmp_path, capsys) as system:
        system.seed("CP-1")
        async with simulated(
            system, ids=["CP-1"], id_tag="NOT-KNOWN", idle=0.05, samples=2, meter_interval=0.05,
            duration=1.5,
        ) as (stats, _):  # fmt: skip
            await asyncio.sleep(1.5)
        assert system.rows(models.Transaction) == []  # refused at Authorize: never started
        (connector,) = system.rows(models.Connector)
        assert connector.status == "Available"
    assert stats.sessions == 0 and stats.refused >= 2
    assert set(stats.refusals) == {"Authorize Invalid"}
    text = summary(stats, 1.5)
    assert f"sessions 0, refused {stats.refused}," in text
    assert f"Authorize Invalid: {stats.refused}" in text


async def test_a_named_station_charges_reports_charging_and_reboots_on_reset(tmp_path, capsys):
    async with csms(tmp_path, capsys) as system:
        system.seed("CP-1")
        async with simulated(system, ids=["CP-1"], id_tag="TAG-1") as (stats, _):
            (tx,) = await eventually(lambda: system.rows(models.Transaction))
            assert tx.station_id == "CP-1" and tx.id_tag == "TAG-1"
            await eventually(lambda: system.rows(models.Connector)[0].status == "Charging")
            await eventually(lambda: len(system.rows(models.MeterValue)) >= 4)
            code, _, err = await system.operator("reset", "CP-1", "--wait")
            assert code == 0, err
            # The session stops (SoftReset), the station reconnects and boots again.
            await eventually(lambda: system.rows(models.Transaction)[0].stop_time is not None)
            (stopped,) = system.rows(models.Transaction)
            assert stopped.stop_reason == "SoftReset"
            await eventually(lambda: len(stats.latencies["BootNotification"]) == 2)
            await eventually(lambda: system.rows(models.Connector)[0].status == "Available")
    assert stats.sessions == 1 and dict(stats.errors) == {}


# What the operator's commands do to a simulated station, in each version: the central
# system composes each in the station's version, the charger answers from what it keeps.
OPERATOR_VERSIONS = ["1.6", "2.0.1"]
# 8 A on three phases at 230 V.
EIGHT_AMPS_W = 8 * 230 * 3


def occupied(version: str) -> str:
    """The connector's status while charging, as the version reports it."""
    return "Charging" if version == "1.6" else "Occupied"


@contextlib.asynccontextmanager
async def waiting(system, version: str, **options) -> AsyncIterator[Stats]:
    """A simulated CP-1 that starts no session of its own (its idTag is refused at
    Authorize, then it idles a minute), booted and Available: what runs there is the
    operator's doing."""
    options = {"ids": ["CP-1"], "id_tag": "NOT-KNOWN", "ocpp_version": version, **options}
    async with simulated(system, **options) as (stats, _):
        await eventually(lambda: stats.refused == 1)
        await eventually(lambda: connector_status(system) == "Available")
        yield stats


def connector_status(system) -> str | None:
    """The simulated connector's status as the central system knows it (None: not yet)."""
    rows = system.rows(models.Connector)
    return rows[0].status if rows else None


def powers(system) -> list[float]:
    rows = system.rows(models.MeterValue, models.MeterValue.measurand == "Power.Active.Import")
    return [float(row.value) for row in rows]


@pytest.mark.parametrize("version", OPERATOR_VERSIONS)
async def test_an_operator_starts_and_stops_a_simulated_session(version, tmp_path, capsys):
    async with csms(tmp_path, capsys) as system:
        system.seed("CP-1")
        async with waiting(system, version) as stats:
            code, out, err = await system.operator("remote-start", "CP-1", "TAG-1", "--wait")
            assert code == 0, (out, err)
            (tx,) = await eventually(lambda: system.rows(models.Transaction))
            assert tx.id_tag == "TAG-1"
            await eventually(lambda: connector_status(system) == occupied(version))
            await eventually(lambda: len(powers(system)) >= 2)
            code, out, err = await system.operator("remote-stop", "CP-1", str(tx.id), "--wait")
            assert code == 0, (out, err)
            await eventually(lambda: system.rows(models.Transaction)[0].stop_time is not None)
            assert system.rows(models.Transaction)[0].stop_reason == "Remote"
            await eventually(lambda: connector_status(system) == "Available")
    assert stats.sessions == 1 and dict(stats.errors) == {}


@pytest.mark.parametrize("version", OPERATOR_VERSIONS)
async def test_a_reservation_holds_a_simulated_connector_for_its_idtag(version, tmp_path, capsys):
    async with csms(tmp_path, capsys) as system:
        system.seed("CP-1", tags=(("TAG-1", "Accepted", None), ("TAG-2", "Accepted", None)))
        async with waiting(system, version) as stats:
            where = ["--connector", "1"] if version == "1.6" else ["--evse", "1"]
            code, out, err = await system.operator(
                "reserve", "CP-1", *where, "--id-tag", "TAG-1", "--expires", "10m"
            )
            assert code == 0, (out, err)
            await eventually(lambda: connector_status(system) == "Reserved")
            # Another idTag may not start there.
            code, out, err = await system.operator("remote-start", "CP-1", "TAG-2", "--wait")
            assert code != 0 and "Rejected" in out + err, (out, err)
            assert system.rows(models.Transaction) == []
            # Its own does, and the session says which reservation it used.
            code, out, err = await system.operator("remote-start", "CP-1", "TAG-1", "--wait")
            assert code == 0, (out, err)
            (tx,) = await eventually(lambda: system.rows(models.Transaction))
            (reservation,) = system.rows(models.Reservation)
            assert tx.reservation_id == reservation.id
    assert dict(stats.errors) == {}


@pytest.mark.parametrize("version", OPERATOR_VERSIONS)
async def test_a_simulated_station_keeps_the_local_list(version, tmp_path, capsys):
    async with csms(tmp_path, capsys) as system:
        system.seed("CP-1")
        async with simulated(system, ids=["CP-1"], ocpp_version=version) as (stats, _):
            await eventually(lambda: connector_status(system) == "Available")
            code, out, err = await system.operator("local-list", "sync", "CP-1")
            assert code == 0 and " sent to CP-1" in out, (out, err)
            await eventually(lambda: [k for k in system.rows(models.LocalList) if k.version == 1])
            code, out, err = await system.operator("local-list", "version", "CP-1", "--wait")
            word = "listVersion" if version == "1.6" else "versionNumber"
            assert code == 0 and out.splitlines()[-1] == f'accepted: {{"{word}":1}}', (out, err)
    assert dict(stats.errors) == {}


@pytest.mark.parametrize("version", OPERATOR_VERSIONS)
async def test_a_station_limit_caps_the_simulated_power(version, tmp_path, capsys):
    async with csms(tmp_path, capsys) as system:
        system.seed("CP-1")
        async with waiting(system, version, samples=4) as stats:  # a plateau
            code, out, err = await system.operator(
                "charging-profiles", "set", "CP-1", "--purpose", "max", "--limit", "8",
                "--unit", "A", "--wait",
            )  # fmt: skip
            assert code == 0, (out, err)
            code, out, err = await system.operator("remote-start", "CP-1", "TAG-1", "--wait")
            assert code == 0, (out, err)
            await eventually(lambda: [t for t in system.rows(models.Transaction) if t.stop_time])
    # Uncapped the EV draws 7400 W on its plateau; 8 A on three phases is 5520 W.
    assert max(powers(system)) == EIGHT_AMPS_W
    assert dict(stats.errors) == {}


FIRMWARE_IMAGE = b"simulated firmware 2.0\n" * 64


@pytest.mark.parametrize("version", OPERATOR_VERSIONS)
async def test_a_simulated_station_installs_the_firmware_it_is_sent(version, tmp_path, capsys):
    (tmp_path / "fw").mkdir()
    (tmp_path / "fw" / "sim-2.0.bin").write_bytes(FIRMWARE_IMAGE)
    served = {"firmware_dir": tmp_path / "fw", "uploads_dir": tmp_path / "uploads"}
    async with csms(tmp_path, capsys, api=True, **served) as system:
        system.seed("CP-1")
        async with simulated(system, ids=["CP-1"], ocpp_version=version) as (stats, _):
            await eventually(lambda: connector_status(system) == "Available")
            code, out, err = await system.operator(
                "firmware", "update", "CP-1", "sim-2.0.bin", "--wait",
                "--files-url", str(system.api.base_url), "--firmware-dir", str(tmp_path / "fw"),
            )  # fmt: skip
            assert code == 0, (out, err)
            await eventually(
                lambda: [u.status for u in system.rows(models.FirmwareUpdate)] == ["Installed"]
            )
            # It reboots on the new firmware.
            await eventually(lambda: len(stats.latencies["BootNotification"]) == 2)
    assert dict(stats.errors) == {}


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_a_simulated_station_downloads_and_installs_when_it_is_told(
    version, tmp_path, capsys
):
    """Not at once: at the retrieve time, and (2.x) at the install time, saying it waits."""
    (tmp_path / "fw").mkdir()
    (tmp_path / "fw" / "sim-2.0.bin").write_bytes(FIRMWARE_IMAGE)
    served = {"firmware_dir": tmp_path / "fw", "uploads_dir": tmp_path / "uploads"}
    when = ["--retrieve-date", "3s"] + ([] if version == "1.6" else ["--install-date", "5s"])
    async with csms(tmp_path, capsys, api=True, **served) as system:
        system.seed("CP-1")
        async with simulated(system, ids=["CP-1"], ocpp_version=version) as (stats, _):
            await eventually(lambda: connector_status(system) == "Available")
            code, out, err = await system.operator(
                "firmware", "update", "CP-1", "sim-2.0.bin", *when,
                "--files-url", str(system.api.base_url), "--firmware-dir", str(tmp_path / "fw"),
            )  # fmt: skip
            assert code == 0, (out, err)
            await asyncio.sleep(1)
            [update] = system.rows(models.FirmwareUpdate)
            assert update.status == ("Requested" if version == "1.6" else "DownloadScheduled")
            assert len(stats.latencies["BootNotification"]) == 1
            if version != "1.6":
                await eventually(
                    lambda: (
                        [u.status for u in system.rows(models.FirmwareUpdate)]
                        == ["InstallScheduled"]
                    ),
                    within=10,
                )
            await eventually(
                lambda: [u.status for u in system.rows(models.FirmwareUpdate)] == ["Installed"],
                within=15,
            )
            await eventually(lambda: len(stats.latencies["BootNotification"]) == 2, within=10)
    assert dict(stats.errors) == {}


# --- a simulated 2.x station's device model, as the reference system operates it --------------


def stored_variables(system) -> dict[str, str | None]:
    """The station's variables as the central system stored them, named as the operator
    names them (`EVSE@1.AvailabilityState`): {name: value}."""
    found = {}
    for row in system.rows(models.StationVariable):
        name = row.component
        if row.evse_id is not None:
            name += f"@{row.evse_id}" + ("" if row.connector_id is None else f":{row.connector_id}")
        name += f".{row.variable}"
        found[name if row.variable_instance is None else f"{name}[{row.variable_instance}]"] = (
            row.value
        )
    return found


def notifications(system, action: str) -> list[dict]:
    rows = system.rows(models.StationNotification, models.StationNotification.action == action)
    return [row.payload for row in rows]


@pytest.mark.parametrize("version", OCPP_2)
async def test_an_operator_reads_and_writes_a_simulated_device_model(version, tmp_path, capsys):
    async with csms(tmp_path, capsys) as system:
        system.seed("CP-1")
        async with waiting(system, version) as stats:
            code, out, err = await system.operator("report", "CP-1", "--base", "FullInventory")
            assert code == 0 and "GetBaseReport " in out, (out, err)
            # Every part of the report stored, each variable at its EVSE and connector.
            await eventually(lambda: len(stored_variables(system)) == len(VARIABLES))
            stored = stored_variables(system)
            assert stored["EVSE@1.AvailabilityState"] == "Available"
            assert stored["Connector@1:1.ConnectorType"] == "cType2"
            parts = notifications(system, "NotifyReport")
            assert [p["seqNo"] for p in parts] == list(range(len(parts))) and len(parts) > 1
            code, out, err = await system.operator(
                "variables", "get", "CP-1", "OCPPCommCtrlr.HeartbeatInterval",
                "EVSE@1.AvailabilityState", "--wait",
            )  # fmt: skip
            assert code == 0 and out.count("Accepted") == 2 and " Available " in out, (out, err)
            code, out, err = await system.operator(
                "variables", "set", "CP-1", "OCPPCommCtrlr.HeartbeatInterval=600", "--wait"
            )
            assert code == 0, (out, err)
            assert stored_variables(system)["OCPPCommCtrlr.HeartbeatInterval"] == "600"
            code, out, err = await system.operator(
                "variables", "set", "CP-1", "EVSE@1.AvailabilityState=Unavailable", "--wait"
            )
            assert re.search(r"EVSE@1\.AvailabilityState\s+Rejected", out), (out, err)  # read-only
            code, out, err = await system.operator(
                "report", "CP-1", "--criteria", "Problem", "--component", "EVSE@1", "--wait"
            )
            assert code == 0 and '{"status":"EmptyResultSet"}' in out, (out, err)
            # The station said it takes 10 variables a request: 12 go in two.
            twelve = [variable.notation for variable in VARIABLES[:12]]
            code, out, err = await system.operator("variables", "get", "CP-1", *twelve, "--wait")
            assert code == 0 and out.count("GetVariables ") == 2, (out, err)
            assert out.count(" Accepted ") == 12
            # Its list, as it is now: none yet.
            code, out, err = await system.operator(
                "report", "CP-1", "--component", "LocalAuthListCtrlr", "--wait"
            )
            assert code == 0, (out, err)
    assert stored_variables(system)["LocalAuthListCtrlr.Entries"] == "0"
    assert dict(stats.errors) == {}


@pytest.mark.parametrize("version", OCPP_2)
async def test_an_operator_sets_and_reports_a_simulated_stations_monitors(
    version, tmp_path, capsys
):
    async with csms(tmp_path, capsys) as system:
        system.seed("CP-1")
        async with waiting(system, version) as stats:
            code, out, err = await system.operator(
                "monitoring", "set", "CP-1", "EVSE@1.AvailabilityState", "--type", "Delta",
                "--value", "1", "--severity", "8", "--wait",
            )  # fmt: skip
            assert code == 0, (out, err)
            assert re.search(r"100\s+EVSE@1\.AvailabilityState\s+Delta\s+8\s+Accepted", out), out
            code, out, err = await system.operator("monitoring", "clear", "CP-1", "100", "101",
                                                   "--wait")  # fmt: skip
            assert code == 0, (out, err)
            assert re.search(r"100\s+Accepted", out) and re.search(r"101\s+NotFound", out), out
            for argv in (("base", "CP-1", "HardWiredOnly"), ("level", "CP-1", "4")):
                code, out, err = await system.operator("monitoring", *argv, "--wait")
                assert code == 0 and 'accepted: {"status":"Accepted"}' in out, (out, err)
            code, out, err = await system.operator(
                "monitoring", "report", "CP-1", "--criteria", "ThresholdMonitoring"
            )
            assert code == 0, (out, err)
            (report,) = await eventually(lambda: notifications(system, "NotifyMonitoringReport"))
            (data,) = report["monitor"]
            assert data["component"] == {"name": "EVSE", "evse": {"id": 1}}
            assert [(m["id"], m["type"]) for m in data["variableMonitoring"]] == [
                (1, "UpperThreshold")
            ]  # hard-wired: it stays whatever the base
            code, out, err = await system.operator(
                "report", "CP-1", "--component", "MonitoringCtrlr", "--wait"
            )
            assert code == 0, (out, err)
            await eventually(
                lambda: stored_variables(system).get("MonitoringCtrlr.ActiveMonitoringLevel")
            )
    stored = stored_variables(system)
    assert stored["MonitoringCtrlr.ActiveMonitoringBase"] == "HardWiredOnly"
    assert stored["MonitoringCtrlr.ActiveMonitoringLevel"] == "4"
    assert dict(stats.errors) == {}


@pytest.mark.parametrize("version", OCPP_2)
async def test_a_simulated_station_keeps_display_messages_and_network_profiles(
    version, tmp_path, capsys
):
    async with csms(tmp_path, capsys) as system:
        system.seed("CP-1")
        async with waiting(system, version) as stats:
            code, out, err = await system.operator(
                "display-messages", "set", "CP-1", "Welcome", "--id", "918273645", "--priority",
                "InFront", "--state", "Idle", "--end", "2099-12-31T23:00:00Z", "--wait",
            )  # fmt: skip
            assert code == 0, (out, err)
            code, out, err = await system.operator(
                "display-messages", "set", "CP-1", "<b>Hi</b>", "--format", "HTML", "--wait"
            )
            assert code == 1 and "NotSupportedMessageFormat" in out, (out, err)
            code, out, err = await system.operator(
                "display-messages", "get", "CP-1", "--priority", "InFront"
            )
            assert code == 0, (out, err)
            (shown,) = await eventually(lambda: notifications(system, "NotifyDisplayMessages"))
            (message,) = shown["messageInfo"]
            assert message["id"] == 918273645 and message["message"]["content"] == "Welcome"
            clear = ("display-messages", "clear", "CP-1", "918273645", "--wait")
            code, out, err = await system.operator(*clear)
            assert code == 0, (out, err)
            code, out, err = await system.operator(*clear)
            assert '{"status":"Unknown"}' in out, (out, err)  # no longer shown
            profile = ("network-profile", "CP-1", "--url", "wss://csms.example.com/ocpp",
                       "--security-profile", "2", "--wait")  # fmt: skip
            code, out, err = await system.operator(*profile, "--slot", "2")
            assert code == 0, (out, err)
            code, out, err = await system.operator(*profile, "--slot", "9")
            assert code == 1 and "InvalidConfSlot" in out, (out, err)
    assert dict(stats.errors) == {}


@pytest.mark.parametrize("version", OCPP_2)
async def test_a_simulated_station_reports_and_clears_a_customers_data(version, tmp_path, capsys):
    async with csms(tmp_path, capsys) as system:
        system.seed("CP-1")
        async with waiting(system, version, samples=2) as stats:
            code, out, err = await system.operator("local-list", "sync", "CP-1")
            assert code == 0, (out, err)
            await eventually(lambda: [k for k in system.rows(models.LocalList) if k.version == 1])
            code, out, err = await system.operator("remote-start", "CP-1", "TAG-1", "--wait")
            assert code == 0, (out, err)
            await eventually(lambda: [t for t in system.rows(models.Transaction) if t.stop_time])
            (tx,) = system.rows(models.Transaction)
            customer = ("customer-information", "CP-1", "--id-token", "TAG-1",
                        "--id-token-type", "ISO14443", "--report", "--wait")  # fmt: skip
            code, out, err = await system.operator(*customer, "--clear")
            assert code == 0, (out, err)
            (report,) = await eventually(lambda: notifications(system, "NotifyCustomerInformation"))
            lines = report["data"].split("\n")
            assert lines[0] == "Local Authorization List: TAG-1 Accepted"
            assert lines[1].startswith(f"Session {tx.station_transaction_id}: ")
            assert lines[2] == "Cleared 1 session(s) of idToken TAG-1 (ISO14443)"
            # The list is the central system's to change: it removes the token itself.
            (listed,) = await eventually(
                lambda: [k for k in system.rows(models.LocalList) if k.version == 2]
            )
            assert listed.entries == {}
            code, out, err = await system.operator(*customer)
            assert code == 0, (out, err)
            reports = await eventually(
                lambda: (r := notifications(system, "NotifyCustomerInformation"))[1:] and r
            )
            assert reports[1]["data"] == "No data about idToken TAG-1 (ISO14443)"
    assert dict(stats.errors) == {}
