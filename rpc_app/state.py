"""Channel state (istate) and connection state (cstate) as the application sees them:
a dict of JSON values whose changes go back to the gateway (ocpp_cable/contract/state.py)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, MutableMapping
from typing import Any

import orjson

from ocpp_cable.contract.state import DELETED


class State(MutableMapping[str, Any]):
    """A connection's or a channel's state: a dict of JSON values kept between calls.

    The gateway holds it (as JSON text per key) and sends it with every call; only
    the keys changed during a call travel back. Values must be JSON-serializable.
    """

    __slots__ = ("_changes", "_raw")

    def __init__(self, raw: Mapping[str, str] | None = None) -> None:
        self._raw: dict[str, str] = dict(raw or {})
        self._changes: dict[str, str] = {}

    def __getitem__(self, key: str) -> Any:
        return orjson.loads(self._raw[key])

    def __setitem__(self, key: str, value: Any) -> None:
        encoded = orjson.dumps(value).decode()
        self._raw[key] = encoded
        self._changes[key] = encoded

    def __delitem__(self, key: str) -> None:
        del self._raw[key]
        self._changes[key] = DELETED

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)

    def __repr__(self) -> str:
        return f"State({dict(self.items())!r})"

    def changes(self) -> dict[str, str]:
        """What the gateway must apply: changed keys, deleted ones as ''."""
        return dict(self._changes)
