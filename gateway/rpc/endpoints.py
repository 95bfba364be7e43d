"""The rpc_app replicas the gateway calls: one endpoint per address, taken in turn.

One channel with round_robin spreads unary calls, but a stream stays on the
replica it was opened on: the batch streams all opened on whichever replica was
ready first, and a replica that joined or came back never got one. So each
replica's address gets a channel of its own, with its own batch streams, and
each call takes the next endpoint that looks able to serve it. A target that
lists addresses names them; a single host name (rpc:50051, dns:///rpc:50051: a
Docker service, a Kubernetes headless service) is resolved here, again every
few seconds and soon after a failure, and its endpoints follow what it resolves
to. Anything else (unix:, xds:, dns://server/...) stays one channel.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import itertools
import re
import socket
from collections.abc import Awaitable, Callable

import grpc
import structlog
from grpc_health.v1 import health_pb2_grpc

from ocpp_cable.contract.pb import presence_pb2_grpc, rpc_pb2_grpc
from ocpp_cable.gateway.rpc.batch_stream import BatchStream
from ocpp_cable.gateway.rpc.link import PLAIN, Link

log = structlog.get_logger("gateway.rpc")

State = grpc.ChannelConnectivity
# loop.getaddrinfo's signature: (host, port, *, type=...) -> [(family, type, proto, _, sockaddr)]
Resolver = Callable[..., Awaitable[list[tuple]]]

RESOLVE_EVERY = 10.0  # seconds between looks at what a name resolves to
RESOLVE_GAP = 1.0  # at least this long between two looks, however often endpoints fail
RESOLVE_TIMEOUT = 5.0  # a lookup that hangs (a DNS server gone quiet) counts as failed
RETIRE_GRACE = 1.0  # lets a call that picked an endpoint just before it went start on it
HOST_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")

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


def host_name(target: str) -> tuple[str, int] | None:
    """(host, port) if `target` is one host name to resolve (`name:port`, `dns:///name:port`,
    `dns:name:port`); None for a list, an IP literal, any other scheme, or a name to be
    looked up on a DNS server of its own (`dns://server/name:port`: gRPC asks that one)."""
    rest = target.removeprefix("dns:")
    if rest != target and rest.startswith("//"):
        authority, _, rest = rest[2:].partition("/")
        if authority:
            return None
    host, _, port = rest.rpartition(":")
    if not port.isdigit() or not HOST_NAME.fullmatch(host):
        return None
    with contextlib.suppress(ValueError):
        ipaddress.ip_address(host)
        return None
    return host, int(port)


async def resolve_targets(resolve: Resolver, host: str, port: int) -> list[str]:
    """One gRPC target per address `host` resolves to, in the order given."""
    targets: dict[str, None] = {}  # getaddrinfo may give an address once per socket type
    for family, _, _, _, sockaddr in await resolve(host, port, type=socket.SOCK_STREAM):
        if family == socket.AF_INET:
            targets[f"ipv4:{sockaddr[0]}:{port}"] = None
        elif family == socket.AF_INET6:  # a scope (fe80::1%eth0) is %-encoded in a URI
            targets[f"ipv6:[{sockaddr[0].replace('%', '%25')}]:{port}"] = None
    return list(targets)


class Endpoint:
    """One replica (or one name): its channel, stubs and batch streams. `with endpoint:`
    around a call counts it, so that an endpoint let go closes once its calls are done."""

    def __init__(
        self,
        target: str,
        streams: int,
        on_failure: Callable[[], object] = lambda: None,
        link: Link = PLAIN,
    ) -> None:
        self.target = target
        self.metadata = link.metadata  # every call's: the secret that names the gateway
        self.channel = link.channel(target, CHANNEL_OPTIONS)
        self.rpc = rpc_pb2_grpc.RPCStub(self.channel)
        self.health = health_pb2_grpc.HealthStub(self.channel)
        self.presence = presence_pb2_grpc.PresenceStub(self.channel)
        self.batches = [BatchStream(self.channel, self.metadata) for _ in range(streams)]
        self.calls = 0
        self._idle: asyncio.Event | None = None
        self._rotation = itertools.cycle(self.batches)
        self._on_failure = on_failure
        self._failing = False
        self._was_ready = False

    def __enter__(self) -> Endpoint:
        self.calls += 1
        return self

    def __exit__(self, *_) -> None:
        self.calls -= 1
        if not self.calls and self._idle is not None:
            self._idle.set()

    async def idle(self) -> None:
        """Until no call is under way here."""
        while self.calls:
            self._idle = asyncio.Event()
            await self._idle.wait()

    def next_batch(self) -> BatchStream:
        return next(self._rotation)

    def readiness(self) -> int:
        """2: READY. 1: connecting, no failure known (a call would wait for it). 0: failing:
        its connection was lost or refused, or a call came back UNAVAILABLE; until READY."""
        state = self.channel.get_state(try_to_connect=True)  # an idle channel reconnects
        if state == State.READY:
            self._failing = False
        elif state in (State.TRANSIENT_FAILURE, State.SHUTDOWN) or self._was_ready:
            self.failed()
        self._was_ready = state == State.READY
        return 2 if self._was_ready else 0 if self._failing else 1

    def failed(self) -> None:
        """A call here came back UNAVAILABLE (its batch stream broke, or no connection)."""
        self._failing = True
        self._on_failure()  # the replica may have moved: look the name up again soon

    async def close(self) -> None:
        for batch in self.batches:
            await batch.close()
        await self.channel.close()


class Endpoints:
    """The replicas behind `--rpc-host`, each an `Endpoint`; `pick()` takes the next
    usable one in turn. A host name is looked up again every few seconds and the
    endpoints follow what it resolves to.
    """

    def __init__(
        self,
        target: str,
        batch: bool,
        batch_streams: int,
        resolve: Resolver | None = None,
        every: float = RESOLVE_EVERY,
        link: Link = PLAIN,
    ) -> None:
        """`resolve`: loop.getaddrinfo unless given; `every`: seconds between lookups;
        `link`: how each channel is opened and what each call carries."""
        targets = split_target(target) or [target]
        self._link = link
        # Until a name is resolved (or if it never is), one channel on it: gRPC resolves it.
        self._name = host_name(target) if len(targets) == 1 else None
        self._resolve = resolve
        self._every = every
        self._batch_streams = batch_streams if batch else 0
        self._stale = asyncio.Event()
        self._watch: asyncio.Task[None] | None = None
        self._leaving: dict[Endpoint, asyncio.Task[None]] = {}
        self._warned = False
        self._set([self._endpoint(t, len(targets)) for t in targets])
        self._last = -1
        with contextlib.suppress(RuntimeError):  # else the first pick starts the lookups
            self._follow_name()

    def _endpoint(self, target: str, replicas: int) -> Endpoint:
        # The configured streams are per gateway: shared out, at least one per replica.
        return Endpoint(target, -(-self._batch_streams // replicas), self._stale.set, self._link)

    def _set(self, endpoints: list[Endpoint]) -> None:
        self.all = endpoints
        self.batches = [b for endpoint in endpoints for b in endpoint.batches]

    def pick(self) -> Endpoint:
        """Round robin over the READY endpoints; else over those still connecting (the
        call waits for the connection); else the next one anyway: the call fails or is
        retried as it would with a single replica."""
        if self._watch is None and self._name:
            self._follow_name()
        n = len(self.all)
        if n == 1:
            return self.all[0]
        turn = [(self._last + step) % n for step in range(1, n + 1)]
        readiness = {i: self.all[i].readiness() for i in turn}
        index = max(turn, key=lambda i: readiness[i])  # the first of the most ready
        self._last = index
        return self.all[index]

    def _follow_name(self) -> None:
        if self._name:
            loop = asyncio.get_running_loop()
            self._watch = loop.create_task(self._follow(*self._name), name="rpc-resolve")

    async def _follow(self, host: str, port: int) -> None:
        resolve = self._resolve or asyncio.get_running_loop().getaddrinfo
        gap = min(RESOLVE_GAP, self._every)
        while True:
            self._stale.clear()
            await self._update(resolve, host, port)
            await asyncio.sleep(gap)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._every - gap):
                    await self._stale.wait()  # an endpoint failed

    async def _update(self, resolve: Resolver, host: str, port: int) -> None:
        try:
            async with asyncio.timeout(RESOLVE_TIMEOUT):
                targets, error = await resolve_targets(resolve, host, port), "no address"
        except Exception as exc:  # gaierror or a timeout; whatever it is, the watch goes on
            targets, error = [], str(exc) or type(exc).__name__
        if not targets:
            if not self._warned:
                log.warning("rpc host did not resolve; its endpoints stay", host=host, error=error)
            self._warned = True
            return
        if self._warned:
            log.info("rpc host resolves again", host=host, addresses=len(targets))
        self._warned = False
        current = {endpoint.target: endpoint for endpoint in self.all}
        if current.keys() == set(targets):
            return
        kept = [e for e in self.all if e.target in targets]  # in their order: a fair turn
        added = [self._endpoint(t, len(targets)) for t in targets if t not in current]
        self._set(kept + added)
        gone = [e for e in current.values() if e.target not in targets]
        for endpoint in gone:
            self._leaving[endpoint] = asyncio.create_task(self._retire(endpoint))
        log.info(
            "rpc replicas changed",
            host=host,
            added=[e.target for e in added],
            removed=[e.target for e in gone],
        )

    async def _retire(self, endpoint: Endpoint) -> None:
        """Close `endpoint` once the calls under way on it are done (served, or failed over:
        a call that failed there is retried on another endpoint)."""
        await asyncio.sleep(RETIRE_GRACE)
        await endpoint.idle()  # each call ends by its deadline
        await endpoint.close()
        del self._leaving[endpoint]

    async def close(self) -> None:
        tasks = [t for t in (self._watch, *self._leaving.values()) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for endpoint in [*self.all, *self._leaving]:
            await endpoint.close()
