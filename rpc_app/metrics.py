"""rpc_app's Prometheus metrics, served on their own port (`--rpc-metrics-port`)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

from ocpp_cable.foundation.metric_children import Children

PREFIX = "ocpp_cable_rpc"
BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)


class RPCMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter(
            f"{PREFIX}_requests_total",
            "RPC requests served, by method and status (SUCCESS, FAILURE, ERROR)",
            ["method", "status"],
            registry=r,
        )
        self.duration = Histogram(
            f"{PREFIX}_request_duration_seconds",
            "Time to serve one RPC request",
            ["method"],
            buckets=BUCKETS,
            registry=r,
        )
        self.refused = Counter(
            f"{PREFIX}_unauthenticated_total",
            "Calls refused for want of the gateway's secret, by method",
            ["method"],
            registry=r,
        )
        self.in_flight = Gauge(f"{PREFIX}_requests_in_flight", "RPC requests under way", registry=r)
        self.served = Children(self.requests)  # (method, status)
        self.timed = Children(self.duration)  # (method,)

    def serve(self, host: str, port: int):
        """Start the /metrics HTTP server in a thread; returns (server, thread)."""
        return start_http_server(port, addr=host, registry=self.registry)
