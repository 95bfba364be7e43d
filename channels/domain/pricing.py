"""What a charging session costs under a tariff: exact decimal arithmetic, no I/O.

A tariff prices three things, each 0 or more, in one currency (an ISO 4217 code),
taxes included (OCPP's totalCost is a cost "including taxes"):

- the energy delivered, per kWh;
- the time, per hour, from the session's start to its stop (while it runs: to its
  newest reading);
- a flat fee per session.

    cost = session_fee + energy_price * Wh / 1000 + time_price * seconds / 3600

computed exactly with Decimal (no float anywhere), then rounded once, half up, to the
currency's minor unit (cents for EUR, none for JPY, three places for KWD). The parts
are never rounded on their own: a cost is within half a minor unit of the exact one.
Energy below zero (a meter replaced mid-session) and time below zero (a station's
clock behind ours) count as none.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation, localcontext
from typing import Any

from iso4217 import Currency

# A price has at most this many decimal places, and is at most MAX_PRICE.
PRICE_PLACES = 6
MAX_PRICE = Decimal(1_000_000)
_STEP = Decimal(1).scaleb(-PRICE_PLACES)
# Digits enough for any product of a price and a meter reading (2**53 Wh), exactly.
_EXACT = Context(prec=60)
_WH_PER_KWH, _SECONDS_PER_HOUR = Decimal(1000), Decimal(3600)
PRICE_FIELDS = ("energy_price", "time_price", "session_fee")


class PriceError(ValueError):
    """A price or currency that no tariff can hold, with what is wrong."""


def currency_places(code: str) -> int:
    """The currency's minor unit in decimal places (EUR: 2, JPY: 0, KWD: 3).

    Raises:
        PriceError: not an ISO 4217 code, or one with no minor unit (gold, funds).
    """
    try:
        currency = Currency(code)
    except ValueError:
        raise PriceError(f"{code!r} is not an ISO 4217 currency code (e.g. EUR)") from None
    if currency.exponent is None:
        raise PriceError(f"{code} has no minor unit: it is not a currency a price is paid in")
    return currency.exponent


def parse_price(text: Any, what: str = "price") -> Decimal:
    """A price as a person writes it ("0.30", "12", 0.3): a decimal from 0 to MAX_PRICE
    with at most PRICE_PLACES places. A float is read by its shortest text (0.3 is 0.3).

    Raises:
        PriceError: anything else, with what is wrong.
    """
    if isinstance(text, bool) or not isinstance(text, str | int | float | Decimal):
        raise PriceError(f"{what} must be a number, e.g. 0.30")
    try:
        price = Decimal(str(text).strip())
    except InvalidOperation:
        raise PriceError(f"{what} {text!r} is not a number (e.g. 0.30)") from None
    if not price.is_finite() or price < 0 or price > MAX_PRICE:
        raise PriceError(f"{what} {text!r} must be from 0 to {MAX_PRICE}")
    if price.as_tuple().exponent < -PRICE_PLACES:  # type: ignore[operator]  # finite
        if price != price.quantize(_STEP):
            raise PriceError(f"{what} {text!r} has more than {PRICE_PLACES} decimal places")
        price = price.quantize(_STEP)  # trailing zeros only: "0.3000000" is 0.300000
    return price


def price_text(price: Decimal) -> str:
    """A price as it is kept and shown: plain digits, never an exponent ("0.30", "100")."""
    return format(price, "f")


@dataclass(frozen=True, slots=True)
class Tariff:
    """What a session is priced by. Prices are per kWh, per hour and per session."""

    currency: str
    energy_price: Decimal = Decimal(0)
    time_price: Decimal = Decimal(0)
    session_fee: Decimal = Decimal(0)

    @classmethod
    def of(cls, values: dict[str, Any]) -> Tariff:
        """A tariff from its kept form (tariff_values, or a transaction's snapshot)."""
        currency_places(values["currency"])
        prices = {name: parse_price(values.get(name, "0"), name) for name in PRICE_FIELDS}
        return cls(currency=values["currency"], **prices)

    def values(self) -> dict[str, str]:
        """Its kept form: the currency, and each price as text (exact, JSON-safe)."""
        prices = {name: price_text(getattr(self, name)) for name in PRICE_FIELDS}
        return {"currency": self.currency, **prices}


def seconds_of(duration: timedelta) -> Decimal:
    """A duration in seconds, exactly (microseconds included)."""
    whole = duration.days * 86_400 + duration.seconds
    return Decimal(whole) + Decimal(duration.microseconds).scaleb(-6)


def exact_cost(tariff: Tariff, energy_wh: int, seconds: Decimal | int) -> Decimal:
    """The cost before rounding."""
    with localcontext(_EXACT):
        energy = Decimal(max(energy_wh, 0)) / _WH_PER_KWH
        hours = max(Decimal(seconds), Decimal(0)) / _SECONDS_PER_HOUR
        return tariff.session_fee + tariff.energy_price * energy + tariff.time_price * hours


def session_cost(tariff: Tariff, energy_wh: int, seconds: Decimal | int) -> Decimal:
    """What a session of `energy_wh` over `seconds` costs: rounded once, half up, to the
    currency's minor unit."""
    places = Decimal(1).scaleb(-currency_places(tariff.currency))
    with localcontext(_EXACT):
        return exact_cost(tariff, energy_wh, seconds).quantize(places, rounding=ROUND_HALF_UP)


def minor_units(amount: Decimal, currency: str) -> int:
    """A rounded amount in the currency's minor unit (12.35 EUR: 1235)."""
    return int(amount.scaleb(currency_places(currency)))


def from_minor_units(units: int, currency: str) -> Decimal:
    """The amount of `units` minor units, with the currency's places (1235 EUR: 12.35)."""
    return Decimal(units).scaleb(-currency_places(currency))
