"""The rpc_app replicas the gateway calls: one endpoint per address, taken in turn.

One channel with round_robin spreads unary calls, but a stream stays on the
replica it was opened on: the batch streams all opened on whichever replica was
ready first, and a replica that joined or came back never got one. So a target
that lists several addresses gets one channel per address, each with its own
batch streams, and each call takes the next endpoint that looks able to serve
it. A single name (dns:///rpc:50051, host:port) stays one channel: round_robin
still spreads its unary calls over the addresses it resolves to.
"""

from __future__ import annotations

import itertools

import grpc
from grpc_health.v1 import health_pb2_grpc

from gateway.batch_client import BatchStream
from ocpp_cable.pb import presence_pb2_grpc, rpc_pb2_grpc

State = grpc.ChannelConnectivity

CHANNEL_OPTIONS = [
    # Pings no more often than the server's min_ping_interval allows.
    ("grpc.keepalive_time_ms", 30_000),
    ("grpc.keepalive_timeout_ms", 10_000),
    ("grpc.keepalive_permit_without_calls", 0),
    ("grpc.http2.max_pings_without_data", 0),
    # Retries are ours (within the deadline, counted in metrics), not the channel's.
    ("grpc.enable_retries", 0),
    # Come back quickly after rpc_app restarts; CALLs fail fast meanwhile.
    ("grpc.initial_reconnect_backoff_ms", 200),
    ("grpc.min_reconnect_backoff_ms", 200),
    ("grpc.max_reconnect_backoff_ms", 3000),
    # A name may resolve to several replicas; round_robin also reconnects a dropped
    # connection at once, where pick_first would wait idle for the next call.
    ("grpc.lb_policy_name", "round_robin"),
]


def split_target(target: str) -> list[str]:
    """`ipv4:a:p,b:p`, `ipv6:[a]:p,[b]:p` or `a:p,b:p` -> one target per address."""
    scheme, _, rest = target.partition(":")
    if scheme in ("ipv4", "ipv6"):
        return [f"{scheme}:{a.strip()}" for a in rest.split(",") if a.strip()]
    if "," in target and "/" not in target:  # a plain list; dns:///... names one host
        return [a.strip() for a in target.split(",") if a.strip()]
    return [target]


class Endpoint:
    """One replica (or one name): its channel, stubs and batch streams."""

    def __init__(self, target: str, streams: int) -> None:
        self.target = target
        self.channel = grpc.aio.insecure_channel(target, options=CHANNEL_OPTIONS)
        self.rpc = rpc_pb2_grpc.RPCStub(self.channel)
        self.health = health_pb2_grpc.HealthStub(self.channel)
        self.presence = presence_pb2_grpc.PresenceStub(self.channel)
        self.batches = [BatchStream(self.channel) for _ in range(streams)]
        self._rotation = itertools.cycle(self.batches)
        self._failing = False
        self._was_ready = False

    def next_batch(self) -> BatchStream:
        return next(self._rotation)

    def readiness(self) -> int:
        """2: READY. 1: connecting, no failure known (a call would wait for it). 0: failing:
        its connection was lost or refused, or a call came back UNAVAILABLE; until READY."""
        state = self.channel.get_state(try_to_connect=True)  # an idle channel reconnects
        if state == State.READY:
            self._failing = False
        elif state in (State.TRANSIENT_FAILURE, State.SHUTDOWN) or self._was_ready:
            self._failing = True
        self._was_ready = state == State.READY
        return 2 if self._was_ready else 0 if self._failing else 1

    def failed(self) -> None:
        """A call here came back UNAVAILABLE (its batch stream broke, or no connection)."""
        self._failing = True

    async def close(self) -> None:
        for batch in self.batches:
            await batch.close()
        await self.channel.close()


class Endpoints:
    def __init__(self, target: str, batch: bool, batch_streams: int) -> None:
        targets = split_target(target) or [target]
        # The configured streams are per gateway: shared out, at least one per replica.
        streams = -(-batch_streams // len(targets)) if batch else 0
        self.all = [Endpoint(t, streams) for t in targets]
        self.batches = [b for endpoint in self.all for b in endpoint.batches]
        self._last = -1

    def pick(self) -> Endpoint:
        """Round robin over the READY endpoints; else over those still connecting (the
        call waits for the connection); else the next one anyway: the call fails or is
        retried as it would with a single replica."""
        n = len(self.all)
        if n == 1:
            return self.all[0]
        turn = [(self._last + step) % n for step in range(1, n + 1)]
        readiness = {i: self.all[i].readiness() for i in turn}
        index = max(turn, key=lambda i: readiness[i])  # the first of the most ready
        self._last = index
        return self.all[index]

    async def close(self) -> None:
        for endpoint in self.all:
            await endpoint.close()
