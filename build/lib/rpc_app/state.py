"""Channel state (istate) and connection state (cstate), as AnyCable carries them.

The gateway holds the state as a map of strings and sends it with every
command; the application sees a dict of JSON values and only its changes go
back (an empty string deletes a key).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, MutableMapping
from typing import Any

import orjson

DELETED = ""


class State(MutableMapping[str, Any]):
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


def apply_changes(raw: dict[str, str], changes: Mapping[str, str]) -> None:
    """Gateway side: merge an EnvResponse map into the held state."""
    for key, value in changes.items():
        if value == DELETED:
            raw.pop(key, None)
        else:
            raw[key] = value
