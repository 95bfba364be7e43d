"""Transactions and meter values, safe against a charger's retries."""

from __future__ import annotations

import functools
import hashlib
import math
from collections.abc import Iterable
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Connection, Select, bindparam, or_, select, update
from sqlalchemy.orm import Session

from ocpp_cable.channels.domain import smart_charging, tariffs
from ocpp_cable.channels.domain.authorization import id_tag_info
from ocpp_cable.channels.domain.timeutil import now, parse_time
from ocpp_cable.channels.storage.bulk import insert_rows
from ocpp_cable.channels.storage.db import core, dialect_insert
from ocpp_cable.channels.storage.models import MeterValue, Transaction

DEFAULT_MEASURAND = "Energy.Active.Import.Register"
# Readings at or beyond this many Wh are no meter's (and near a BIGINT's bound).
MAX_WH = 2**53
# A sampledValue's fields, each stored in the MeterValue column of its name.
SAMPLE_FIELDS = ("value", "measurand", "phase", "unit", "context", "location", "format")


# Built once (see db.core): every StartTransaction and StopTransaction runs them, in one
# round trip when the transaction is new (start) or still open (stop).
TRANSACTIONS = Transaction.__table__
_START_FIELDS = ("station_id", "connector_id", "id_tag", "meter_start", "start_time")
_FIND_START = select(TRANSACTIONS.c.id).where(
    *(TRANSACTIONS.c[name] == bindparam(name) for name in _START_FIELDS)
)


@functools.cache
def _start(dialect_name: str) -> Any:
    """INSERT ... ON CONFLICT (uq_tx_start) DO NOTHING RETURNING id: no id on a retry."""
    return (
        dialect_insert(dialect_name)(TRANSACTIONS)
        .on_conflict_do_nothing(index_elements=[TRANSACTIONS.c[n] for n in _START_FIELDS])
        .returning(TRANSACTIONS.c.id)
    )


_FIND = select(TRANSACTIONS.c.station_id, TRANSACTIONS.c.connector_id).where(
    TRANSACTIONS.c.id == bindparam("transaction")
)
OPERATOR = "operator"
_STOP = (
    update(TRANSACTIONS)
    .where(
        TRANSACTIONS.c.id == bindparam("transaction"),
        TRANSACTIONS.c.station_id == bindparam("station"),
        # Open, or closed by an operator's guess: the station's own stop is the truth.
        or_(TRANSACTIONS.c.stop_time.is_(None), TRANSACTIONS.c.closed_by == OPERATOR),
    )
    .values(
        {
            **{name: bindparam(f"new_{name}")
               for name in ("meter_stop", "stop_time", "stop_time_text", "stop_id_tag",
                            "stop_reason")},
            "energy_wh": bindparam("new_meter_stop") - TRANSACTIONS.c.meter_start,
            "closed_by": None,
        }
    )
    .returning(TRANSACTIONS.c.connector_id, TRANSACTIONS.c.tariff, TRANSACTIONS.c.start_time,
               TRANSACTIONS.c.energy_wh)
)  # fmt: skip
_PRICE = (
    update(TRANSACTIONS)
    .where(TRANSACTIONS.c.id == bindparam("transaction"))
    .values(cost_minor=bindparam("cost_minor"))
)


def start_transaction(
    session: Session, station_id: str, payload: dict[str, Any]
) -> tuple[int, dict[str, Any]]:
    """(transactionId, idTagInfo). A repeated StartTransaction gets the same id back."""
    start_time, start_time_text = parse_time(payload["timestamp"])
    values = {
        "station_id": station_id,
        "connector_id": payload["connectorId"],
        "id_tag": payload["idTag"],
        "meter_start": payload["meterStart"],
        "start_time": start_time,
    }
    connection = core(session)
    # A 1.6 connector is an EVSE of its own (channels/storage/models.py). The session is
    # priced by the tariff in force now, whatever becomes of it (tariffs.snapshot).
    row = {**values, "reservation_id": payload.get("reservationId"),
           "start_time_text": start_time_text, "evse_id": payload["connectorId"],
           **tariffs.snapshot(tariffs.in_force(session, station_id))}  # fmt: skip
    transaction_id = connection.execute(_start(connection.dialect.name), row).scalar()
    if transaction_id is None:  # a retry: uq_tx_start holds its transaction already
        transaction_id = connection.execute(_FIND_START, values).scalar_one()
    # The tag is checked as of the start: the transaction being started does not count.
    return transaction_id, id_tag_info(session, payload["idTag"], ignore_transaction=transaction_id)


class Stopped(NamedTuple):
    """What a StopTransaction did: the idTagInfo when the stop named an idTag, the meter
    value rows of its transactionData (to be inserted with the rest), whether it is a
    transaction of this station's, and its connector."""

    info: dict[str, Any] | None
    readings: list[dict[str, Any]]
    known: bool
    connector_id: int | None


def stop_transaction(session: Session, station_id: str, payload: dict[str, Any]) -> Stopped:
    """Close the transaction (idempotent)."""
    connection = core(session)
    transaction_id = payload["transactionId"]
    stop_time, stop_time_text = parse_time(payload["timestamp"])
    stop = {
        "transaction": transaction_id,
        "station": station_id,
        "new_meter_stop": payload["meterStop"],
        "new_stop_time": stop_time,
        "new_stop_time_text": stop_time_text,
        "new_stop_id_tag": payload.get("idTag"),
        "new_stop_reason": payload.get("reason", "Local"),
    }
    stopped = connection.execute(_STOP, stop).first()
    known, connector_id = stopped is not None, stopped.connector_id if stopped else None
    if stopped is not None and stopped.tariff is not None:
        cost = tariffs.cost_minor(stopped.tariff, stopped.energy_wh, stopped.start_time, stop_time)
        connection.execute(_PRICE, {"transaction": transaction_id, "cost_minor": cost})
    if not known:
        # Already stopped (a retry: it stays as it was), or not this station's, or unknown.
        found = connection.execute(_FIND, {"transaction": transaction_id}).first()
        known = found is not None and found.station_id == station_id
        connector_id = found.connector_id if known else None
    rows = meter_rows(
        station_id, 0 if not known else connector_id, transaction_id,  # unknown: kept apart
        payload.get("transactionData", []),
    )  # fmt: skip
    tag = payload.get("idTag")
    info = id_tag_info(session, tag, ignore_transaction=transaction_id) if tag else None
    return Stopped(info, rows, known, connector_id)


def meter_rows(
    station_id: str,
    connector_id: int,
    transaction_id: int | None,
    meter_values: Iterable[dict[str, Any]],
) -> list[dict[str, Any]]:
    """One MeterValue row per sampled value, each with the key that finds a re-sent one.

    A reading is known by everything the station said of it, so two samples that
    differ in anything (unit, format, location, ...) are two rows, and a sample the
    station repeats within one meterValue is kept as many times as it was sent.
    """
    rows = []
    for meter_value in meter_values:
        timestamp, timestamp_text = parse_time(meter_value["timestamp"])
        when = (timestamp.isoformat(), timestamp_text)
        repeats: dict[tuple[Any, ...], int] = {}
        for sample in meter_value["sampledValue"]:
            reading = tuple(sample.get(name) for name in SAMPLE_FIELDS)
            repeat = repeats[reading] = repeats.get(reading, -1) + 1
            row = {
                "station_id": station_id,
                "connector_id": connector_id,
                "transaction_id": transaction_id,  # the station's word, until inserted
                "claimed_transaction_id": None,
                "timestamp": timestamp,
                "timestamp_text": timestamp_text,
                **dict(zip(SAMPLE_FIELDS, reading, strict=True)),
            }
            row["measurand"] = row["measurand"] or DEFAULT_MEASURAND
            key = (station_id, connector_id, transaction_id, when, reading, repeat)
            row["dedup_key"] = hashlib.sha1(repr(key).encode()).hexdigest()
            rows.append(row)
    return rows


_OWNERS = select(TRANSACTIONS.c.id, TRANSACTIONS.c.station_id).where(
    TRANSACTIONS.c.id.in_(bindparam("ids", expanding=True))
)


def insert_meter_values(connection: Connection, rows: list[dict[str, Any]]) -> dict[str, set[int]]:
    """Insert `rows` (from meter_rows); a reading already stored is skipped.

    A reading counts into the transaction it names only if the station that sent it
    started that transaction: a 1.6 transactionId is a bare number, and another
    station's (or one we never gave out, that a later start may get) is kept in
    claimed_transaction_id instead, counted into nothing. Returns those ids, by station.
    """
    if not rows:
        return {}
    named = {row["transaction_id"] for row in rows} - {None}
    owners = dict(connection.execute(_OWNERS, {"ids": sorted(named)}).all()) if named else {}
    apart: dict[str, set[int]] = {}
    for row in rows:
        transaction_id = row["transaction_id"]
        if transaction_id is not None and owners.get(transaction_id) != row["station_id"]:
            row["claimed_transaction_id"], row["transaction_id"] = transaction_id, None
            apart.setdefault(row["station_id"], set()).add(transaction_id)
    insert_rows(connection, MeterValue.__table__, rows, skip_conflicts_on=["dedup_key"])
    return apart


def readings_query(transaction_id: int, kept_apart: bool = False) -> Select[tuple[MeterValue]]:
    """A transaction's readings by time; with `kept_apart`, the readings that named it and
    were kept apart from it instead (sent by another station, or before it existed)."""
    column = MeterValue.claimed_transaction_id if kept_apart else MeterValue.transaction_id
    return (
        select(MeterValue)
        .where(column == transaction_id)
        .order_by(MeterValue.timestamp, MeterValue.measurand, MeterValue.phase, MeterValue.id)
    )


class Reading(NamedTuple):
    """An energy register reading: Wh, and when."""

    wh: int
    timestamp: datetime


def _energy_readings(session: Session, transaction_id: int, newest_first: bool) -> Any:
    """The transaction's Energy.Active.Import.Register readings (Reading), one by one by
    time (a signed, OCMF value is not a number to read: skipped)."""
    order = MeterValue.timestamp.desc() if newest_first else MeterValue.timestamp
    query = (
        select(MeterValue.value, MeterValue.unit, MeterValue.timestamp)
        .where(
            MeterValue.transaction_id == transaction_id,
            MeterValue.measurand == DEFAULT_MEASURAND,
            MeterValue.phase.is_(None),
        )
        .order_by(order, MeterValue.id.desc() if newest_first else MeterValue.id)
        .limit(20)
    )
    for value, unit, timestamp in session.execute(query):
        try:
            reading = float(value) * (1000 if unit == "kWh" else 1)
        except ValueError:
            continue
        # "1e400" reads as infinity and 1e300 Wh fits no BIGINT column: not a meter.
        if math.isfinite(reading) and abs(reading) < MAX_WH:
            yield Reading(round(reading), timestamp)


def last_energy_reading(session: Session, transaction_id: int) -> Reading | None:
    """The transaction's last Energy.Active.Import.Register reading (None: none that reads
    as a number)."""
    return next(_energy_readings(session, transaction_id, newest_first=True), None)


def last_energy_register(session: Session, transaction_id: int) -> int | None:
    """The last such reading in Wh."""
    reading = last_energy_reading(session, transaction_id)
    return None if reading is None else reading.wh


def first_energy_register(session: Session, transaction_id: int) -> int | None:
    """The transaction's first such reading in Wh (a 2.x transaction's meter start)."""
    reading = next(_energy_readings(session, transaction_id, newest_first=False), None)
    return None if reading is None else reading.wh


def close_by_operator(
    session: Session, transaction: Transaction, meter_stop: int | None, reason: str
) -> bool:
    """Close an open transaction whose stop never came; False when it is closed already.
    Without `meter_stop`, the last energy reading stored for it counts (never less than
    its start), else its start. A 2.x transaction that has no meter start yet takes its
    first reading; with none, its energy stays unknown. The station's own stop, if it
    comes after all, replaces these values."""
    start = transaction.meter_start
    if start is None:
        start = first_energy_register(session, transaction.id)
    if meter_stop is None:
        reading = last_energy_register(session, transaction.id)
        known = [value for value in (reading, start) if value is not None]
        meter_stop = max(known) if known else None
    energy = None if start is None or meter_stop is None else meter_stop - start
    result = session.execute(
        update(Transaction)
        .where(Transaction.id == transaction.id, Transaction.stop_time.is_(None))
        .values(
            meter_start=start,
            meter_stop=meter_stop,
            stop_time=now(),
            stop_reason=reason,
            energy_wh=energy,
            closed_by=OPERATOR,
        )
        .execution_options(synchronize_session=False)
    )
    session.refresh(transaction)
    if not result.rowcount:
        return False
    if transaction.tariff is not None:
        transaction.cost_minor = tariffs.cost_minor(
            transaction.tariff, energy, transaction.start_time, transaction.stop_time
        )
    # As at the station's own stop: the transaction's TxProfiles end with it.
    smart_charging.transaction_stopped(
        session, transaction.station_id, transaction.id, transaction.connector_id
    )
    return True
