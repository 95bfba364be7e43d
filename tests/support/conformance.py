"""The OCA conformance suite's harness (tests/conformance/): the reference central system
served as a certifying tool meets it, a station written apart from this project (the
`ocpp` package's ChargePoint, answering what a case says it answers), and the operator's
CLI and HTTP API beside them.

A case's test is named after its id (`test_tc_h_01_csms` for TC_H_01_CSMS); the
catalogue (tests/conformance/cases.toml) lists every case, and devtools/conformance.py
writes the docs' conformance page from the suite's results (`make conformance`).
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import functools
import shutil
import tempfile
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import websockets
from ocpp.v16 import ChargePoint as ChargePoint16
from ocpp.v16 import call_result as call_result16
from ocpp.v201 import ChargePoint as ChargePoint201
from ocpp.v201 import call as call201
from ocpp.v201 import call_result as call_result201

from faults.system import database
from ocpp_cable.channels.storage.store import dispose
from tests.support.api import api_server, bearer, make_token
from tests.support.central import PASSWORD, basic, central_system, command_line, rows
from tests.support.central import seed as seed_station
from tests.support.servers import BROADCAST_KEY, eventually, station_url, subscribed

T0 = "2026-12-01T10:00:00Z"


# What a station answers when a case does not say: a CallError (NotImplemented), as the
# `ocpp` package answers an action it has no handler for.
Answer = dict[str, Any] | Callable[[dict[str, Any]], Any]


class _Recording:
    """What the central system asked of the station, in order, and what it answered."""

    results: Any  # the `ocpp` package's call_result module of the station's version

    def _setup_recording(self, answers: dict[str, Answer]) -> None:
        self.answers = dict(answers)
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self._arrived = asyncio.Event()
        for action in self.answers:
            self.route_map[action] = {"_on_action": self._handler(action)}

    def answer(self, action: str, answer: Answer) -> None:
        """From now on, answer `action` with `answer` (a payload, or a function of the request)."""
        self.answers[action] = answer
        self.route_map[action] = {"_on_action": self._handler(action)}

    def _handler(self, action: str) -> Callable[..., Any]:
        async def handle(**payload: Any) -> Any:
            self.requests.append((action, payload))
            self._arrived.set()
            answer = self.answers[action]
            result = answer(payload) if callable(answer) else answer
            result = await result if asyncio.iscoroutine(result) else result
            # The `ocpp` package sends its call_result dataclasses; a case writes a dict.
            return getattr(self.results, action)(**result) if isinstance(result, dict) else result

        return handle

    async def request(self, action: str, nth: int = 1, within: float = 10.0) -> dict[str, Any]:
        """The `nth` request of `action` the central system sent (snake_case, as the `ocpp`
        package hands it over), waiting for it."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while True:
            seen = [payload for name, payload in self.requests if name == action]
            if len(seen) >= nth:
                return seen[nth - 1]
            left = deadline - loop.time()
            if left <= 0:
                asked = [name for name, _ in self.requests]
                raise AssertionError(f"no {action} #{nth} within {within} s (asked: {asked})")
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), left)

    def asked(self, action: str) -> int:
        """How many requests of `action` arrived so far."""
        return sum(1 for name, _ in self.requests if name == action)


class Station201(_Recording, ChargePoint201):
    """An OCPP 2.0.1 station as the OCA test tool plays it."""

    results = call_result201

    def __init__(self, station_id: str, ws: Any, answers: dict[str, Answer]) -> None:
        super().__init__(station_id, ws, response_timeout=10)
        self._setup_recording(answers)

    async def boot(self, reason: str = "PowerUp") -> Any:
        return await self.call(
            call201.BootNotification(
                charging_station={"vendor_name": "OCTT", "model": "Virtual", "serial_number": "1"},
                reason=reason,
            )
        )

    async def status(self, status: str, evse_id: int = 1, connector_id: int = 1) -> Any:
        return await self.call(
            call201.StatusNotification(
                timestamp=T0, connector_status=status, evse_id=evse_id, connector_id=connector_id
            )
        )


class Station16(_Recording, ChargePoint16):
    """An OCPP 1.6 charge point as the OCA test tool plays it."""

    results = call_result16

    def __init__(self, station_id: str, ws: Any, answers: dict[str, Answer]) -> None:
        super().__init__(station_id, ws, response_timeout=10)
        self._setup_recording(answers)


@dataclass
class CSMS:
    """The reference central system under test, with its gateway node and database."""

    node: Any
    url: str
    settings: Any
    capsys: Any
    api: httpx.AsyncClient | None = None
    _token: str | None = field(default=None, repr=False)

    def seed(self, station_id: str = "CP-1", tags=(("TAG-1", "Accepted", None),)) -> None:
        """A station registered with the harness's password, and idTags."""
        seed_station(self.url, station_id=station_id, tags=tags)

    def rows(self, model: Any, *where: Any) -> list[Any]:
        return rows(self.url, model, *where)

    async def operator(self, *argv: str) -> tuple[int, str, str]:
        """An `ocpp-cable` command as an operator runs it against this system."""
        broadcast_url = f"http://127.0.0.1:{self.node.http_port}/_broadcast"
        flags = ["--database-url", self.url, "--broadcast-url", broadcast_url,
                 "--broadcast-key", BROADCAST_KEY]  # fmt: skip
        return await command_line(self.capsys, *argv, *flags)

    async def http(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """The HTTP API as an operator with a write token uses it."""
        assert self.api is not None, "csms(..., api=True) serves the API"
        if self._token is None:
            self._token = make_token(self.url, "conformance")
        return await self.api.request(method, path, headers=bearer(self._token), **kwargs)

    @contextlib.asynccontextmanager
    async def station(
        self,
        station_id: str = "CP-1",
        version: str = "2.0.1",
        answers: dict[str, Answer] | None = None,
        password: str | None = PASSWORD,
        ssl: Any = None,
    ) -> AsyncIterator[Any]:
        """The station connected (and subscribed) on `version`, answering `answers`; over
        wss:// with the client context `ssl` (security profiles 2 and 3)."""
        cls = Station16 if version == "1.6" else Station201
        headers = basic(station_id, password) if password else {}
        url = station_url(self.node, station_id)
        if ssl is not None:
            url = url.replace("ws://", "wss://", 1)
        ws = await websockets.connect(
            url, subprotocols=[f"ocpp{version}"], additional_headers=headers, ssl=ssl
        )
        cp = cls(station_id, ws, answers or {})
        task = asyncio.create_task(cp.start())
        try:
            # Generous: on a loaded CI machine Connect and the subscription may take a while.
            await eventually(lambda: subscribed(self.node, station_id), within=15)
            yield cp
        finally:
            task.cancel()
            await ws.close()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


@functools.cache
def _migrated() -> Path:
    """An SQLite database migrated once per test process: each case starts from a copy
    (migrating takes a second, a copy nothing)."""
    folder = Path(tempfile.mkdtemp(prefix="ocpp-cable-conformance-"))
    atexit.register(shutil.rmtree, folder, True)
    with database("sqlite", folder, prefix="template"):
        pass  # (closed: SQLite folded its write-ahead log into the file)
    return folder / "template.db"


@contextlib.asynccontextmanager
async def csms(
    tmp_path: Path, capsys: Any, api: bool = False, **overrides: Any
) -> AsyncIterator[CSMS]:
    """The reference central system on a fresh SQLite database (and its HTTP API when
    `api`), settings overridden as a case's prerequisites say."""
    path = tmp_path / "conformance.db"
    shutil.copyfile(_migrated(), path)
    path.chmod(0o600)
    url = f"sqlite:///{path}"
    try:
        async with central_system(url, **overrides) as (node, settings):
            system = CSMS(node, url, settings, capsys)
            if not api:
                yield system
                return
            async with api_server(node, settings) as server:
                base = f"http://127.0.0.1:{server.port}"
                async with httpx.AsyncClient(base_url=base, timeout=15) as client:
                    system.api = client
                    yield system
    finally:
        dispose(url)
