"""Transactions and meter values, safe against a charger's retries."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from channels.authorization import id_tag_info
from channels.models import MeterValue, Transaction
from channels.timeutil import parse_time

DEFAULT_MEASURAND = "Energy.Active.Import.Register"


def start_transaction(
    session: Session, station_id: str, payload: dict[str, Any]
) -> tuple[int, dict[str, Any]]:
    """(transactionId, idTagInfo). A repeated StartTransaction gets the same id back."""
    values = {
        "station_id": station_id,
        "connector_id": payload["connectorId"],
        "id_tag": payload["idTag"],
        "meter_start": payload["meterStart"],
        "start_time": parse_time(payload["timestamp"]),
    }
    existing = session.execute(
        select(Transaction).where(*(getattr(Transaction, k) == v for k, v in values.items()))
    ).scalar_one_or_none()
    if existing is not None:
        return existing.id, id_tag_info(session, existing.id_tag, ignore_transaction=existing.id)
    info = id_tag_info(session, payload["idTag"])
    transaction = Transaction(reservation_id=payload.get("reservationId"), **values)
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
            transaction.stop_time = parse_time(payload["timestamp"])
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


def store_meter_values(
    session: Session,
    station_id: str,
    connector_id: int,
    transaction_id: int | None,
    meter_values: Iterable[dict[str, Any]],
) -> int:
    """Store every sampled value once; a re-sent reading is skipped. Returns rows added."""
    rows = []
    for meter_value in meter_values:
        timestamp = parse_time(meter_value["timestamp"])
        for sample in meter_value["sampledValue"]:
            row = {
                "station_id": station_id,
                "connector_id": connector_id,
                "transaction_id": transaction_id,
                "timestamp": timestamp,
                "measurand": sample.get("measurand", DEFAULT_MEASURAND),
                "phase": sample.get("phase"),
                "unit": sample.get("unit"),
                "context": sample.get("context"),
                "location": sample.get("location"),
                "format": sample.get("format"),
                "value": sample["value"],
            }
            row["dedup_key"] = _reading_key(row)
            rows.append(row)
    if not rows:
        return 0
    insert = postgresql.insert if session.bind.dialect.name == "postgresql" else sqlite.insert
    statement = insert(MeterValue).values(rows).on_conflict_do_nothing(index_elements=["dedup_key"])
    return session.execute(statement).rowcount or 0


def _reading_key(row: dict[str, Any]) -> str:
    parts = (
        row["station_id"],
        row["connector_id"],
        row["transaction_id"],
        row["timestamp"].isoformat(),
        row["measurand"],
        row["phase"],
        row["location"],
        row["context"],
        row["value"],
    )
    return hashlib.sha1(repr(parts).encode()).hexdigest()
