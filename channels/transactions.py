"""Transactions and meter values, safe against a charger's retries."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from channels.authorization import id_tag_info
from channels.models import MeterValue, Transaction
from channels.timeutil import parse_time

DEFAULT_MEASURAND = "Energy.Active.Import.Register"
# A sampledValue's fields, each stored in the MeterValue column of its name.
SAMPLE_FIELDS = ("value", "measurand", "phase", "unit", "context", "location", "format")


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
    existing = session.execute(
        select(Transaction).where(*(getattr(Transaction, k) == v for k, v in values.items()))
    ).scalar_one_or_none()
    if existing is not None:
        return existing.id, id_tag_info(session, existing.id_tag, ignore_transaction=existing.id)
    info = id_tag_info(session, payload["idTag"])
    transaction = Transaction(
        reservation_id=payload.get("reservationId"), start_time_text=start_time_text, **values
    )
    session.add(transaction)
    session.flush()  # the database picks the id
    return transaction.id, info


def stop_transaction(
    session: Session, station_id: str, payload: dict[str, Any]
) -> dict[str, Any] | None:
    """Close the transaction (idempotent); returns idTagInfo when the stop named an idTag."""
    transaction = session.get(Transaction, payload["transactionId"])
    if transaction is not None and transaction.station_id == station_id:
        if transaction.stop_time is None:
            transaction.meter_stop = payload["meterStop"]
            transaction.stop_time, transaction.stop_time_text = parse_time(payload["timestamp"])
            transaction.stop_id_tag = payload.get("idTag")
            transaction.stop_reason = payload.get("reason", "Local")
            transaction.energy_wh = transaction.meter_stop - transaction.meter_start
        connector_id = transaction.connector_id
    else:
        connector_id = 0  # unknown transaction: its data is still kept
    store_meter_values(
        session,
        station_id,
        connector_id,
        payload["transactionId"],
        payload.get("transactionData", []),
    )
    tag = payload.get("idTag")
    return id_tag_info(session, tag, ignore_transaction=payload["transactionId"]) if tag else None


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
                "transaction_id": transaction_id,
                "timestamp": timestamp,
                "timestamp_text": timestamp_text,
                **dict(zip(SAMPLE_FIELDS, reading, strict=True)),
            }
            row["measurand"] = row["measurand"] or DEFAULT_MEASURAND
            key = (station_id, connector_id, transaction_id, when, reading, repeat)
            row["dedup_key"] = hashlib.sha1(repr(key).encode()).hexdigest()
            rows.append(row)
    return rows


def insert_meter_values(connection: Connection, rows: list[dict[str, Any]]) -> None:
    """Insert `rows` (from meter_rows) in one statement; a reading already stored is skipped."""
    if not rows:
        return
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(MeterValue.__table__).on_conflict_do_nothing(
        index_elements=["dedup_key"]
    )
    connection.execute(statement, rows)


def store_meter_values(
    session: Session,
    station_id: str,
    connector_id: int,
    transaction_id: int | None,
    meter_values: Iterable[dict[str, Any]],
) -> None:
    """Store every sampled value once; a re-sent reading is skipped."""
    rows = meter_rows(station_id, connector_id, transaction_id, meter_values)
    insert_meter_values(session.connection(), rows)
