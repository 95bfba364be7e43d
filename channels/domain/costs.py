"""A transaction's cost: final once it stopped, running while it is open, and the
running cost sent to a 2.x station (CostUpdated, OCPP 2.0.1 use case I02).

The cost is reckoned from what is stored: the energy from the transaction's register
readings (as its energy_wh is), the time from its start to its stop, or while it is
open to its newest energy reading. It is the tariff snapshot's (channels/domain/tariffs.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ocpp_cable.channels.domain import commands, pricing, tariffs
from ocpp_cable.channels.domain.follow_ups import FollowUp
from ocpp_cable.channels.domain.timeutil import now
from ocpp_cable.channels.domain.transactions import (
    Reading,
    first_energy_register,
    last_energy_reading,
)
from ocpp_cable.channels.storage.models import StationVariable, Transaction

COST_UPDATED = "CostUpdated"
# The 2.x device model's component for tariffs and costs (OCPP 2.0.1 part 2, I).
CONTROLLER = "TariffCostCtrlr"


def amount(cost_minor: int | None, currency: str | None) -> Decimal | None:
    """A cost kept in minor units as an amount of its currency (1235 EUR: 12.35)."""
    if cost_minor is None or currency is None:
        return None
    return pricing.from_minor_units(cost_minor, currency)


def wire_number(cost: Decimal) -> float:
    """An amount as OCPP's JSON number. Only here is it a float: a rounded amount of up
    to 15 significant digits reads back as the same decimal text (12.35 is sent 12.35)."""
    return float(cost)


def running_minor(session: Session, transaction: Transaction) -> int | None:
    """An open transaction's cost so far in minor units, as of its newest energy reading
    (none yet: as of its start). None: not priced, or its energy cannot be told."""
    if transaction.tariff is None:
        return None
    start_wh = transaction.meter_start
    if start_wh is None:
        start_wh = first_energy_register(session, transaction.id)
    newest = last_energy_reading(session, transaction.id)
    return running(transaction.tariff, start_wh, newest, transaction.start_time)


def running(
    kept: dict[str, Any], start_wh: int | None, newest: Reading | None, started: datetime
) -> int | None:
    """The running cost in minor units under the snapshot `kept`: the energy from
    `start_wh` to the `newest` reading, the time from `started` to that reading's."""
    if newest is None:  # nothing delivered yet that a reading tells
        return tariffs.cost_minor(kept, 0, started, started)
    energy = None if start_wh is None else newest.wh - start_wh
    return tariffs.cost_minor(kept, energy, started, max(newest.timestamp, started))


def cost_of(session: Session, transaction: Transaction) -> Decimal | None:
    """What the transaction costs: its final cost once stopped, else its running cost."""
    if transaction.stop_time is not None:
        return amount(transaction.cost_minor, transaction.currency)
    return amount(running_minor(session, transaction), transaction.currency)


def final_minor(transaction: Transaction) -> int | None:
    """A stopped transaction's cost in minor units, from its energy and its times."""
    if transaction.tariff is None or transaction.stop_time is None:
        return None
    return tariffs.cost_minor(
        transaction.tariff, transaction.energy_wh, transaction.start_time, transaction.stop_time
    )


def price_stopped(session: Session, transaction_id: int) -> None:
    """Write a stopped transaction's final cost (a priced one's; others stay None)."""
    transaction = session.get(Transaction, transaction_id)
    if transaction is not None and transaction.tariff is not None:
        transaction.cost_minor = final_minor(transaction)


# --- what a 2.x station takes ---------------------------------------------------------------


def _controller(session: Session, station_id: str) -> dict[tuple[str, str | None], str | None]:
    """The station's TariffCostCtrlr variables as it last reported them (Actual values)."""
    found = session.execute(
        select(
            StationVariable.variable, StationVariable.variable_instance, StationVariable.value
        ).where(
            StationVariable.station_id == station_id,
            StationVariable.component == CONTROLLER,
            StationVariable.attribute_type == "Actual",
        )
    )
    return {(variable, instance): value for variable, instance, value in found}


def station_takes(session: Session, station_id: str, currency: str) -> bool:
    """May the station be told this cost? Not when it reported that it has cost display
    unavailable or disabled (TariffCostCtrlr Available or Enabled, instance Cost, false),
    nor when the Currency it shows costs in is another: a number in the wrong currency
    misleads the driver. A station that reported none of these is told."""
    controller = _controller(session, station_id)
    for variable in ("Available", "Enabled"):
        if (controller.get((variable, "Cost")) or "").strip().lower() == "false":
            return False
    shown = controller.get(("Currency", None))
    return shown is None or shown.strip().upper() == currency


@dataclass(frozen=True, slots=True)
class Priced:
    """A 2.x transaction's cost after an event: the amount and whether the station may
    be told it."""

    cost: Decimal
    currency: str
    told: bool


def priced(
    session: Session, station_id: str, cost_minor: int | None, currency: str | None
) -> Priced | None:
    """The Priced of a cost (None: no cost to tell)."""
    cost = amount(cost_minor, currency)
    if cost is None or currency is None:
        return None
    return Priced(cost, currency, station_takes(session, station_id, currency))


def cost_update(
    session: Session,
    station_id: str,
    transaction_id: int,
    station_transaction_id: str,
    cost: Decimal,
    interval: float,
    last_sent: datetime | None,
) -> FollowUp | None:
    """The CostUpdated to send for a running cost, recorded as a command sent; None when
    one went out less than `interval` seconds ago."""
    at = now()
    if last_sent is not None and at - last_sent < timedelta(seconds=interval):
        return None
    follow_up = FollowUp(
        COST_UPDATED,
        {"totalCost": wire_number(cost), "transactionId": station_transaction_id},
    )
    commands.record_command(session, follow_up.id, station_id, follow_up.action, follow_up.payload)
    commands.mark_sent(session, follow_up.id)
    session.execute(
        update(Transaction)
        .where(Transaction.id == transaction_id)
        .values(cost_updated_at=at)
        .execution_options(synchronize_session=False)
    )
    return follow_up


def cost_fields(cost: Decimal | None, currency: str | None) -> dict[str, Any]:
    """The record fields of a cost: its amount as exact text, and the currency."""
    return {"cost": None if cost is None else str(cost), "currency": currency}
