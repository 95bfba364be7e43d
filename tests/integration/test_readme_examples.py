"""The examples of the README and the docs pages, run as written, in a fresh working
directory after `make run`.

The command lines are read from the documentation itself (tests/support/docs.py), so
the docs cannot drift from what works. The only change made to them is the port
numbers: the server here listens where the environment says (the commands read the
same environment), so the test never collides with a `make run` of the developer's.
"""

from __future__ import annotations

import asyncio
import base64
import os
import re
import signal
import sqlite3
import subprocess
from pathlib import Path

import orjson
import websockets

from tests.support.docs import js_example, python_example, shell_command
from tests.support.node_client import NODE_CLIENT, node_client_ready
from tests.support.processes import ROOT, free_port, wait_for_port


class Workdir:
    """A directory like a fresh clone after `make run`: .venv and examples, nothing else."""

    def __init__(self, path: Path) -> None:
        self.path = path
        (path / ".venv").symlink_to(ROOT / ".venv")
        (path / "examples").symlink_to(ROOT / "examples")
        self.port, self.http_port, self.api_port = free_port(), free_port(), free_port()
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("OCPP_CABLE_")},
            "OCPP_CABLE_PORT": str(self.port),
            "OCPP_CABLE_HTTP_PORT": str(self.http_port),
            "OCPP_CABLE_RPC_HOST": f"127.0.0.1:{free_port()}",
            "OCPP_CABLE_RPC_METRICS_PORT": str(free_port()),
            "OCPP_CABLE_API_PORT": str(self.api_port),
        }

    def ported(self, command: str) -> str:
        return (
            command.replace(":9000/", f":{self.port}/")
            .replace(":9001/", f":{self.http_port}/")
            .replace(":9080/", f":{self.api_port}/")
        )

    def make_run(self) -> subprocess.Popen:
        """`make run`, as the Makefile's recipe says: ocpp-cable up with stations registering
        on first connection and files served to stations on this machine."""
        files_url = f"http://127.0.0.1:{self.api_port}"
        return subprocess.Popen(
            [str(self.path / ".venv/bin/ocpp-cable"), "up", "--log-format", "json"],
            cwd=self.path,
            env={**self.env, "OCPP_CABLE_AUTO_REGISTER": "true",
                 "OCPP_CABLE_FILES_URL": files_url},
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip

    def serve(self, starts_with: str) -> subprocess.Popen:
        """The docs' server command that begins with `starts_with`, logging JSON."""
        return subprocess.Popen(
            ["bash", "-c", f"{shell_command(starts_with)} --log-format json"],
            cwd=self.path, env=self.env,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip

    def run(self, command: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["bash", "-c", self.ported(command)],
            cwd=self.path, env=self.env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip


async def connected(work: Workdir, station_id: str, within: float = 20.0) -> None:
    """Wait until the central system holds `station_id` as connected (its Connect ran and
    the station is subscribed), as `stations list` shows it."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while loop.time() < deadline:
        listed = await asyncio.to_thread(work.run, ".venv/bin/ocpp-cable stations list --json")
        rows = orjson.loads(listed.stdout or "[]")
        if any(row["id"] == station_id and row["connected"] for row in rows):
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"{station_id} not connected within {within} s")


class Station:
    """CP-1, connected with its password, answering every CALL it gets."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.calls: list[list] = []

    async def run(self, ready: asyncio.Event) -> None:
        token = base64.b64encode(b"CP-1:s3cret").decode()
        async with websockets.connect(
            f"ws://127.0.0.1:{self.port}/ocpp/CP-1",
            subprotocols=["ocpp1.6"],
            additional_headers={"Authorization": f"Basic {token}"},
        ) as ws:
            ready.set()
            async for text in ws:
                frame = orjson.loads(text)
                if frame[0] == 2:
                    self.calls.append(frame)
                    answer = {"status": "Accepted"}
                    await ws.send(orjson.dumps([3, frame[1], answer]).decode())


async def test_docs_walk_through_and_broadcasts_work_as_written(tmp_path):
    work = Workdir(tmp_path)
    server = work.make_run()
    try:
        wait_for_port(work.port, server)
        key_file = tmp_path / "ocpp_cable.key"
        assert key_file.stat().st_mode & 0o777 == 0o600
        # The walk-through of the reference central system.
        for start in (
            ".venv/bin/ocpp-cable stations add CP-1",
            ".venv/bin/ocpp-cable stations lenient CP-1 --tolerate",
            ".venv/bin/ocpp-cable stations lenient CP-1 --strict",
            ".venv/bin/ocpp-cable tags add TAG-1",
            ".venv/bin/python examples/charging_session.py",
        ):
            done = work.run(shell_command(start))
            assert done.returncode == 0, (start, done.stdout, done.stderr)
        # The Quick start's (its comment aligned: two spaces), not the everyday --station one.
        listed = work.run(shell_command(".venv/bin/ocpp-cable transactions list  "))
        assert "14.8" in listed.stdout, listed.stdout
        values = work.run(shell_command(".venv/bin/ocpp-cable meter-values 1"))
        assert values.returncode == 0 and "11100" in values.stdout, values.stdout
        # Remote commands to CP-1, connected again: from the command line, over HTTP,
        # from Python.
        station, ready = Station(work.port), asyncio.Event()
        connection = asyncio.create_task(station.run(ready))
        await asyncio.wait_for(ready.wait(), 10)
        await connected(work, "CP-1")
        for start in (
            ".venv/bin/ocpp-cable remote-start CP-1 TAG-1 --connector",  # with --wait
            ".venv/bin/ocpp-cable send CP-1 DataTransfer",  # with --wait
            '.venv/bin/ocpp-cable send CP-1 Reset \'{"type": "Soft"}\'',
            ".venv/bin/ocpp-cable broadcast ocpp:CP-1",
            "curl -X POST http://127.0.0.1:9001/_broadcast",
        ):
            done = await asyncio.to_thread(work.run, shell_command(start))
            assert done.returncode == 0, (start, done.stdout, done.stderr)
            # (a word of its own: a random command id may hold the digits)
            assert not re.search(r"\b401\b", done.stdout + done.stderr)
        # The HTTP API: a token, the status, the stations online, a command with its answer.
        made = work.run(shell_command(".venv/bin/ocpp-cable tokens add ops"))
        assert made.returncode == 0 and (tmp_path / "token-ops.token").exists(), made.stderr
        api = 'curl -s -H "Authorization: Bearer $(cat token-ops.token)" '
        status = work.run(shell_command(api + "http://127.0.0.1:9080/api/v1/status"))
        assert orjson.loads(status.stdout)["stations"] == {"total": 1, "connected": 1}
        online = work.run(shell_command(api + "'http://127.0.0.1:9080/api/v1/stations?"))
        assert [s["id"] for s in orjson.loads(online.stdout)["items"]] == ["CP-1"]
        posted = 'curl -s -X POST -H "Authorization: Bearer $(cat token-{}.token)"'
        reset = await asyncio.to_thread(work.run, shell_command(posted.format("ops")))
        command = orjson.loads(reset.stdout)
        assert command["status"] == "accepted" and command["response"] == {"status": "Accepted"}
        # An admin token makes a token over HTTP: in the answer, this once.
        root = work.run(shell_command(".venv/bin/ocpp-cable tokens add root"))
        assert root.returncode == 0 and (tmp_path / "token-root.token").exists(), root.stderr
        over_http = orjson.loads(work.run(shell_command(posted.format("root"))).stdout)
        assert (over_http["name"], over_http["scope"]) == ("ada", "read")
        assert over_http["token"].startswith("ocv_")
        script = tmp_path / "remote.py"
        script.write_text(
            python_example("from ocpp_cable import broadcast\nfrom ocpp_cable.channels import")
        )
        done = await asyncio.to_thread(work.run, ".venv/bin/python remote.py")
        assert done.returncode == 0, done.stderr
        for _ in range(100):
            if len(station.calls) >= 8:
                break
            await asyncio.sleep(0.1)
        connection.cancel()
        sent = sorted(call[2] for call in station.calls)
        assert sent == [
            "ClearCache",
            "DataTransfer",
            "RemoteStartTransaction",
            "Reset",
            "Reset",
            "Reset",
            "Reset",
            "TriggerMessage",
        ], sent
    finally:
        server.send_signal(signal.SIGINT)
        _, logs = server.communicate(timeout=30)
    key = key_file.read_text().strip()
    assert key not in logs and over_http["token"] not in logs


EVERYDAY = (  # the operators' everyday commands, in the docs' order
    ".venv/bin/ocpp-cable remote-start CP-1 TAG-1 --connector",
    ".venv/bin/ocpp-cable transactions list --station CP-1",
    ".venv/bin/ocpp-cable remote-stop CP-1",
    ".venv/bin/ocpp-cable trigger CP-1",
    ".venv/bin/ocpp-cable configuration set CP-1 HeartbeatInterval=300",
    ".venv/bin/ocpp-cable availability CP-1 --inoperative",
    ".venv/bin/ocpp-cable availability CP-1 --operative",
    ".venv/bin/ocpp-cable reset CP-1",
)


async def test_docs_everyday_commands_run_against_the_simulated_station(tmp_path):
    """The Quick start, then the docs' simulated CP-1 that stays connected, then every
    everyday command as written: each answered Accepted by a charger that does what it
    is told (the session the docs name is started and stopped; the reset reboots it)."""
    work = Workdir(tmp_path)
    server = work.make_run()
    simulator = None
    try:
        wait_for_port(work.port, server)
        for start in (
            ".venv/bin/ocpp-cable stations add CP-1",
            ".venv/bin/ocpp-cable tags add TAG-1",
            ".venv/bin/python examples/charging_session.py",
        ):
            done = work.run(shell_command(start))
            assert done.returncode == 0, (start, done.stdout, done.stderr)
        authorized = await calls(work, "CP-1", "Authorize", more_than=-1)  # the example's
        simulate = work.ported(
            shell_command(
                ".venv/bin/ocpp-cable simulate ws://127.0.0.1:9000/ocpp --id CP-1 --password"
            )
        )
        simulator = subprocess.Popen(
            ["bash", "-c", f"exec {simulate}"], cwd=work.path, env=work.env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        await connected(work, "CP-1")
        booted = await calls(
            work, "CP-1", "BootNotification", more_than=1
        )  # the example's, its own
        # Its own EV at start, refused (an idTag we do not know), leaves the connector.
        await calls(work, "CP-1", "Authorize", more_than=authorized)
        await asyncio.sleep(1)
        for start in EVERYDAY:
            command = shell_command(start)
            done = await asyncio.to_thread(work.run, command)
            assert done.returncode == 0, (command, done.stdout, done.stderr)
            if "--json" in command:
                [started] = [t for t in orjson.loads(done.stdout) if t["stop_time"] is None]
                assert started["id"] == 2 and started["id_tag"] == "TAG-1"
            else:
                assert done.stdout.rstrip().endswith('"status":"Accepted"}'), done.stdout
        # The reset rebooted it: it booted again and is connected.
        assert await calls(work, "CP-1", "BootNotification", more_than=booted) > booted
        await connected(work, "CP-1")
        listed = work.run(".venv/bin/ocpp-cable transactions list --station CP-1 --json")
        stopped = {t["id"]: t["stop_reason"] for t in orjson.loads(listed.stdout)}
        assert stopped[2] == "Remote"
    finally:
        if simulator is not None:
            simulator.send_signal(signal.SIGINT)
            simulator.wait(20)
        server.send_signal(signal.SIGINT)
        server.communicate(timeout=30)


async def calls(
    work: Workdir, station_id: str, action: str, more_than: int, within: float = 30.0
) -> int:
    """How many CALLs of `action` from `station_id` the message log holds, once more than
    `more_than`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    query = (
        "select count(*) from message_log where station_id = ? and action = ?"
        " and message_type = 'CALL' and direction = 'in'"
    )
    while loop.time() < deadline:
        with sqlite3.connect(work.path / "ocpp_cable.db") as database:
            (count,) = database.execute(query, (station_id, action)).fetchone()
        if count > more_than:
            return count
        await asyncio.sleep(0.2)
    raise AssertionError(f"{station_id} sent no more than {more_than} {action} in {within} s")


async def test_docs_201_command_works_as_written(tmp_path):
    """A 2.0.1 station (registered on first connection, as `make run` does) takes the
    docs' remote start, composed as a RequestStartTransaction."""
    work = Workdir(tmp_path)
    server = work.make_run()
    calls: list[list] = []
    try:
        wait_for_port(work.port, server)
        async with websockets.connect(
            f"ws://127.0.0.1:{work.port}/ocpp/CP-2", subprotocols=["ocpp2.0.1"]
        ) as ws:

            async def answer() -> None:
                async for text in ws:
                    frame = orjson.loads(text)
                    if frame[0] == 2:
                        calls.append(frame)
                        await ws.send(orjson.dumps([3, frame[1], {"status": "Accepted"}]).decode())

            answering = asyncio.create_task(answer())
            await connected(work, "CP-2")
            command = shell_command(".venv/bin/ocpp-cable remote-start CP-2")
            done = await asyncio.to_thread(work.run, command)
            answering.cancel()
        assert done.returncode == 0, (done.stdout, done.stderr)
        assert 'accepted: {"status":"Accepted"}' in done.stdout
        [(action, _, request)] = [(call[2], call[1], call[3]) for call in calls]
        assert action == "RequestStartTransaction"
        assert request["idToken"] == {"idToken": "TAG-1", "type": "Central"}
        assert request["evseId"] == 1 and request["remoteStartId"] >= 1
    finally:
        server.send_signal(signal.SIGINT)
        server.communicate(timeout=30)


async def test_the_store_example_in_writing_channels(database_url):
    """The channel of "Writing channels" that keeps DataTransfer payloads through the store."""
    from sqlalchemy import select

    from ocpp_cable.channels import config as channels_config
    from ocpp_cable.channels.domain import stations
    from ocpp_cable.channels.settings import Settings
    from ocpp_cable.channels.storage import db
    from ocpp_cable.channels.storage.models import StationNotification
    from ocpp_cable.rpc_app import Connection, RequestEnv

    namespace: dict = {}
    exec(
        python_example(
            "from ocpp_cable.channels import config\nfrom ocpp_cable.channels.storage.models"
        ),
        namespace,
    )
    with db.session_scope(database_url) as session:
        stations.add_station(session, "CP-1")
    channels_config.configure(Settings(database_url=database_url))
    try:
        connection = Connection(RequestEnv("ws://gw/ocpp/CP-1", {}))
        channel = namespace["VendorChannel"](connection, "{}", {"station_id": "CP-1"})
        data = {"id": "m1", "command": "DataTransfer", "payload": {"vendorId": "Acme"}}
        await channel.data_transfer(data)
    finally:
        channels_config.configure(None)
    assert [orjson.loads(t) for t in channel.result.transmissions] == [
        {
            "identifier": "{}",
            "message": {"command": "Ack", "id": "m1", "payload": {"status": "Accepted"}},
        }
    ]
    with db.session_scope(database_url) as session:
        (kept,) = session.scalars(select(StationNotification)).all()
    assert (kept.station_id, kept.action, kept.payload) == (
        "CP-1",
        "DataTransfer",
        {"vendorId": "Acme"},
    )


def test_docs_browser_example_works_as_written(tmp_path):
    node_client_ready()
    work = Workdir(tmp_path)
    (tmp_path / "browser_channels.py").write_text(python_example("from urllib.parse"))
    js = js_example("import { createCable }")
    (tmp_path / "chat.mjs").write_text(js)
    (tmp_path / "node_modules").symlink_to(NODE_CLIENT / "node_modules")
    command = shell_command(".venv/bin/ocpp-cable up --channels-module browser_channels")
    server = subprocess.Popen(
        ["bash", "-c", command], cwd=tmp_path, env=work.env,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        wait_for_port(work.port, server)
        script = (tmp_path / "chat.mjs").read_text()
        (tmp_path / "chat.mjs").write_text(script.replace(":9000/", f":{work.port}/"))
        done = subprocess.run(
            ["node", "chat.mjs"], cwd=tmp_path, capture_output=True, text=True, timeout=30
        )
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(15)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "{ echo: 'hi' }"


async def test_docs_live_example_works_as_written(tmp_path):
    node_client_ready()
    work = Workdir(tmp_path)
    (tmp_path / "node_modules").symlink_to(NODE_CLIENT / "node_modules")
    script = js_example("import { readFileSync }").replace(":9000/", f":{work.port}/")
    (tmp_path / "watch.mjs").write_text(script)
    server = work.make_run()
    try:
        wait_for_port(work.port, server)
        made = work.run(shell_command(".venv/bin/ocpp-cable tokens add ada"))
        assert made.returncode == 0, made.stderr
        watcher = await asyncio.create_subprocess_exec(
            "node", "watch.mjs", cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        first = await asyncio.wait_for(watcher.stdout.readline(), 20)
        assert first == b"watching\n", (first, await watcher.stderr.read())
        async with websockets.connect(
            f"ws://127.0.0.1:{work.port}/ocpp/CP-9", subprotocols=["ocpp1.6"]
        ):
            seen = await asyncio.wait_for(watcher.stdout.readline(), 20)
        assert await asyncio.wait_for(watcher.wait(), 20) == 0
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(15)
    assert seen.startswith(b'CP-9 {"online":true')


def test_docs_anycable_pro_example_works_as_written(tmp_path):
    """Coming from AnyCable-Go Pro: its example channel, a charger booting with a meter
    serial number, and the remote command to `ev/<sn>` from Python and from the shell."""
    work = Workdir(tmp_path)
    server = work.serve(".venv/bin/ocpp-cable up --channels-module examples.anycable_pro.ocpp")
    (tmp_path / "trigger.py").write_text(python_example("from examples.anycable_pro"))
    sends = (".venv/bin/python trigger.py",
             shell_command(".venv/bin/ocpp-cable broadcast ocpp:ev/SN-0001"))  # fmt: skip
    outputs = []
    try:
        wait_for_port(work.port, server)
        for send in sends:
            command = work.ported(shell_command(".venv/bin/python examples/anycable_pro"))
            charger = subprocess.Popen(
                ["bash", "-c", command],
                cwd=tmp_path, env=work.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                text=True,
            )  # fmt: skip
            lines = []
            for line in charger.stdout:  # until it waits for the command
                lines.append(line)
                if line.startswith("waiting"):
                    break
            done = work.run(send)
            assert done.returncode == 0, (send, done.stdout, done.stderr)
            rest, errors = charger.communicate(timeout=30)
            assert charger.returncode == 0, errors
            outputs.append("".join(lines) + rest)
    finally:
        server.send_signal(signal.SIGINT)
        _, logs = server.communicate(timeout=30)
    by_python, by_shell = outputs
    assert "boot: Accepted" in by_python and "authorize: Accepted transaction:" in by_python
    assert "TriggerMessage: BootNotification" in by_python, by_python
    assert "TriggerMessage: StatusNotification" in by_shell, by_shell
    events = [orjson.loads(line) for line in logs.splitlines() if line.startswith("{")]
    acks = [e for e in events if e["event"] == "ACK from EV"]
    assert [(e["id"], e["status"]) for e in acks] == [("t-1", "Accepted"), ("t-2", "Accepted")]


async def test_docs_anycable_pro_single_action_example_works_as_written(tmp_path):
    """The single-action variant with AnyCable's own setting name: every action to `receive`,
    the gateway's default answers for what it leaves unanswered."""
    work = Workdir(tmp_path)
    server = work.serve("ANYCABLE_OCPP_GRANULAR_ACTIONS=false .venv/bin/ocpp-cable up")
    frames = [
        [2, "1", "BootNotification", {"chargePointVendor": "V", "chargePointModel": "M",
                                      "meterSerialNumber": "SN-7"}],
        [2, "2", "StatusNotification", {"connectorId": 1, "errorCode": "NoError",
                                        "status": "Available"}],
        [2, "3", "DataTransfer", {"vendorId": "acme"}],
        [2, "4", "Authorize", {"idTag": "ABC123"}],
    ]  # fmt: skip
    answers = []
    try:
        wait_for_port(work.port, server)
        async with websockets.connect(
            f"ws://127.0.0.1:{work.port}/ocpp/CP-7", subprotocols=["ocpp1.6"]
        ) as ws:
            for frame in frames:
                await ws.send(orjson.dumps(frame).decode())
                answers.append(orjson.loads(await asyncio.wait_for(ws.recv(), 10)))
    finally:
        server.send_signal(signal.SIGINT)
        _, logs = server.communicate(timeout=30)
    assert answers[0][:2] == [3, "1"] and answers[0][2]["status"] == "Accepted"
    assert answers[1] == [3, "2", {}]
    assert answers[2] == [3, "3", {"status": "Accepted"}]  # AnyCable's default ack
    assert answers[3][:3] == [4, "4", "InternalError"]  # no authorization by default
    events = [orjson.loads(line) for line in logs.splitlines() if line.startswith("{")]
    received = [e["command"] for e in events if e["event"] == "received"]
    assert received == ["BootNotification", "StatusNotification", "DataTransfer", "Authorize"]
