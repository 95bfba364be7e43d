"""Prometheus label children made once, not on every event.

`metric.labels(...)` checks and joins its arguments and takes a lock on every
call; on a path that runs for every frame that is a measurable share of the
work. The label values given here must come from bounded sets (the caller's
job, as for any label), so the cache is bounded too.
"""

from __future__ import annotations

from typing import Any


class Children:
    def __init__(self, metric: Any) -> None:
        self._metric = metric
        self._made: dict[tuple[str, ...], Any] = {}

    def __call__(self, *values: str) -> Any:
        child = self._made.get(values)
        if child is None:
            child = self._made[values] = self._metric.labels(*values)
        return child
