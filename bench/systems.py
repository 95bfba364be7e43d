"""The systems the benchmark drives, each started as its users run it.

- the bridge: ocpp-cable with the minimal acking channel (bench/minimal_channels.py);
- the reference central system (channels/) on SQLite and on PostgreSQL, storing
  every message;
- the peers: a central system on the `ocpp` package (bench/comparison.py) and one on
  Node's `ocpp-rpc` (bench/node_peer), both storing nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent


# Ports are handed out below the kernel's ephemeral range (32768-60999 on Linux): a port
# picked here and bound a moment later is never the one a port-0 bind (a test's server,
# an outgoing connection) is given meanwhile. Each pytest-xdist worker has a block of
# its own, so two workers never pick the same either; two test runs side by side (two
# checkouts) keep apart with OCPP_CABLE_TEST_FIRST_PORT.
FIRST_PORT = int(os.environ.get("OCPP_CABLE_TEST_FIRST_PORT", "20000"))
BLOCK, BLOCKS = 1_000, 12
_picked = itertools.count()


def free_port() -> int:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    base = FIRST_PORT + (int(worker) % BLOCKS if worker.isdigit() else 0) * BLOCK
    for _ in range(BLOCK):
        port = base + next(_picked) % BLOCK
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue  # in use (a service, a test's server still up): the next one
            return port
    raise RuntimeError(f"no free port in {base}-{base + BLOCK - 1}")


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args} exited with {process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.1)
    raise RuntimeError(f"port {port} not open after {timeout} s")


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


@dataclass
class System:
    name: str
    url: str
    memory_pid: int  # the process whose memory holds the chargers (the gateway)
    broadcast: Callable[[], Awaitable[None]]
    processes: list[subprocess.Popen] = field(default_factory=list)
    # Whether `broadcast` reaches every station (the reference system's stations
    # stream only from their own stream: no one command reaches them all).
    broadcast_all: bool = True
    # The reference system: its database, to count what was stored.
    database_url: str | None = None
    # The gateway's HTTP endpoints (/_broadcast), where the system has them.
    http_url: str | None = None
    # Its HTTP API (the reference system's), when the system serves one itself.
    api_url: str | None = None
    # Its processes, when they are not in `processes` (stopped by `cleanup` instead).
    other_pids: list[int] = field(default_factory=list)
    # Processes it shares with others but keeps busy (a database server: its autovacuum
    # after a storm), looked up at each settle.
    server_pids: Callable[[], list[int]] = list
    cleanup: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)

    def stop(self) -> None:
        for process in self.processes:
            process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        self.cleanup.close()

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.processes] + self.other_pids + self.server_pids()

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the system's own processes and their children have
        used so far: what a call costs it, whatever the driver costs. A database server
        shared with others (PostgreSQL's) is not counted."""
        own = [p.pid for p in self.processes] + self.other_pids
        return sum(cpu_ticks(pid) for pid in process_tree(own)) / os.sysconf("SC_CLK_TCK")

    async def settle(self, quiet: float = 0.05, longest: float = 30) -> None:
        """Wait until the system's processes are idle (work left by a scenario, such as
        the Disconnects of closed chargers, must not be billed to the next one)."""
        deadline = time.monotonic() + longest
        ticks = os.sysconf("SC_CLK_TCK")
        while time.monotonic() < deadline:
            pids = self.pids
            before = {pid: cpu_ticks(pid) for pid in pids}
            await asyncio.sleep(0.5)
            used = sum(max(0, cpu_ticks(pid) - before[pid]) for pid in pids) / ticks
            if used < quiet * 0.5:
                return


def cpu_ticks(pid: int) -> int:
    """User + system CPU time of a process, in clock ticks (0 once it has gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0
    return int(fields[11]) + int(fields[12])


def process_tree(pids: list[int]) -> list[int]:
    """`pids` and every process below them (a worker a process started)."""
    found, todo = [], list(pids)
    while todo:
        pid = todo.pop()
        found.append(pid)
        for task in Path(f"/proc/{pid}/task").glob("*/children"):
            with contextlib.suppress(OSError):
                todo += [int(child) for child in task.read_text().split()]
    return found


def postgres_pids() -> list[int]:
    """The PostgreSQL server's processes on this machine."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if stat.read_text().startswith(f"{stat.parent.name} (postgres)"):
                found.append(int(stat.parent.name))
        except OSError:
            continue  # gone meanwhile
    return found


def spawn(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, *args], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


async def post(url: str, body: bytes = b"") -> None:
    async with aiohttp.ClientSession() as http, http.post(url, data=body) as response:
        response.raise_for_status()


# One command to every station: the minimal channel streams each station from `bench:all`.
ALL_STREAM_BODY = (
    b'{"stream":"bench:all","data":"{\\"command\\":\\"ClearCache\\",\\"payload\\":{}}"}'
)


def start_bridge() -> System:
    port, http_port, rpc_port = free_port(), free_port(), free_port()
    common = ["--log-level", "warning", "--log-format", "json"]
    rpc = spawn(
        "-m", "ocpp_cable.cli", "rpc", "--channels-module", "bench.minimal_channels",
        "--rpc-host", f"127.0.0.1:{rpc_port}", "--rpc-metrics-port", "0", *common,
    )  # fmt: skip
    wait_for_port(rpc_port, rpc)
    gateway = spawn(
        "-m", "ocpp_cable.cli", "gateway", "--port", str(port), "--http-port", str(http_port),
        "--rpc-host", f"127.0.0.1:{rpc_port}", "--broadcast-auth", "false", *common,
    )  # fmt: skip
    wait_for_port(port, gateway)
    return System(
        "bridge (minimal channel)",
        f"ws://127.0.0.1:{port}/ocpp",
        gateway.pid,
        lambda: post(f"http://127.0.0.1:{http_port}/_broadcast", ALL_STREAM_BODY),
        [gateway, rpc],
    )


async def no_broadcast() -> None:
    raise RuntimeError("no one stream reaches every station of the reference system")


def start_reference(kind: str) -> System:
    """The reference central system as `ocpp-cable up` runs it (what `make run` starts):
    gateway, rpc_app and the HTTP API in one process, default settings (info logs, audit
    log on), stations registered on first connection."""
    from faults.system import database

    cleanup = contextlib.ExitStack()
    tmp = Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix="ocpp-cable-bench-")))
    url = cleanup.enter_context(database(kind, tmp, prefix="ocpp_cable_bench"))
    port, http_port, rpc_port, api_port = free_port(), free_port(), free_port(), free_port()
    up = subprocess.Popen(
        [sys.executable, "-m", "ocpp_cable.cli", "-C", str(tmp), "up",
         "--port", str(port), "--http-port", str(http_port), "--api-port", str(api_port),
         "--rpc-host", f"127.0.0.1:{rpc_port}", "--rpc-metrics-port", "0",
         "--database-url", url, "--auto-register", "true", "--auto-migrate", "false",
         "--files-url", f"http://127.0.0.1:{api_port}", "--broadcast-auth", "false",
         "--log-format", "json"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=(tmp / "up.log").open("w"),
    )  # fmt: skip
    cleanup.callback(_stop, up)  # before the database goes (callbacks run in reverse)
    wait_for_port(port, up, timeout=60)
    wait_for_port(api_port, up)
    label = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}[kind]
    return System(
        f"reference, {label}",
        f"ws://127.0.0.1:{port}/ocpp",
        up.pid,
        no_broadcast,
        broadcast_all=False,
        database_url=url,
        http_url=f"http://127.0.0.1:{http_port}",
        api_url=f"http://127.0.0.1:{api_port}",
        cleanup=cleanup,
        other_pids=[up.pid],
        server_pids=postgres_pids if kind == "postgresql" else list,
    )


def _stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def start_comparison() -> System:
    port, control = free_port(), free_port()
    process = spawn("-m", "bench.comparison", "--port", str(port), "--control-port", str(control))
    wait_for_port(port, process)
    wait_for_port(control, process)
    return System(
        "ocpp (Python)",
        f"ws://127.0.0.1:{port}/ocpp",
        process.pid,
        lambda: post(f"http://127.0.0.1:{control}/broadcast"),
        [process],
    )
