"""Failed authentications, limited per station id, per remote address and per node: no I/O.

Each handshake whose credentials Connect refused takes a token from three buckets:
its station id's, its address's and the node's. Each holds a minute's worth of
failures and fills again at that rate. While one of them is empty, the gateway
answers the handshakes that bucket covers with 429 before it asks Connect, so a
client guessing passwords costs the application no more than the limits allow.

A station that authenticated before from its address is never held back: an
attacker flooding its id, its address or the node does not keep it out. Its own
next failure from there (a changed password, or an attacker behind the same
address) ends that standing.

Every table is bounded (least recently used out first): a client that rotates ids
and addresses cannot grow memory, and then meets the node's bucket.
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

STATION, ADDRESS, NODE = "station", "address", "node"
LIMITS = (STATION, ADDRESS, NODE)  # the label values of the throttled-handshakes metric

# Station ids and addresses with failures remembered (each entry ~200 bytes: ~2 MB each).
KEYS_KEPT = 10_000
# (station id, address) pairs that authenticated, as 64-bit hashes (~100 bytes each: ~10 MB
# when full). A node holds tens of thousands of stations: they all fit.
PAIRS_KEPT = 100_000


def address_key(host: str | None) -> str | None:
    """The bucket of a remote address: itself for IPv4, its /64 for IPv6 (one client
    holds a whole /64), the IPv4 address an IPv4-mapped one carries."""
    if not host:
        return None
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


@dataclass(slots=True, frozen=True)
class Throttled:
    """A handshake held back: by which limit, and for how many seconds at least."""

    limit: str
    retry_after: int


class Bucket:
    """A token bucket: `per_minute` tokens at most, filled at `per_minute` a minute."""

    __slots__ = ("stamp", "tokens")

    def __init__(self, tokens: float, stamp: float) -> None:
        self.tokens = tokens
        self.stamp = stamp

    def fill(self, per_minute: int, now: float) -> None:
        self.tokens = min(per_minute, self.tokens + (now - self.stamp) * per_minute / 60)
        self.stamp = now


class Buckets:
    """One bucket per key, the least recently used forgotten beyond `kept` (a forgotten
    key starts full again)."""

    def __init__(self, per_minute: int, kept: int) -> None:
        self.per_minute = per_minute
        self.kept = kept
        self._buckets: OrderedDict[str, Bucket] = OrderedDict()

    def __len__(self) -> int:
        return len(self._buckets)

    def wait(self, key: str, now: float) -> float:
        """Seconds until `key` may fail once more (0: it may now)."""
        bucket = self._buckets.get(key)
        if bucket is None:
            return 0.0
        bucket.fill(self.per_minute, now)
        if bucket.tokens >= 1:
            return 0.0
        return (1 - bucket.tokens) * 60 / self.per_minute

    def take(self, key: str, now: float) -> None:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = Bucket(self.per_minute, now)
            if len(self._buckets) > self.kept:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(key)
            bucket.fill(self.per_minute, now)
        # Never below empty: a failure let through (a known pair's) adds no debt.
        bucket.tokens = max(0.0, bucket.tokens - 1)


class AuthThrottle:
    """Decides, before Connect, whether a station's handshake is held back.

    Args:
        per_station: failures a station id may have a minute (0: no limit).
        per_address: failures a remote address may have a minute (0: no limit).
        per_node: failures this node takes a minute in all (0: no limit).
        clock: monotonic seconds.
    """

    def __init__(
        self,
        per_station: int,
        per_address: int,
        per_node: int,
        clock: Callable[[], float] = time.monotonic,
        keys_kept: int = KEYS_KEPT,
        pairs_kept: int = PAIRS_KEPT,
    ) -> None:
        self.clock = clock
        self._limits = [
            (limit, Buckets(per_minute, kept))
            for limit, per_minute, kept in (
                (STATION, per_station, keys_kept),
                (ADDRESS, per_address, keys_kept),
                (NODE, per_node, 1),
            )
            if per_minute > 0
        ]
        self._pairs_kept = pairs_kept
        self._known: OrderedDict[int, None] = OrderedDict()

    @property
    def enabled(self) -> bool:
        return bool(self._limits)

    def remembered(self) -> int:
        """Entries held in all tables (bounded by the sizes given)."""
        return sum(len(buckets) for _, buckets in self._limits) + len(self._known)

    def check(self, station_id: str, address: str | None) -> Throttled | None:
        """Before Connect: None to ask it, or the limit that holds the handshake back."""
        if not self._limits or _pair(station_id, address) in self._known:
            return None
        now = self.clock()
        held: Throttled | None = None
        for limit, buckets in self._limits:
            key = _key(limit, station_id, address)
            if key is None:
                continue
            wait = buckets.wait(key, now)
            if wait > 0 and (held is None or wait > held.retry_after):
                held = Throttled(limit, max(1, math.ceil(wait)))
        return held

    def failed(self, station_id: str, address: str | None) -> None:
        """Connect refused the credentials this handshake sent."""
        if not self._limits:
            return
        self._known.pop(_pair(station_id, address), None)
        now = self.clock()
        for limit, buckets in self._limits:
            key = _key(limit, station_id, address)
            if key is not None:
                buckets.take(key, now)

    def succeeded(self, station_id: str, address: str | None) -> None:
        """Connect admitted the station: from this address it is never held back."""
        if not self._limits or address is None:
            return
        pair = _pair(station_id, address)
        self._known[pair] = None
        self._known.move_to_end(pair)
        if len(self._known) > self._pairs_kept:
            self._known.popitem(last=False)


def _key(limit: str, station_id: str, address: str | None) -> str | None:
    if limit == STATION:
        return station_id
    if limit == ADDRESS:
        return address
    return ""  # the node's one bucket


def _pair(station_id: str, address: str | None) -> int:
    return hash((station_id, address))
