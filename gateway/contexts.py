"""What a connection's socket may use of its node: narrow contexts, built by the node.

The node (node.py) is the composition root: it makes the parts and hands each
station's and each browser's socket only what that socket needs. A socket never
reaches into the node, so it can be built, and tested, with fakes for each part.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from ocpp_cable.foundation.settings import GatewaySettings
from ocpp_cable.gateway.cable.session import BroadcastFrames, CableConfig
from ocpp_cable.gateway.disconnects import DisconnectQueue
from ocpp_cable.gateway.hub import StreamHub
from ocpp_cable.gateway.metrics import GatewayMetrics
from ocpp_cable.gateway.ocpp.session import SessionConfig
from ocpp_cable.gateway.rpc import RPCClient


class StationClaims(Protocol):
    """The node's registry of stations, as a station's socket sees it (stations.py)."""

    def __contains__(self, station_id: object) -> bool: ...

    def claim(self, station: Any, sn: str | None) -> None:
        """The station is (also) known by its serial number `sn`; None: by its id only."""
        ...

    def forget(self, station: Any) -> None:
        """The station's connection is over."""
        ...


@dataclass(frozen=True, slots=True)
class StationContext:
    """What a station's socket (station.py) uses of its node."""

    settings: GatewaySettings
    session_config: SessionConfig
    metrics: GatewayMetrics
    rpc: RPCClient
    hub: StreamHub
    disconnects: DisconnectQueue
    stations: StationClaims
    # The loop time the node's drain ends by, once it began stopping (else None).
    drain_deadline: Callable[[], float | None]


@dataclass(frozen=True, slots=True)
class BrowserContext:
    """What a browser's socket (cable/socket.py) uses of its node."""

    cable_config: CableConfig
    # Frames a browser may have waiting to be sent before it is dropped as too slow.
    send_queue: int
    metrics: GatewayMetrics
    rpc: RPCClient
    hub: StreamHub
    disconnects: DisconnectQueue
    # The node forgets the browser once its connection is over.
    forget: Callable[[Any], None]
    # Broadcast frames shared by the node's browsers: each encoded once per broadcast.
    frames: BroadcastFrames = field(default_factory=BroadcastFrames)
