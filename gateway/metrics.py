"""The gateway's Prometheus metrics, in a registry of its own (one per node)."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from ocpp_cable.foundation.metric_children import Children
from ocpp_cable.ocppj import versions

PREFIX = "ocpp_cable_gateway"
UNKNOWN = "unknown"


def action_label(action: str | None) -> str:
    """A label value from a bounded set: a known OCPP action, "" for none, else "unknown".

    An action name comes from the client; as a label it would grow /metrics without bound.
    """
    if not action:
        return ""
    return action if action in versions.ALL_ACTIONS else UNKNOWN


# RPC latency buckets: sub-millisecond on loopback up to the default 5 s deadline.
RPC_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)


class GatewayMetrics:
    """The gateway's Prometheus metrics, in a registry of its own (`/metrics` renders it).

    Labels take only bounded values (actions from the schema, status names), never
    anything a client chose.
    """

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.stations_connected = Gauge(
            f"{PREFIX}_stations_connected", "Stations connected to this node", registry=r
        )
        self.browsers_connected = Gauge(
            f"{PREFIX}_browsers_connected",
            "Browsers connected to this node (Action Cable)",
            registry=r,
        )
        self.browsers_dropped = Counter(
            f"{PREFIX}_browsers_dropped_total",
            "Browsers dropped for not taking their messages fast enough",
            registry=r,
        )
        self.frames_received = Counter(
            f"{PREFIX}_frames_received_total",
            "OCPP-J frames from stations",
            ["type", "action"],
            registry=r,
        )
        self.frames_sent = Counter(
            f"{PREFIX}_frames_sent_total",
            "OCPP-J frames to stations",
            ["type", "action"],
            registry=r,
        )
        self.rpc_calls = Counter(
            f"{PREFIX}_rpc_calls_total",
            "RPC calls by method and outcome (SUCCESS, FAILURE, ERROR or the gRPC code)",
            ["method", "status"],
            registry=r,
        )
        self.rpc_errors = Counter(
            f"{PREFIX}_rpc_errors_total",
            "RPC calls that did not complete, by gRPC code",
            ["method", "code"],
            registry=r,
        )
        self.rpc_retries = Counter(
            f"{PREFIX}_rpc_retries_total", "RPC attempts retried", ["method", "code"], registry=r
        )
        self.rpc_duration = Histogram(
            f"{PREFIX}_rpc_duration_seconds",
            "RPC call latency, retries included",
            ["method"],
            buckets=RPC_BUCKETS,
            registry=r,
        )
        self.rpc_in_flight = Gauge(f"{PREFIX}_rpc_in_flight", "RPC calls under way", registry=r)
        self.broadcasts_received = Counter(
            f"{PREFIX}_broadcasts_received_total", "Broadcasts taken from a broker", registry=r
        )
        self.broadcasts_delivered = Counter(
            f"{PREFIX}_broadcasts_delivered_total",
            "Broadcast deliveries to local stations",
            registry=r,
        )
        self.broadcasts_dropped = Counter(
            f"{PREFIX}_broadcasts_dropped_total",
            "Broadcasts for streams no local station holds",
            registry=r,
        )
        self.call_queue_depth = Gauge(
            f"{PREFIX}_call_queue_depth", "Outgoing CALLs waiting, all stations", registry=r
        )
        self.calls_unreported = Counter(
            f"{PREFIX}_calls_unreported_total",
            "CALLs refused for a full queue whose refusal was not performed on the "
            "application (too many such reports already waiting)",
            registry=r,
        )
        self.replies_lost = Counter(
            f"{PREFIX}_replies_lost_total",
            "Stations' replies to our CALLs the application never took: not within "
            "--reply-retry-time, or too many of one station waiting for it",
            registry=r,
        )
        self.call_timeouts = Counter(
            f"{PREFIX}_call_timeouts_total", "Outgoing CALLs a station did not answer", registry=r
        )
        self.disconnect_queue_depth = Gauge(
            f"{PREFIX}_disconnect_queue_depth",
            "Disconnect calls waiting to be delivered",
            registry=r,
        )
        self.stations_admitted = Counter(
            f"{PREFIX}_stations_admitted",
            "Stations Connect accepted, by the OCPP version agreed",
            ["ocpp_version"],
            registry=r,
        )
        self.violations_tolerated = Counter(
            f"{PREFIX}_violations_tolerated_total",
            "Schema violations repaired under a station's leniency, by rule",
            ["rule"],  # the rules of ocppj.leniency: a fixed set
            registry=r,
        )
        self.handshakes_throttled = Counter(
            f"{PREFIX}_handshakes_throttled_total",
            "Station handshakes answered 429 after too many failed authentications, "
            "by the limit that held them back (station, address, node)",
            ["limit"],  # gateway.auth_throttle.LIMITS: a fixed set
            registry=r,
        )
        self.handshakes_queued = Gauge(
            f"{PREFIX}_handshakes_queued",
            "Handshakes whose Connect waits for an RPC slot (a reconnect storm)",
            registry=r,
        )
        self.connect_rejections = Counter(
            f"{PREFIX}_connect_rejections_total",
            "Handshakes refused, by HTTP status "
            "(unauthorized: a browser told so after the upgrade)",
            ["status"],
            registry=r,
        )

        self._received = Children(self.frames_received)
        self._sent = Children(self.frames_sent)
        # Every RPC call: (method, status) and (method,), children made once.
        self.rpc_answered = Children(self.rpc_calls)
        self.rpc_timed = Children(self.rpc_duration)

    def frame_received(self, kind: str, action: str | None) -> None:
        self._received(kind, action_label(action)).inc()

    def frame_sent(self, kind: str, action: str | None) -> None:
        self._sent(kind, action_label(action)).inc()

    def track(
        self,
        stations: Callable[[], int],
        queued: Callable[[], int],
        disconnects: Callable[[], int],
        browsers: Callable[[], int] = lambda: 0,
        handshakes: Callable[[], int] = lambda: 0,
    ) -> None:
        """Gauges read at scrape time, from the node's own state."""
        self.stations_connected.set_function(stations)
        self.handshakes_queued.set_function(handshakes)
        self.browsers_connected.set_function(browsers)
        self.call_queue_depth.set_function(queued)
        self.disconnect_queue_depth.set_function(disconnects)

    def render(self) -> bytes:
        return generate_latest(self.registry)
