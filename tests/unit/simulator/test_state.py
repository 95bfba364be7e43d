"""What a simulated charger keeps: the power curve, charging limits, its reservation."""

from __future__ import annotations

import pytest

from ocpp_cable.simulator.state import (
    ChargingLimits,
    Period,
    Profile,
    Reservation,
    StationState,
    energy_wh,
    power_curve,
    to_watts,
)


def test_the_power_ramps_up_holds_and_tapers():
    powers = [power_curve(f / 20, 7400) for f in range(21)]
    assert powers[0] == pytest.approx(0.3 * 7400)
    assert powers[2] == powers[10] == powers[14] == 7400  # the plateau
    assert powers[:3] == sorted(powers[:3]) and powers[14:] == sorted(powers[14:], reverse=True)
    assert powers[-1] == pytest.approx(0.25 * 7400)
    assert energy_wh(7200, 3600) == 7200 and energy_wh(7200, 5) == 10


def test_a_tx_profile_beats_the_default_and_the_station_limit_caps_both():
    limits = ChargingLimits()
    assert limits.limit(1000.0, 900.0) is None
    limits.set(Profile(1, 0, "TxDefault", [Period(0, 6000), Period(60, 3000)]))
    assert limits.limit(1000.0, None) is None  # no session: only the station's limit
    assert limits.limit(1000.0, 990.0) == 6000 and limits.limit(1000.0, 900.0) == 3000
    limits.set(Profile(2, 0, "Tx", [Period(0, 5000)]))
    assert limits.limit(1000.0, 990.0) == 5000
    limits.set(Profile(3, 0, "Max", [Period(0, 4000)], starts_at=0.0))
    assert limits.limit(1000.0, 990.0) == 4000 and limits.limit(1000.0, None) == 4000
    # The same stack level and purpose replaces; a transaction's end clears its Tx profile.
    limits.set(Profile(4, 0, "TxDefault", [Period(0, 1000)]))
    assert sorted(limits.profiles) == [2, 3, 4]
    limits.clear_transaction()
    assert sorted(limits.profiles) == [3, 4]
    assert limits.clear(purpose="Max") and not limits.clear(profile_id=99)
    assert limits.limit(1000.0, 990.0) == 1000


def test_the_composite_schedule_follows_the_periods():
    limits = ChargingLimits()
    limits.set(Profile(1, 0, "Tx", [Period(0, to_watts(16, "A")), Period(30, 3000)]))
    assert limits.composite(1000.0, 120, 1000.0) == [(0, 16 * 230 * 3), (30, 3000)]
    limits.set(Profile(2, 1, "Tx", [Period(0, 2000)], duration=60))
    assert limits.composite(1000.0, 120, 1000.0) == [(0, 2000), (60, 3000)]
    assert limits.composite(1000.0, 120, None) == [(0, None)]


def test_a_reservation_holds_the_connector_for_its_idtag_until_it_expires():
    state = StationState()
    assert state.may_start("A", 0) and state.idle_state(0) == "Available"
    state.reservation = Reservation(7, "A", expires=100.0)
    assert state.idle_state(50) == "Reserved"
    assert state.may_start("A", 50) and not state.may_start("B", 50)
    assert state.may_start("B", 100) and state.reservation is None  # expired, gone
    state.available = False
    assert not state.may_start("A", 0) and state.idle_state(0) == "Unavailable"
