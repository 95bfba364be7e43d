"""Finding the application: its channel classes and its Connection class."""

from __future__ import annotations

import importlib
import inspect
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from types import ModuleType
from typing import Any

from ocpp_cable.rpc_app import sweeping
from ocpp_cable.rpc_app.channel import Channel, action_methods
from ocpp_cable.rpc_app.connection import Connection


class ApplicationError(Exception):
    """The channels module cannot be used as an application."""


@dataclass(frozen=True)
class Application:
    """The channel classes and the connection class rpc_app serves, found in a module.

    Build one with `load_application("my_channels")` or, in tests, `Application.of([...])`.
    """

    connection_class: type[Connection]
    channels: dict[str, type[Channel]]
    actions: dict[type[Channel], frozenset[str]] = field(default_factory=dict)
    # The module's `setup(settings)`, if it has one: run once before serving.
    setup: Callable[[Any], None] | None = None
    # The module's `node_lease(node, ttl, stations)`, if it has one: each gateway node
    # renews its lease through it (ttl 0: the node is leaving).
    node_lease: Callable[..., Any] | None = None
    # The module's `sweep()`, if it has one: run every `sweep_every` seconds while rpc_app
    # serves, for what only time finishes (rpc_app/sweeping.py).
    sweep: Callable[[], Any] | None = None
    sweep_every: float = sweeping.EVERY
    # The module's `serve_operators(settings)`, if it has one: what people use beside the
    # channels (the reference system's HTTP API and dashboard), started by `ocpp-cable up`;
    # it returns something with an async `stop()`.
    serve_operators: Callable[[Any], Any] | None = None

    @classmethod
    def of(
        cls, channels: list[type[Channel]], connection_class: type[Connection] = Connection
    ) -> Application:
        by_name = {c.__name__: c for c in channels}
        return cls(connection_class, by_name, {c: action_methods(c) for c in channels})


def _exported(root: ModuleType) -> list[object]:
    """What the module offers rpc_app: the names in its `__all__`, else the classes it
    defines itself. Nothing else is imported: no package scan, no submodule loaded by
    accident (a package lists its channels in its `__init__`'s `__all__`)."""
    names = getattr(root, "__all__", None)
    if names is None:
        return [
            obj
            for obj in vars(root).values()
            if inspect.isclass(obj) and obj.__module__ == root.__name__
        ]
    try:
        return [getattr(root, name) for name in names]
    except AttributeError as exc:
        raise ApplicationError(f"{root.__name__}.__all__ names {exc}") from exc


def load_application(module_name: str) -> Application:
    # As uvicorn does: the application lives in the directory we were started from.
    """The application in the module `module_name`, imported from the current directory:
    the `Channel` subclasses it exports (its `__all__`, else those it defines), and its
    one `Connection` subclass (else the default, which accepts every connection).

    Raises ApplicationError when the module cannot be imported, exports no channel
    class, or more than one connection class.
    """
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        root = importlib.import_module(module_name)
    except ImportError as exc:
        raise ApplicationError(f"cannot import channels module {module_name!r}: {exc}") from exc
    channels: dict[str, type[Channel]] = {}
    connections: set[type[Connection]] = set()
    for obj in _exported(root):
        if not inspect.isclass(obj):
            continue
        if issubclass(obj, Channel) and obj is not Channel:
            channels[obj.__name__] = obj
        elif issubclass(obj, Connection) and obj is not Connection:
            connections.add(obj)
    if not channels:
        raise ApplicationError(f"no Channel subclass found in {module_name!r}")
    if len(connections) > 1:
        names = ", ".join(sorted(c.__qualname__ for c in connections))
        raise ApplicationError(f"more than one Connection class in {module_name!r}: {names}")
    connection_class = connections.pop() if connections else Connection
    app = Application.of(list(channels.values()), connection_class)
    hooks = {
        name: getattr(root, name, None)
        for name in ("setup", "node_lease", "sweep", "serve_operators")
    }
    return replace(app, **{name: hook for name, hook in hooks.items() if callable(hook)})
