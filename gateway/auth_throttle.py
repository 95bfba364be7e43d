"""Failed authentications, limited per station id, per remote address and per node: no I/O.

Each handshake whose credentials Connect refused takes a token from three buckets:
its station id's, its address's and the node's. Each holds a minute's worth of
failures and fills again at that rate. While one of them is empty, the gateway
answers the handshakes that bucket covers with 429 before it asks Connect, so a
client guessing passwords costs the application no more than the limits allow.

Guesses still waiting for Connect's answer count against their station id's and
address's buckets too: a client sending faster than Connect answers (or than it
times out, when the application is overloaded and no refusal ever comes back)
has no more guesses under way at once than the bucket holds. The node's bucket
counts refusals only, so that a reboot storm of stations the node has not seen
yet is never held back for arriving together.

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


@dataclass(slots=True, frozen=True)
class Attempt:
    """A handshake let through to Connect; settle it with its outcome, exactly once."""

    station_id: str
    address: str | None
    # Its credentials count as under way (a station not known from its address).
    under_way: bool


class Bucket:
    """A token bucket (a minute's worth at most, filled at that rate a minute), and the
    guesses under way that will take from it if refused."""

    __slots__ = ("stamp", "tokens", "under_way")

    def __init__(self, tokens: float, stamp: float) -> None:
        self.tokens = tokens
        self.stamp = stamp
        self.under_way = 0

    def fill(self, per_minute: int, now: float) -> None:
        self.tokens = min(per_minute, self.tokens + (now - self.stamp) * per_minute / 60)
        self.stamp = now


class Buckets:
    """One bucket per key, the least recently used forgotten beyond `kept` (a forgotten
    key starts full again).

    Args:
        per_minute: the bucket's size and its rate.
        kept: keys remembered at most.
        count_under_way: whether guesses under way hold the key back too.
    """

    def __init__(self, per_minute: int, kept: int, count_under_way: bool) -> None:
        self.per_minute = per_minute
        self.kept = kept
        self.count_under_way = count_under_way
        self._buckets: OrderedDict[str, Bucket] = OrderedDict()

    def __len__(self) -> int:
        return len(self._buckets)

    def wait(self, key: str, now: float) -> float:
        """Seconds until `key` may try once more (0: it may now)."""
        bucket = self._buckets.get(key)
        if bucket is None:
            return 0.0
        bucket.fill(self.per_minute, now)
        spent = bucket.under_way if self.count_under_way else 0
        if bucket.tokens - spent >= 1:
            return 0.0
        return (1 + spent - bucket.tokens) * 60 / self.per_minute

    def begin(self, key: str, now: float) -> None:
        if self.count_under_way:
            self._bucket(key, now).under_way += 1

    def end(self, key: str, now: float, refused: bool, begun: bool) -> None:
        """An attempt on `key` is over; `refused`: its credentials were, and it takes a
        token. `begun`: it was counted as under way."""
        if begun and self.count_under_way:
            bucket = self._buckets.get(key)
            if bucket is not None:  # (forgotten meanwhile: it starts afresh)
                bucket.under_way = max(0, bucket.under_way - 1)
        if refused:
            bucket = self._bucket(key, now)
            bucket.fill(self.per_minute, now)
            bucket.tokens = max(0.0, bucket.tokens - 1)  # never below empty: no debt

    def _bucket(self, key: str, now: float) -> Bucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = Bucket(self.per_minute, now)
            if len(self._buckets) > self.kept:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(key)
        return bucket


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
            (limit, Buckets(per_minute, kept, under_way))
            for limit, per_minute, kept, under_way in (
                (STATION, per_station, keys_kept, True),
                (ADDRESS, per_address, keys_kept, True),
                (NODE, per_node, 1, False),
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

    def start(self, station_id: str, address: str | None, credentials: bool) -> Attempt | Throttled:
        """Before Connect: the attempt to settle once Connect answered, or the limit that
        holds the handshake back. `credentials`: the handshake sent some."""
        known = _pair(station_id, address) in self._known
        if not self._limits or known:
            return Attempt(station_id, address, under_way=False)
        now = self.clock()
        held: Throttled | None = None
        for limit, buckets in self._limits:
            key = _key(limit, station_id, address)
            if key is None:
                continue
            wait = buckets.wait(key, now)
            if wait > 0 and (held is None or wait > held.retry_after):
                held = Throttled(limit, max(1, math.ceil(wait)))
        if held is not None:
            return held
        if credentials:
            self._each(station_id, address, lambda buckets, key: buckets.begin(key, now))
        return Attempt(station_id, address, under_way=credentials)

    def refused(self, attempt: Attempt) -> None:
        """Connect refused the credentials the handshake sent."""
        self._known.pop(_pair(attempt.station_id, attempt.address), None)
        self._end(attempt, refused=True)

    def admitted(self, attempt: Attempt) -> None:
        """Connect admitted the station: from this address it is never held back."""
        self._end(attempt, refused=False)
        if not self._limits or attempt.address is None:
            return
        pair = _pair(attempt.station_id, attempt.address)
        self._known[pair] = None
        self._known.move_to_end(pair)
        if len(self._known) > self._pairs_kept:
            self._known.popitem(last=False)

    def undecided(self, attempt: Attempt) -> None:
        """No verdict on the credentials: none were sent, or Connect could not be asked."""
        self._end(attempt, refused=False)

    def _end(self, attempt: Attempt, refused: bool) -> None:
        if not (refused or attempt.under_way):
            return
        now = self.clock()
        self._each(
            attempt.station_id,
            attempt.address,
            lambda buckets, key: buckets.end(key, now, refused, attempt.under_way),
        )

    def _each(
        self, station_id: str, address: str | None, do: Callable[[Buckets, str], None]
    ) -> None:
        for limit, buckets in self._limits:
            key = _key(limit, station_id, address)
            if key is not None:
                do(buckets, key)


def _key(limit: str, station_id: str, address: str | None) -> str | None:
    if limit == STATION:
        return station_id
    if limit == ADDRESS:
        return address
    return ""  # the node's one bucket


def _pair(station_id: str, address: str | None) -> int:
    return hash((station_id, address))
