"""Failed authentications, limited per (station id, address), per address and per node: no I/O.

Each handshake whose credentials Connect refused spends a token of three buckets: its
(station id, address) pair's, its address's and the node's. Each holds a minute's worth
of failures and fills again at that rate. Before Connect is asked, a handshake is held
back (429) when

- its pair's bucket is spent: the station id from the address that failed for it, and
  from no other;
- its address's bucket is spent, whatever ids it tries;
- the node's bucket is spent (the node is under attack) and its address failed in the
  last minute (for any station): it waits from its next failure on, not from its 30th.
  An address with no failure in the last minute is never held back by the node.

So whoever floods a station id, an address or the node, a client that has not failed
itself from its address reaches Connect. The price: guessing spread over many
addresses is bounded per address, not per station id.

Guesses still waiting for Connect's answer count against all three as if refused: a
client sending faster than Connect answers (or than it times out) has no more guesses
under way at once than its buckets hold.

A station that authenticated from an address is exempt there for one handshake under
way at a time (a station has one connection); more at once from that pair, as from an
attacker behind the same NAT address, meet the limits. Its next failure from there ends
its standing.

Every table is bounded. A key is forgotten once its last failure is a minute old: its
bucket is full again by then, so forgetting it hands nobody a fresh one. A table full of
failures younger than that stores no new key until the oldest ages: a new pair from an
address that failed in the last minute is held back meanwhile as if spent; a client that
never failed is not.
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass

STATION, ADDRESS, NODE = "station", "address", "node"
LIMITS = (STATION, ADDRESS, NODE)  # the label values of the throttled-handshakes metric

# Seconds a failure stays on record; every bucket is full again by then.
WINDOW = 60.0
# Pairs and addresses refused within the last minute, remembered at most (each entry about
# 200 bytes: ~2 MB a table). Overflowing one takes 10,000 refusals from Connect within a
# minute.
KEYS_KEPT = 10_000
# (station id, address) pairs that authenticated, as 64-bit hashes (~100 bytes each: ~10 MB
# when full). A node holds tens of thousands of stations: they all fit.
PAIRS_KEPT = 100_000
NODE_KEY = ""  # the node's one bucket


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
    # It holds the one exempt handshake of a pair that authenticated before.
    known: bool
    # Its credentials count as under way against the limits.
    under_way: bool


class Failure:
    """A key's bucket as its last failure left it."""

    __slots__ = ("at", "tokens")

    def __init__(self, tokens: float, at: float) -> None:
        self.tokens = tokens
        self.at = at

    def tokens_now(self, per_minute: int, now: float) -> float:
        return min(per_minute, self.tokens + (now - self.at) * per_minute / 60)


class Failures:
    """Per key: a token bucket (`per_minute` at once, filled again at that rate; 0: no limit,
    failures recorded only), its last failure, and its guesses under way.

    Only keys refused in the last minute are kept, at most `kept` of them, ordered by
    their last failure. Guesses under way are kept while they are: no more than the
    handshakes open.
    """

    def __init__(self, per_minute: int, kept: int) -> None:
        self.per_minute = per_minute
        self.kept = kept
        self._failed: OrderedDict[Hashable, Failure] = OrderedDict()  # the oldest first
        self._under_way: dict[Hashable, int] = {}

    def __len__(self) -> int:
        return len(self._failed) + len(self._under_way)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._failed

    def wait(self, key: Hashable, now: float) -> float:
        """Seconds until `key` may try once more (0: it may now), its guesses under way
        counted as failures."""
        if not self.per_minute:
            return 0.0
        failure = self._failed.get(key)
        tokens = failure.tokens_now(self.per_minute, now) if failure else self.per_minute
        spent = self._under_way.get(key, 0)
        if tokens - spent >= 1:
            return 0.0
        return (1 + spent - tokens) * 60 / self.per_minute

    def on_record(self, key: Hashable, now: float) -> float:
        """Seconds `key`'s last failure stays on record (0: none in the last minute)."""
        failure = self._failed.get(key)
        return max(0.0, failure.at + WINDOW - now) if failure else 0.0

    def no_room(self, now: float) -> float:
        """Seconds until a new key can be stored (0: it can now)."""
        self._forget(now)
        if len(self._failed) < self.kept:
            return 0.0
        oldest = next(iter(self._failed.values()))
        return oldest.at + WINDOW - now

    def begin(self, key: Hashable) -> None:
        self._under_way[key] = self._under_way.get(key, 0) + 1

    def end(self, key: Hashable) -> None:
        left = self._under_way.pop(key, 1) - 1
        if left > 0:
            self._under_way[key] = left

    def fail(self, key: Hashable, now: float) -> None:
        """A refusal takes a token (never below empty: no debt). A new key finding no
        room is not stored: no_room() says how long that lasts."""
        self._forget(now)
        failure = self._failed.pop(key, None)
        if failure is None:
            if len(self._failed) >= self.kept:
                return
            failure = Failure(self.per_minute, now)
        failure.tokens = max(0.0, failure.tokens_now(self.per_minute, now) - 1)
        failure.at = now
        self._failed[key] = failure  # the newest now

    def _forget(self, now: float) -> None:
        """Keys whose last failure is a minute old: their buckets are full again."""
        while self._failed:
            oldest = next(iter(self._failed.values()))
            if now - oldest.at < WINDOW:
                return
            self._failed.popitem(last=False)


class AuthThrottle:
    """Decides, before Connect, whether a station's handshake is held back.

    Args:
        per_station: failures a station id may have a minute from one address (0: no limit).
        per_address: failures a remote address may have a minute (0: no limit).
        per_node: failures this node takes a minute in all before it holds back addresses
            that failed in the last minute (0: no limit).
        clock: monotonic seconds.
        keys_kept: pairs and addresses with recent failures remembered, each.
        pairs_kept: pairs that authenticated remembered.
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
        self.enabled = bool(per_station or per_address or per_node)
        # Also what the node knows of a client where addresses are not limited (behind a
        # proxy every client has one address, which tells nobody apart).
        self._pairs = Failures(per_station, keys_kept)
        self._addresses = Failures(per_address, keys_kept) if per_address else None
        self._node = Failures(per_node, 1)
        self._pairs_kept = pairs_kept
        self._known: OrderedDict[int, None] = OrderedDict()
        self._known_under_way: set[int] = set()

    def remembered(self) -> int:
        """Entries held in all tables (bounded by the sizes given and the handshakes open)."""
        tables = (self._pairs, self._addresses, self._node)
        held = sum(len(failures) for failures in tables if failures is not None)
        return held + len(self._known) + len(self._known_under_way)

    def start(self, station_id: str, address: str | None, credentials: bool) -> Attempt | Throttled:
        """Before Connect: the attempt to settle once Connect answered, or the limit that
        holds the handshake back. `credentials`: the handshake sent some."""
        if not self.enabled:
            return Attempt(station_id, address, known=False, under_way=False)
        pair = _pair(station_id, address)
        if pair in self._known and pair not in self._known_under_way:
            if credentials:
                self._known_under_way.add(pair)
            return Attempt(station_id, address, known=credentials, under_way=False)
        now = self.clock()
        held = self._held(pair, address, now)
        if held is not None:
            return held
        if credentials:
            for failures, key in self._keys(pair, address):
                failures.begin(key)
        return Attempt(station_id, address, known=False, under_way=credentials)

    def refused(self, attempt: Attempt) -> None:
        """Connect refused the credentials the handshake sent."""
        if not self.enabled:
            return
        pair = self._settle(attempt)
        self._known.pop(pair, None)
        now = self.clock()
        for failures, key in self._keys(pair, attempt.address):
            failures.fail(key, now)

    def admitted(self, attempt: Attempt) -> None:
        """Connect admitted the station: from this address it is exempt from now on."""
        if not self.enabled:
            return
        pair = self._settle(attempt)
        if attempt.address is None:
            return
        self._known[pair] = None
        self._known.move_to_end(pair)
        if len(self._known) > self._pairs_kept:
            self._known.popitem(last=False)

    def undecided(self, attempt: Attempt) -> None:
        """No verdict on the credentials: none were sent, or Connect could not be asked."""
        if self.enabled:
            self._settle(attempt)

    def _held(self, pair: int, address: str | None, now: float) -> Throttled | None:
        waits = [(self._pairs.wait(pair, now), STATION)]
        if self._addresses is not None and address is not None:
            waits.append((self._addresses.wait(address, now), ADDRESS))
        on_record = self._on_record(pair, address, now)
        if on_record:  # a client that failed in the last minute
            waits.append((min(self._node.wait(NODE_KEY, now), on_record), NODE))
            if self._pairs.per_minute and pair not in self._pairs:
                # A new pair the table cannot take yet counts as spent.
                waits.append((min(self._pairs.no_room(now), on_record), STATION))
        wait, limit = max(waits)
        if wait <= 0:
            return None
        return Throttled(limit, max(1, math.ceil(wait)))

    def _on_record(self, pair: int, address: str | None, now: float) -> float:
        """Seconds this client's last failure stays on record: its address's (for any
        station), or its pair's where addresses tell clients apart less."""
        on_record = self._pairs.on_record(pair, now)
        if self._addresses is not None and address is not None:
            on_record = max(on_record, self._addresses.on_record(address, now))
        return on_record

    def _settle(self, attempt: Attempt) -> int:
        """What the attempt held is released; its pair's hash."""
        pair = _pair(attempt.station_id, attempt.address)
        if attempt.known:
            self._known_under_way.discard(pair)
        if attempt.under_way:
            for failures, key in self._keys(pair, attempt.address):
                failures.end(key)
        return pair

    def _keys(self, pair: int, address: str | None) -> Iterator[tuple[Failures, Hashable]]:
        yield self._pairs, pair
        if self._addresses is not None and address is not None:
            yield self._addresses, address
        yield self._node, NODE_KEY


def _pair(station_id: str, address: str | None) -> int:
    return hash((station_id, address))
