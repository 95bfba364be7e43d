"""ocpp-cable as it is deployed: `ocpp-cable rpc`, `ocpp-cable gateway` and, when asked
for, `ocpp-cable api`, processes with the reference central system on a real database,
each of which can be killed with SIGKILL and started again on its ports."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

from bench.systems import free_port, rss_kb, wait_for_port

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN = os.environ.get("OCPP_CABLE_TEST_PG", "postgresql://root@127.0.0.1:5432/test")


class System:
    """The processes of one system. `flags`: more command-line flags per process name
    ("rpc", "gateway", "api"), such as shorter timeouts."""

    def __init__(
        self,
        database_url: str,
        log_dir: Path,
        presence_ttl: float = 3.0,
        flags: dict[str, tuple[str, ...]] | None = None,
    ) -> None:
        self.database_url = database_url
        self.log_dir = log_dir
        self.port, self.http_port, self.rpc_port = free_port(), free_port(), free_port()
        self.api_port = free_port()
        self.presence_ttl = presence_ttl
        self.flags = flags or {}
        self.rpc: subprocess.Popen | None = None
        self.gateway: subprocess.Popen | None = None
        self.api: subprocess.Popen | None = None
        self.kills = {"rpc": 0, "gateway": 0}  # and "api" once it was killed

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ocpp"

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}/api/v1"

    def _spawn(self, name: str, *args: str) -> subprocess.Popen:
        log = (self.log_dir / f"{name}.log").open("a")
        env = {**os.environ, "OCPP_CABLE_DATABASE_URL": self.database_url}
        flags = [*args, *self.flags.get(name, ()), "--log-format", "json"]
        return subprocess.Popen(
            [sys.executable, "-m", "ocpp_cable.cli", *flags],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log,
        )  # fmt: skip

    def start_rpc(self) -> None:
        self.rpc = self._spawn(
            "rpc", "rpc", "--rpc-host", f"127.0.0.1:{self.rpc_port}",
            "--rpc-metrics-port", "0", "--auto-register", "true",
            # Its broadcasts (the live events) go to this system's gateway.
            "--http-port", str(self.http_port),
        )  # fmt: skip
        wait_for_port(self.rpc_port, self.rpc)

    def start_gateway(self) -> None:
        self.gateway = self._spawn(
            "gateway", "gateway", "--port", str(self.port), "--http-port", str(self.http_port),
            "--rpc-host", f"127.0.0.1:{self.rpc_port}", "--broadcast-auth", "false",
            "--presence-ttl", str(self.presence_ttl),
        )  # fmt: skip
        wait_for_port(self.port, self.gateway)

    def start_api(self) -> None:
        """The HTTP API, sending commands through this system's gateway."""
        self.api = self._spawn(
            "api", "api", "--api-port", str(self.api_port), "--auto-migrate", "false",
            "--broadcast-url", f"http://127.0.0.1:{self.http_port}/_broadcast",
        )  # fmt: skip
        wait_for_port(self.api_port, self.api)

    def start(self) -> None:
        self.start_rpc()
        self.start_gateway()

    def kill(self, name: str) -> None:
        """SIGKILL: no drain, no goodbye."""
        process = getattr(self, name)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        self.kills[name] = self.kills.get(name, 0) + 1

    def alive(self) -> bool:
        return all(p is not None and p.poll() is None for p in (self.rpc, self.gateway))

    def gateway_rss_kb(self) -> int:
        assert self.gateway is not None
        return rss_kb(self.gateway.pid)

    def stop(self) -> None:
        for process in (self.api, self.gateway, self.rpc):  # chargers drained before rpc_app
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()

    def logs(self) -> str:
        return "".join(p.read_text() for p in sorted(self.log_dir.glob("*.log")))


@contextlib.contextmanager
def database(kind: str, tmp: Path, prefix: str = "ocpp_cable_faults") -> Iterator[str]:
    """A fresh, migrated database: an SQLite file in tmp, or a new PostgreSQL database."""
    from ocpp_cable.channels.storage import db
    from ocpp_cable.channels.storage.store import dispose

    if kind == "sqlite":
        url = f"sqlite:///{tmp}/{prefix}.db"
        db.upgrade(url)
        yield url
        dispose(url)
        return
    import psycopg

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql+psycopg://root@127.0.0.1:5432/{name}"
    try:
        db.upgrade(url)
        yield url
    finally:
        dispose(url)
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
