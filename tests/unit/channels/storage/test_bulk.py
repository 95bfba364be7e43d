"""insert_rows on SQLite hands the driver what SQLAlchemy's own INSERT would have: the
same text in every column (times, JSON, text with NUL), and conflicts skipped."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.dialects import sqlite

from ocpp_cable.channels.domain import audit
from ocpp_cable.channels.domain.transactions import meter_rows
from ocpp_cable.channels.storage import bulk
from ocpp_cable.channels.storage.models import Base, ChargePoint, MessageLog, MeterValue

READING = {
    "timestamp": "2026-12-08T01:02:03.456+02:00",
    "sampledValue": [
        {"value": "1.5", "measurand": "Energy.Active.Import.Register", "unit": "kWh"},
        {"value": "7000", "context": "Sample.Periodic", "location": "Outlet\x00"},
    ],
}


@pytest.fixture
def engine():
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(sqlite.insert(ChargePoint.__table__), [{"id": "CP-1"}])
    yield engine
    engine.dispose()


def stored(connection, table) -> list[tuple]:
    columns = [c.name for c in table.columns if c.name != "id"]
    names = ", ".join(columns)
    return [tuple(r) for r in connection.execute(text(f"SELECT {names} FROM {table.name}"))]


@pytest.mark.parametrize(
    ("table", "rows", "conflict"),
    [
        (
            MessageLog.__table__,
            [audit.row("CP-1", "in", "CALL", "DataTransfer", "m\x001", {"data": "a\x00b", "n": 1})],
            (),
        ),
        (MeterValue.__table__, meter_rows("CP-1", 1, None, [READING]), ("dedup_key",)),
    ],
)
def test_rows_are_stored_as_sqlalchemys_insert_stores_them(engine, table, rows, conflict):
    with engine.begin() as connection:
        connection.execute(sqlite.insert(table), rows)
        by_sqlalchemy = stored(connection, table)
        connection.execute(table.delete())
        bulk.insert_rows(connection, table, rows, conflict)
        assert stored(connection, table) == by_sqlalchemy


def test_a_row_already_stored_is_skipped_on_conflict(engine):
    rows = meter_rows("CP-1", 1, None, [READING])
    with engine.begin() as connection:
        bulk.insert_rows(connection, MeterValue.__table__, rows[:1], ("dedup_key",))
        bulk.insert_rows(connection, MeterValue.__table__, rows, ("dedup_key",))
        count = connection.execute(text("SELECT count(*) FROM meter_values")).scalar_one()
    assert count == 2


def test_each_engine_gets_its_own_columns_processing(engine):
    """A plan made for one engine (the store's, with its own JSON serializer) is never
    used for another's rows."""
    compact = create_engine("sqlite://", json_serializer=lambda value: "compact")
    Base.metadata.create_all(compact)
    rows = [audit.row("CP-1", "in", "CALL", "Heartbeat", "m1", {"a": 1})]
    with compact.begin() as connection:
        bulk.insert_rows(connection, MessageLog.__table__, rows)
        [(first,)] = connection.execute(text("SELECT payload FROM message_log")).all()
    with engine.begin() as connection:
        bulk.insert_rows(connection, MessageLog.__table__, rows)
        [(second,)] = connection.execute(text("SELECT payload FROM message_log")).all()
    compact.dispose()
    assert (first, second) == ("compact", '{"a": 1}')
