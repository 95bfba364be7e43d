"""Migrations keep what is stored: each upgrade runs on a database with rows in it."""

from __future__ import annotations

from alembic import command
from sqlalchemy import text

from channels import db
from channels.models import MeterValue, Transaction
from tests.support.central import rows


def test_upgrade_to_text_columns_keeps_the_rows(database_url):
    config = db.alembic_config(database_url)
    command.downgrade(config, "0001")
    engine = db.session_factory(database_url).kw["bind"]
    inserts = [
        "INSERT INTO charge_points (id, vendor, connected, auth_required, created_at)"
        " VALUES ('CP-1', 'Acme', false, false, CURRENT_TIMESTAMP)",
        "INSERT INTO transactions (station_id, connector_id, id_tag, meter_start, start_time)"
        " VALUES ('CP-1', 1, 'TAG-1', 1000, '2026-11-21 10:00:00+00:00')",
        "INSERT INTO meter_values (station_id, connector_id, transaction_id, timestamp,"
        " measurand, value, dedup_key) VALUES ('CP-1', 1, 1, '2026-11-21 10:00:00+00:00',"
        " 'Energy.Active.Import.Register', '1500', 'k1')",
    ]
    with engine.begin() as connection:
        for insert in inserts:
            connection.execute(text(insert))
    command.upgrade(config, "head")
    (transaction,) = rows(database_url, Transaction)
    assert (transaction.id_tag, transaction.start_time_text) == ("TAG-1", None)
    (reading,) = rows(database_url, MeterValue)
    assert (reading.value, reading.timestamp_text, reading.dedup_key) == ("1500", None, "k1")
