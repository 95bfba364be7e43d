"""gateway/auth_throttle.py: failed authentications limited per station id, per address and
per node, stations that authenticated before never held back, every table bounded."""

from __future__ import annotations

from gateway.auth_throttle import (
    ADDRESS,
    NODE,
    STATION,
    Attempt,
    AuthThrottle,
    Throttled,
    address_key,
)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def throttle(per_station=5, per_address=20, per_node=0, **sizes) -> tuple[AuthThrottle, Clock]:
    clock = Clock()
    return AuthThrottle(per_station, per_address, per_node, clock=clock, **sizes), clock


def check(t: AuthThrottle, station_id: str, address: str | None) -> Throttled | None:
    """Would a handshake with credentials be let through? (None: yes; left undecided.)"""
    attempt = t.start(station_id, address, credentials=True)
    if isinstance(attempt, Throttled):
        return attempt
    t.undecided(attempt)
    return None


def fail(t: AuthThrottle, station_id: str, address: str | None, times: int = 1) -> None:
    for _ in range(times):
        attempt = t.start(station_id, address, credentials=True)
        assert isinstance(attempt, Attempt), attempt
        t.refused(attempt)


def admit(t: AuthThrottle, station_id: str, address: str) -> None:
    attempt = t.start(station_id, address, credentials=True)
    assert isinstance(attempt, Attempt), attempt
    t.admitted(attempt)


def test_a_station_id_is_held_back_after_a_minutes_worth_of_failures_then_let_again():
    t, clock = throttle(per_station=5)
    for n in range(5):
        fail(t, "CP-1", f"10.0.0.{n}")  # from five addresses: the id's own limit
    held = check(t, "CP-1", "10.0.0.9")
    assert held == Throttled(STATION, 12)  # one failure a minute / 5: every 12 s
    assert check(t, "CP-2", "10.0.0.9") is None  # another station is not held back
    clock.now += 11.5
    assert check(t, "CP-1", "10.0.0.9") == Throttled(STATION, 1)
    clock.now += 0.5
    assert check(t, "CP-1", "10.0.0.9") is None
    fail(t, "CP-1", "10.0.0.9")  # that one token spent: held back again
    assert check(t, "CP-1", "10.0.0.9") == Throttled(STATION, 12)


def test_an_address_is_held_back_whatever_ids_it_tries():
    t, _ = throttle(per_station=5, per_address=20)
    for n in range(20):
        fail(t, f"CP-{n}", "203.0.113.7")
    assert check(t, "CP-99", "203.0.113.7") == Throttled(ADDRESS, 3)
    assert check(t, "CP-99", "203.0.113.8") is None


def test_a_station_that_authenticated_from_its_address_is_never_held_back():
    t, _ = throttle(per_station=5, per_address=20, per_node=30)
    admit(t, "CP-1", "198.51.100.1")
    admit(t, "CP-2", "203.0.113.7")  # behind the attacker's address
    fail(t, "CP-1", "203.0.113.7", times=5)  # the attacker spends CP-1's bucket,
    for n in range(15):
        fail(t, f"GUESS-{n}", "203.0.113.7")  # its address's
    for n in range(10):
        fail(t, f"GUESS-{n}", f"192.0.2.{n}")  # and the node's
    assert check(t, "CP-1", "203.0.113.7") is not None
    assert check(t, "CP-1", "198.51.100.2") is not None  # a new address: a stranger
    assert check(t, "CP-3", "192.0.2.200") == Throttled(NODE, 2)
    assert check(t, "CP-1", "198.51.100.1") is None
    assert check(t, "CP-2", "203.0.113.7") is None


def test_a_failure_from_a_known_address_ends_its_standing():
    t, _ = throttle(per_station=5)
    admit(t, "CP-1", "198.51.100.1")
    for _ in range(5):
        fail(t, "CP-1", "198.51.100.1")  # guessed from there: no longer known
    assert check(t, "CP-1", "198.51.100.1") == Throttled(STATION, 12)


def test_a_success_gives_no_failures_back():
    """A client holding one station's credentials cannot log in between guesses to earn
    more guesses for its address."""
    t, _ = throttle(per_station=100, per_address=3)
    admit(t, "CP-OWN", "203.0.113.7")
    fail(t, "CP-1", "203.0.113.7", times=3)
    admit(t, "CP-OWN", "203.0.113.7")  # known there: let through, and nothing refilled
    assert check(t, "CP-2", "203.0.113.7") == Throttled(ADDRESS, 20)


def test_the_node_limit_holds_strangers_back_when_ids_and_addresses_rotate():
    t, _ = throttle(per_station=5, per_address=20, per_node=60)
    admit(t, "CP-1", "198.51.100.1")
    for n in range(60):
        fail(t, f"RANDOM-{n}", f"2001:db8:{n:x}::1")
    assert check(t, "RANDOM-X", "2001:db8:ffff::1") == Throttled(NODE, 1)
    assert check(t, "CP-1", "198.51.100.1") is None


def test_retry_after_names_the_longest_wait():
    t, _ = throttle(per_station=5, per_address=2)
    fail(t, "CP-1", "203.0.113.7", times=2)  # this address's bucket (30 s a token) is empty
    fail(t, "CP-1", "203.0.113.8", times=2)
    fail(t, "CP-1", "203.0.113.9")  # and now the station's (12 s a token) too
    assert check(t, "CP-1", "203.0.113.7") == Throttled(ADDRESS, 30)
    assert check(t, "CP-1", "203.0.113.10") == Throttled(STATION, 12)


def test_a_limit_of_zero_is_no_limit():
    t, _ = throttle(per_station=0, per_address=3, per_node=0)
    fail(t, "CP-1", "203.0.113.7", times=3)
    assert check(t, "CP-1", "203.0.113.8") is None  # no station limit
    assert check(t, "CP-2", "203.0.113.7") == Throttled(ADDRESS, 20)
    off, _ = throttle(per_station=0, per_address=0, per_node=0)
    assert not off.enabled
    fail(off, "CP-1", "203.0.113.7", times=1000)
    admit(off, "CP-1", "203.0.113.7")
    assert off.remembered() == 0


def test_rotating_ids_and_addresses_cannot_grow_memory():
    t, _ = throttle(per_station=5, per_address=5, keys_kept=100, pairs_kept=50)
    for n in range(10_000):
        fail(t, f"CP-{n}", f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}")
        admit(t, f"OK-{n}", f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}")
    assert t.remembered() <= 100 + 100 + 1 + 50


def test_the_least_recently_failed_are_forgotten_first():
    t, _ = throttle(per_station=2, per_address=0, keys_kept=2)
    fail(t, "CP-A", "x")
    fail(t, "CP-B", "x")
    fail(t, "CP-A", "x")  # CP-A failed last: CP-B goes when CP-C comes
    fail(t, "CP-C", "x", times=2)
    assert check(t, "CP-A", "x") is not None and check(t, "CP-C", "x") is not None
    assert check(t, "CP-B", "x") is None


def test_guesses_under_way_count_against_the_station_and_the_address():
    """A client sending faster than Connect answers (or than it times out, when no
    refusal ever comes back) has no more guesses under way than the bucket holds."""
    t, _ = throttle(per_station=3, per_address=5)
    under_way = [t.start("CP-1", f"10.0.0.{n}", credentials=True) for n in range(3)]
    assert all(isinstance(a, Attempt) for a in under_way)
    assert check(t, "CP-1", "10.0.0.9") == Throttled(STATION, 20)
    t.undecided(under_way.pop())  # Connect could not be asked: no failure, one slot back
    assert check(t, "CP-1", "10.0.0.9") is None
    rotating = [t.start(f"CP-{n}", "203.0.113.7", credentials=True) for n in range(10, 15)]
    assert all(isinstance(a, Attempt) for a in rotating)
    assert check(t, "CP-99", "203.0.113.7") == Throttled(ADDRESS, 12)
    for attempt in rotating:
        t.admitted(attempt)  # stations after all: nothing was spent
    assert check(t, "CP-99", "203.0.113.7") is None


def test_a_storm_of_new_stations_is_never_held_back_by_the_node():
    t, _ = throttle(per_station=1, per_address=0, per_node=5)
    fail(t, "CP-BAD", "192.0.2.1", times=1)  # the node has seen a failure
    storm = [t.start(f"CP-{n}", f"10.0.{n >> 8}.{n & 255}", credentials=True) for n in range(500)]
    assert all(isinstance(a, Attempt) for a in storm)


def test_only_handshakes_with_credentials_count_as_under_way():
    t, _ = throttle(per_station=1, per_address=1)
    without = [t.start("CP-1", "10.0.0.1", credentials=False) for _ in range(5)]
    assert all(isinstance(a, Attempt) for a in without)
    assert check(t, "CP-1", "10.0.0.1") is None
    for attempt in without:
        t.undecided(attempt)  # refused as unknown (404): nothing counted


def test_a_known_stations_handshakes_are_not_under_way():
    t, _ = throttle(per_station=1, per_address=1)
    admit(t, "CP-1", "10.0.0.1")
    reconnecting = [t.start("CP-1", "10.0.0.1", credentials=True) for _ in range(3)]
    assert all(isinstance(a, Attempt) for a in reconnecting)
    assert check(t, "CP-1", "10.0.0.2") is None  # its id's bucket untouched


def test_an_address_bucket_is_its_ipv4_or_its_ipv6_64():
    assert address_key("203.0.113.7") == "203.0.113.7"
    assert address_key("2001:db8:1:2:aaaa::1") == address_key("2001:db8:1:2:bbbb::9")
    assert address_key("2001:db8:1:2::1") == "2001:db8:1:2::/64"
    assert address_key("2001:db8:1:3::1") != address_key("2001:db8:1:2::1")
    assert address_key("::ffff:203.0.113.7") == "203.0.113.7"
    assert address_key(None) is None and address_key("") is None
    assert address_key("not-an-address") == "not-an-address"


def test_a_handshake_without_an_address_meets_the_other_limits():
    t, _ = throttle(per_station=2, per_address=1)
    fail(t, "CP-1", None, times=2)  # type: ignore[arg-type]
    assert check(t, "CP-1", None) == Throttled(STATION, 30)
    assert check(t, "CP-2", None) is None
