"""2.x sampled values in the shape 1.6 gives them, so one table and one chart hold both.

A 2.x value is a number with its unit and a power-of-ten multiplier; 1.6 has the
value as text in the unit. The multiplier is applied, so a 2.x reading is stored
as 1.6 would have sent it (1.5 kWh with multiplier 3 is "1500" Wh).

A signed reading is two sampled values in 1.6, the value and its signed data (format
SignedData); a 2.x sample carries its signedMeterValue beside the value. It is kept
so: the value, then a SignedData sample of the same measurand, phase, location and
context whose value is the signedMeterValue as sent (JSON: the signed data with the
signing and encoding methods and the public key, which a verifier needs).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from decimal import MAX_EMAX, MIN_EMIN, Context, Decimal
from typing import Any

from ocpp_cable.channels.domain import transactions

# The fields a 2.x sampledValue shares with 1.6 under the same name.
SHARED = ("measurand", "phase", "location", "context")
SIGNED_DATA = "SignedData"  # 1.6's format of a signed reading


# Room for any multiplier the schema allows (a 32-bit integer) on any double.
_EXACT = Context(prec=40, Emax=MAX_EMAX, Emin=MIN_EMIN)
# Beyond this power of ten a reading is written with an exponent: as exact, and its
# text stays short whatever multiplier a station sends.
_PLAIN_DIGITS = 30


def value_text(value: float | int, multiplier: int = 0) -> str:
    """The reading as 1.6 writes it: decimal and exact; without an exponent unless it
    is beyond 10^±30 (a multiplier of a billion must not make a billion digits)."""
    number = Decimal(str(value)).scaleb(multiplier, _EXACT).normalize(_EXACT)
    if number.is_zero():
        return "0"
    if abs(number.adjusted()) > _PLAIN_DIGITS:
        return str(number)
    return format(number, "f")


def sample_16(sample: dict[str, Any]) -> dict[str, Any]:
    unit = sample.get("unitOfMeasure") or {}
    out = {"value": value_text(sample["value"], unit.get("multiplier", 0))}
    out.update({name: sample[name] for name in SHARED if name in sample})
    if "unit" in unit:
        out["unit"] = unit["unit"]
    return out


def signed_16(sample: dict[str, Any]) -> dict[str, Any]:
    """A 2.x sample's signedMeterValue as the SignedData sample 1.6 would send beside it."""
    signed = json.dumps(sample["signedMeterValue"], separators=(",", ":"), ensure_ascii=False)
    out = {"value": signed, "format": SIGNED_DATA}
    out.update({name: sample[name] for name in SHARED if name in sample})
    return out


def samples_16(sample: dict[str, Any]) -> list[dict[str, Any]]:
    """A 2.x sample as 1.6's: its value, and its signed data when it has some."""
    if "signedMeterValue" not in sample:
        return [sample_16(sample)]
    return [sample_16(sample), signed_16(sample)]


def as_16(meter_values: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """2.x meterValue entries in 1.6's shape (live events show them so)."""
    return [
        {
            "timestamp": m["timestamp"],
            "sampledValue": [out for s in m["sampledValue"] for out in samples_16(s)],
        }
        for m in meter_values
    ]


def meter_rows(
    station_id: str,
    evse_id: int,
    transaction_id: int | None,
    meter_values: Iterable[dict[str, Any]],
) -> list[dict[str, Any]]:
    """MeterValue rows (transactions.meter_rows), the EVSE in the connector's place."""
    return transactions.meter_rows(station_id, evse_id, transaction_id, as_16(meter_values))


def has_energy_register(rows: Iterable[dict[str, Any]]) -> bool:
    """Do the rows hold an energy register reading (what a transaction's energy is read from)?"""
    return any(
        row["measurand"] == transactions.DEFAULT_MEASURAND
        and row["phase"] is None
        and row["format"] != SIGNED_DATA
        for row in rows
    )
