"""A session's cost under a tariff: exact, rounded once, monotone."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ocpp_cable.channels.domain.pricing import (
    PriceError,
    Tariff,
    currency_places,
    exact_cost,
    from_minor_units,
    minor_units,
    parse_price,
    seconds_of,
    session_cost,
)

EUR = Tariff("EUR", Decimal("0.30"), Decimal("1.20"), Decimal("0.50"))

prices = st.decimals(min_value=0, max_value=1000, places=6, allow_nan=False)
currencies = st.sampled_from(["EUR", "JPY", "KWD", "USD"])
tariffs = st.builds(Tariff, currencies, prices, prices, prices)
energies = st.integers(min_value=0, max_value=10**9)
durations = st.integers(min_value=0, max_value=10**7)


def test_a_session_costs_its_fee_its_energy_and_its_time():
    # 0.50 + 12.345 kWh * 0.30 + 0.5 h * 1.20 = 0.50 + 3.7035 + 0.60 = 4.8035 -> 4.80
    assert session_cost(EUR, 12_345, 1800) == Decimal("4.80")
    assert session_cost(EUR, 0, 0) == Decimal("0.50")


def test_rounding_is_half_up_once_to_the_minor_unit():
    energy_only = Tariff("EUR", energy_price=Decimal("0.25"))
    assert session_cost(energy_only, 10, 0) == Decimal("0.00")  # 0.0025
    assert session_cost(energy_only, 20, 0) == Decimal("0.01")  # 0.005: half up
    # Each part alone would round to 0.00; the sum is rounded, once.
    split = Tariff("EUR", Decimal("0.004"), Decimal("0.004"), Decimal("0.004"))
    assert session_cost(split, 1000, 3600) == Decimal("0.01")
    assert session_cost(Tariff("JPY", Decimal("35.5")), 1000, 0) == Decimal("36")
    assert session_cost(Tariff("KWD", Decimal("0.0125")), 1000, 0) == Decimal("0.013")


def test_energy_or_time_below_zero_counts_as_none():
    assert session_cost(EUR, -5000, -60) == Decimal("0.50")


def test_currencies_are_iso_4217_codes_with_a_minor_unit():
    assert [currency_places(c) for c in ("EUR", "JPY", "KWD")] == [2, 0, 3]
    for bad in ("EURO", "eur", "XAU", ""):
        with pytest.raises(PriceError):
            currency_places(bad)


def test_prices_are_decimals_from_zero_with_six_places_at_most():
    assert parse_price("0.30") == Decimal("0.30")
    assert parse_price(0.3) == Decimal("0.3")  # a float read by its shortest text
    assert parse_price("0.12345600") == Decimal("0.123456")
    for bad in ("-1", "NaN", "Infinity", "abc", "0.1234567", "1000001", True, None):
        with pytest.raises(PriceError):
            parse_price(bad)


def test_a_tariff_keeps_its_prices_as_exact_text():
    values = EUR.values()
    assert values == {"currency": "EUR", "energy_price": "0.30", "time_price": "1.20",
                      "session_fee": "0.50"}  # fmt: skip
    assert Tariff.of(values) == EUR


def test_minor_units_round_trip():
    assert minor_units(Decimal("12.35"), "EUR") == 1235
    assert from_minor_units(1235, "EUR") == Decimal("12.35")
    assert from_minor_units(1235, "JPY") == Decimal("1235")


def test_seconds_of_a_duration_are_exact():
    assert seconds_of(timedelta(days=1, microseconds=5)) == Decimal("86400.000005")


@given(tariffs, energies, energies, durations)
def test_cost_is_monotone_in_energy(tariff, a, b, seconds):
    low, high = sorted((a, b))
    assert session_cost(tariff, low, seconds) <= session_cost(tariff, high, seconds)


@given(tariffs, energies, durations, durations)
def test_cost_is_monotone_in_time(tariff, energy, a, b):
    low, high = sorted((a, b))
    assert session_cost(tariff, energy, low) <= session_cost(tariff, energy, high)


@given(tariffs, energies, durations)
def test_cost_is_within_half_a_minor_unit_of_the_exact_one(tariff, energy, seconds):
    cost = session_cost(tariff, energy, seconds)
    unit = Decimal(1).scaleb(-currency_places(tariff.currency))
    assert cost.as_tuple().exponent == -currency_places(tariff.currency)
    assert abs(cost - exact_cost(tariff, energy, seconds)) <= unit / 2
    assert cost >= 0


@given(prices, energies)
def test_an_energy_tariff_charges_exactly_its_price_per_kwh(price, energy):
    exact = price * Decimal(energy) / 1000
    assert exact_cost(Tariff("EUR", energy_price=price), energy, 999) == exact
