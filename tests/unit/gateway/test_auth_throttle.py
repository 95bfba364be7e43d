"""gateway/auth_throttle.py: failed authentications limited per (station id, address), per
address and per node; whoever floods an id, an address or the node, a client that has not
failed itself is never held back; every table bounded, and none hands a spent bucket back."""

from __future__ import annotations

from ocpp_cable.gateway.auth_throttle import (
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


def ipv4(n: int) -> str:
    return f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"


def test_a_station_id_is_held_back_from_the_address_that_failed_for_it_then_let_again():
    t, clock = throttle(per_station=5, per_address=100)
    fail(t, "CP-1", "203.0.113.7", times=5)
    assert check(t, "CP-1", "203.0.113.7") == Throttled(STATION, 12)  # every 12 s a token
    assert check(t, "CP-2", "203.0.113.7") is None  # another station from there is not
    assert check(t, "CP-1", "198.51.100.1") is None  # nor this one from a fresh address
    clock.now += 11.5
    assert check(t, "CP-1", "203.0.113.7") == Throttled(STATION, 1)
    clock.now += 0.5
    assert check(t, "CP-1", "203.0.113.7") is None
    fail(t, "CP-1", "203.0.113.7")  # that one token spent: held back again
    assert check(t, "CP-1", "203.0.113.7") == Throttled(STATION, 12)


def test_guesses_for_one_station_from_many_addresses_do_not_hold_it_back_elsewhere():
    """The price of the rule above: guessing spread over addresses is bounded per address."""
    t, _ = throttle(per_station=5, per_address=20)
    for n in range(50):
        fail(t, "CP-1", f"192.0.2.{n}", times=5)
        assert check(t, "CP-1", f"192.0.2.{n}") == Throttled(STATION, 12)
    assert check(t, "CP-1", "198.51.100.1") is None


def test_a_gateway_restart_while_an_attacker_floods_a_station_id_does_not_keep_it_out():
    """After a restart the node knows nobody; the attacker guesses CP-1's password from its
    address 10 times a second, and CP-1 comes back from its own."""
    t, clock = throttle(per_station=10, per_address=30, per_node=600)
    for _ in range(600):  # a minute of it
        clock.now += 0.1
        attempt = t.start("CP-1", "203.0.113.7", credentials=True)
        if isinstance(attempt, Attempt):
            t.refused(attempt)
        assert check(t, "CP-1", "198.51.100.1") is None
    assert check(t, "CP-1", "203.0.113.7") is not None
    admit(t, "CP-1", "198.51.100.1")


def test_an_address_is_held_back_whatever_ids_it_tries():
    t, _ = throttle(per_station=5, per_address=20)
    for n in range(20):
        fail(t, f"CP-{n}", "203.0.113.7")
    assert check(t, "CP-99", "203.0.113.7") == Throttled(ADDRESS, 3)
    assert check(t, "CP-99", "203.0.113.8") is None


def test_twenty_addresses_spending_the_node_do_not_stop_a_fresh_station():
    """20 addresses, 10 wrong guesses a second each, keep the node's bucket empty; a station
    the node never saw, from an address that never failed, is let through all along."""
    t, clock = throttle(per_station=10, per_address=30, per_node=600)
    attackers = [f"192.0.2.{n}" for n in range(20)]
    held = 0
    for tick in range(600):  # a minute, every 0.1 s a guess from each
        clock.now += 0.1
        for n, source in enumerate(attackers):
            attempt = t.start(f"GUESS-{tick}-{n}", source, credentials=True)
            if isinstance(attempt, Throttled):
                held += 1
            else:
                t.refused(attempt)
        assert check(t, f"CP-{tick}", ipv4(tick)) is None  # a fresh station, every tick
    assert check(t, "CP-X", "192.0.2.0") is not None  # the attackers are held back:
    assert 600 * 20 - held <= 600 + 600 + 1  # past their first 30, the node's 10 a second


def test_while_the_node_is_spent_an_address_that_failed_is_held_at_its_next_failure():
    t, clock = throttle(per_station=10, per_address=30, per_node=20)
    fail(t, "CP-1", "198.51.100.1")  # a charger with a stale password, once
    for n in range(20):
        fail(t, f"GUESS-{n}", f"192.0.2.{n}")  # the node spent
    # Its 2nd failure of 30 would be allowed; the node under attack holds it back now,
    # until its failure is a minute old or the node has a token again (3 s each).
    assert check(t, "CP-1", "198.51.100.1") == Throttled(NODE, 3)
    assert check(t, "CP-2", "198.51.100.1") == Throttled(NODE, 3)  # any station from there
    assert check(t, "CP-1", "198.51.100.2") is None  # the same id from a fresh address
    clock.now += 3
    assert check(t, "CP-1", "198.51.100.1") is None


def test_a_failure_is_on_record_for_a_minute():
    t, clock = throttle(per_station=10, per_address=30, per_node=1)
    fail(t, "CP-1", "198.51.100.1")
    clock.now += 50
    fail(t, "GUESS", "192.0.2.1")  # the node spent: it takes one a minute
    assert check(t, "CP-1", "198.51.100.1") == Throttled(NODE, 10)  # not 60
    clock.now += 10
    assert check(t, "CP-1", "198.51.100.1") is None  # the failure has gone from the record


def test_a_station_that_authenticated_from_its_address_is_never_held_back():
    t, _ = throttle(per_station=5, per_address=20, per_node=30)
    admit(t, "CP-1", "198.51.100.1")
    admit(t, "CP-2", "203.0.113.7")  # behind the attacker's address
    fail(t, "CP-1", "203.0.113.7", times=5)  # the attacker spends CP-1's bucket there,
    for n in range(15):
        fail(t, f"GUESS-{n}", "203.0.113.7")  # its address's
    for n in range(10):
        fail(t, f"GUESS-{n}", f"192.0.2.{n}")  # and the node's
    assert check(t, "CP-1", "203.0.113.7") is not None
    assert check(t, "CP-3", "192.0.2.0") == Throttled(NODE, 2)
    assert check(t, "CP-1", "198.51.100.1") is None
    assert check(t, "CP-1", "198.51.100.2") is None  # a new address that never failed
    assert check(t, "CP-2", "203.0.113.7") is None


def test_a_failure_from_a_known_address_ends_its_standing():
    t, _ = throttle(per_station=5)
    admit(t, "CP-1", "198.51.100.1")
    for _ in range(5):
        fail(t, "CP-1", "198.51.100.1")  # guessed from there: no longer known
    assert check(t, "CP-1", "198.51.100.1") == Throttled(STATION, 12)


def test_a_burst_from_a_known_address_has_one_guess_under_way_beyond_the_limits():
    """An attacker behind the real station's NAT address, sending many handshakes at once
    while the station reconnects, gets one past the limits, not all of them."""
    t, _ = throttle(per_station=5, per_address=20)
    admit(t, "CP-1", "203.0.113.7")
    burst = [t.start("CP-1", "203.0.113.7", credentials=True) for _ in range(50)]
    let = [a for a in burst if isinstance(a, Attempt)]
    assert len(let) == 1 + 5
    assert burst[6] == Throttled(STATION, 12)
    for attempt in let:
        t.refused(attempt)
    assert check(t, "CP-1", "203.0.113.7") == Throttled(STATION, 12)


def test_a_known_station_reconnecting_one_at_a_time_takes_nothing():
    t, _ = throttle(per_station=1, per_address=1, per_node=1)
    admit(t, "CP-1", "10.0.0.1")
    for _ in range(100):
        admit(t, "CP-1", "10.0.0.1")
    without = t.start("CP-1", "10.0.0.1", credentials=False)  # a station without a password
    assert isinstance(without, Attempt) and not without.known and not without.under_way
    t.undecided(without)
    assert check(t, "CP-1", "10.0.0.2") is None  # its id's, address's and node's untouched
    assert check(t, "CP-2", "10.0.0.1") is None


def test_a_success_gives_no_failures_back():
    """A client holding one station's credentials cannot log in between guesses to earn
    more guesses for its address."""
    t, _ = throttle(per_station=100, per_address=3)
    admit(t, "CP-OWN", "203.0.113.7")
    fail(t, "CP-1", "203.0.113.7", times=3)
    admit(t, "CP-OWN", "203.0.113.7")  # known there: let through, and nothing refilled
    assert check(t, "CP-2", "203.0.113.7") == Throttled(ADDRESS, 20)


def test_retry_after_names_the_longest_wait():
    t, _ = throttle(per_station=2, per_address=3)
    fail(t, "CP-1", "203.0.113.7", times=2)  # the pair's bucket (30 s a token) is empty
    assert check(t, "CP-1", "203.0.113.7") == Throttled(STATION, 30)
    fail(t, "CP-2", "203.0.113.7")  # and the address's (20 s a token)
    assert check(t, "CP-1", "203.0.113.7") == Throttled(STATION, 30)
    assert check(t, "CP-3", "203.0.113.7") == Throttled(ADDRESS, 20)


def test_a_limit_of_zero_is_no_limit():
    t, _ = throttle(per_station=0, per_address=3, per_node=0)
    fail(t, "CP-1", "203.0.113.7", times=3)
    assert check(t, "CP-1", "203.0.113.8") is None  # no station limit
    assert check(t, "CP-2", "203.0.113.7") == Throttled(ADDRESS, 20)
    t, _ = throttle(per_station=3, per_address=0, per_node=0)
    fail(t, "CP-1", "203.0.113.7", times=3)
    for n in range(100):
        fail(t, f"CP-{n + 2}", "203.0.113.7")  # no address limit
    assert check(t, "CP-1", "203.0.113.7") == Throttled(STATION, 20)
    off, _ = throttle(per_station=0, per_address=0, per_node=0)
    assert not off.enabled
    fail(off, "CP-1", "203.0.113.7", times=1000)
    admit(off, "CP-1", "203.0.113.7")
    assert off.remembered() == 0


def test_without_an_address_limit_the_node_holds_back_the_pair_that_failed():
    """Behind a proxy (every client one address, --auth-failures-per-address 0) the address
    tells nobody apart: while the node is spent, only the (station, address) that failed in
    the last minute is held back."""
    t, _ = throttle(per_station=10, per_address=0, per_node=5)
    for n in range(5):
        fail(t, f"GUESS-{n}", "10.0.0.1")
    assert check(t, "GUESS-0", "10.0.0.1") == Throttled(NODE, 12)
    assert check(t, "CP-1", "10.0.0.1") is None


def test_rotating_ids_and_addresses_cannot_grow_memory():
    t, clock = throttle(per_station=5, per_address=5, per_node=50, keys_kept=100, pairs_kept=50)
    for n in range(10_000):
        clock.now += 0.01
        attempt = t.start(f"CP-{n}", ipv4(n), credentials=True)
        if isinstance(attempt, Attempt):
            t.refused(attempt)
        admit(t, f"OK-{n}", ipv4(n + 100_000))
    assert t.remembered() <= 100 + 100 + 1 + 50


def test_a_spent_bucket_is_not_forgotten_while_a_flood_of_new_ids_fills_the_table():
    """Random ids from many addresses fill the table; the target's spent bucket stays spent
    (forgotten only once it is full again, a minute after its last failure)."""
    t, clock = throttle(per_station=5, per_address=30, keys_kept=100)
    fail(t, "CP-1", "203.0.113.7", times=5)
    for n in range(5_000):
        attempt = t.start(f"RANDOM-{n}", ipv4(n % 1000), credentials=True)
        if isinstance(attempt, Attempt):
            t.refused(attempt)
    clock.now += 5
    assert check(t, "CP-1", "203.0.113.7") == Throttled(STATION, 7)  # 12 s less 5 s gone
    clock.now += 55
    assert check(t, "CP-1", "203.0.113.7") is None  # a minute on: full again, forgotten


def test_a_new_key_the_full_table_cannot_take_is_spent_for_an_address_that_failed():
    t, clock = throttle(per_station=5, per_address=30, keys_kept=4)
    for n in range(4):
        clock.now += 1
        fail(t, f"RANDOM-{n}", "203.0.113.7")  # the table full, all within the minute
    assert check(t, "CP-1", "203.0.113.7") == Throttled(STATION, 57)  # the oldest: 57 s
    assert check(t, "CP-1", "198.51.100.1") is None  # a fresh client is let through
    admit(t, "CP-1", "198.51.100.1")
    clock.now += 57
    assert check(t, "CP-1", "203.0.113.7") is None  # the oldest is forgotten: room


def test_guesses_under_way_count_against_the_station_the_address_and_the_node():
    """A client sending faster than Connect answers (or than it times out, when no
    refusal ever comes back) has no more guesses under way than the bucket holds."""
    t, _ = throttle(per_station=3, per_address=5, per_node=8)
    under_way = [t.start("CP-1", "10.0.0.1", credentials=True) for _ in range(3)]
    assert all(isinstance(a, Attempt) for a in under_way)
    assert check(t, "CP-1", "10.0.0.1") == Throttled(STATION, 20)
    assert check(t, "CP-1", "10.0.0.2") is None  # from elsewhere it is another pair
    t.undecided(under_way.pop())  # Connect could not be asked: no failure, one slot back
    assert check(t, "CP-1", "10.0.0.1") is None
    rotating = [t.start(f"CP-{n}", "203.0.113.7", credentials=True) for n in range(10, 15)]
    assert all(isinstance(a, Attempt) for a in rotating)
    assert check(t, "CP-99", "203.0.113.7") == Throttled(ADDRESS, 12)
    for attempt in rotating:
        t.admitted(attempt)  # stations after all: nothing was spent
    assert check(t, "CP-99", "203.0.113.7") is None
    for attempt in under_way:
        t.undecided(attempt)
    # Under way, they spend the node: an address that failed is held; a fresh one is not.
    fail(t, "CP-1", "10.0.0.9")  # 7 of the node's 8 left
    burst = [t.start(f"CP-{n}", ipv4(n), credentials=True) for n in range(100, 107)]
    assert all(isinstance(a, Attempt) for a in burst)
    assert check(t, "CP-2", "10.0.0.9") == Throttled(NODE, 8)
    assert check(t, "CP-2", "10.0.0.10") is None


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
