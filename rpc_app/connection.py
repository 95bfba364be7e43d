"""The Connection base class: who is this charger, may it connect?"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import orjson
import structlog

from ocpp_cable.rpc_app.env import RequestEnv
from ocpp_cable.rpc_app.errors import Rejected
from ocpp_cable.rpc_app.state import State


def identifiers_json(identifiers: Mapping[str, Any]) -> str:
    """The connection identifiers as Connect answers them: what every later call carries,
    and what a remote disconnect names (the same keys in the same order)."""
    return orjson.dumps(dict(identifiers)).decode()


class Connection:
    """Override `connect()` to authenticate a station and set its identifiers.

    A Connection lives for one RPC call: for commands and Disconnect it is
    rebuilt from the identifiers that `connect()` set, so keep anything that must
    survive in `identifiers` or in `self.state` (cstate), not in attributes.
    """

    def __init__(
        self,
        env: RequestEnv,
        identifiers: dict[str, Any] | None = None,
        state: State | None = None,
    ) -> None:
        self.env = env
        self.identifiers: dict[str, Any] = dict(identifiers or {})
        self.state = state if state is not None else State()

    @functools.cached_property
    def logger(self) -> Any:
        """A structlog logger with the connection's identifiers bound (the station id of a
        station), else the URL's station id; built on first use: most commands log
        nothing, and binding costs on every one."""
        named = {k: v for k, v in self.identifiers.items() if isinstance(v, str | int)}
        return structlog.get_logger("channels").bind(
            **(named or {"station_id": self.env.station_id})
        )

    def __getattr__(self, name: str) -> Any:
        # Identifiers read like attributes: `self.connection.station_id`.
        identifiers = self.__dict__.get("identifiers", {})
        if name in identifiers:
            return identifiers[name]
        raise AttributeError(name)

    # The defaults are `async def` so they run on the event loop; an override
    # may be `def` (run in a worker thread) or `async def`.
    async def connect(self) -> Any:
        """Decide whether the station may connect (the RPC Connect).

        Read the request from `self.env`; set `self.identifiers` (they come back
        with every later call). Default: trust the URL and identify the connection
        by its station id.

        Raises:
            Rejected: by `reject()`; the gateway refuses the WebSocket handshake.
        """
        self.identifiers["station_id"] = self.env.station_id

    async def disconnect(self) -> Any:
        """Called once the charger has gone; channels' `unsubscribed` ran before."""

    def reject(self, reason: str = "unauthorized") -> None:
        """Refuse the connection (from `connect`); `reason` is logged, not sent.

        Raises:
            Rejected: always.
        """
        raise Rejected(reason)
