"""ocpp-cable: OCPP-J chargers served by Python channel classes over AnyCable RPC.

What an application needs is importable from here::

    from ocpp_cable import Channel, Connection, Rejected, RequestEnv, broadcast

The names load on first use (PEP 562): a gateway process imports `ocpp_cable.gateway`,
and that must not bring rpc_app or an application with it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# The stable public API for channel classes: name -> the module that defines it.
_PUBLIC = {
    "Channel": "ocpp_cable.rpc_app.channel",
    "Connection": "ocpp_cable.rpc_app.connection",
    "Rejected": "ocpp_cable.rpc_app.errors",
    "RequestEnv": "ocpp_cable.rpc_app.env",
    "broadcast": "ocpp_cable.rpc_app.broadcasting",
    "abroadcast": "ocpp_cable.rpc_app.broadcasting",
}

__all__ = ["Channel", "Connection", "Rejected", "RequestEnv", "abroadcast", "broadcast"]

if TYPE_CHECKING:
    from ocpp_cable.rpc_app.broadcasting import abroadcast, broadcast
    from ocpp_cable.rpc_app.channel import Channel
    from ocpp_cable.rpc_app.connection import Connection
    from ocpp_cable.rpc_app.env import RequestEnv
    from ocpp_cable.rpc_app.errors import Rejected


def __getattr__(name: str) -> Any:
    if name not in _PUBLIC:
        raise AttributeError(f"module 'ocpp_cable' has no attribute {name!r}")
    value = getattr(importlib.import_module(_PUBLIC[name]), name)
    globals()[name] = value  # the next lookup is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_PUBLIC])
