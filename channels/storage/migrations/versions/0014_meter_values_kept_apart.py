"""Readings a station sent for a transaction not its own are kept apart from it

A 1.6 MeterValues or StopTransaction names its transaction by id alone. Readings are
counted into a transaction only when the station that sent them started it; any other
id (another station's transaction, or none we know) is kept in claimed_transaction_id
with no transaction. Readings stored before this revision are sorted the same way.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 03:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("meter_values") as batch:
        batch.add_column(sa.Column("claimed_transaction_id", sa.Integer(), nullable=True))
    # Few rows have one: an index of those only (`meter-values --kept-apart`).
    kept_apart = sa.text("claimed_transaction_id IS NOT NULL")
    op.create_index(
        "ix_meter_values_kept_apart",
        "meter_values",
        ["claimed_transaction_id"],
        postgresql_where=kept_apart,
        sqlite_where=kept_apart,
    )
    not_owned = (
        "transaction_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM transactions"
        " WHERE transactions.id = meter_values.transaction_id"
        " AND transactions.station_id = meter_values.station_id)"
    )
    op.execute(
        "UPDATE meter_values SET claimed_transaction_id = transaction_id, transaction_id = NULL"
        f" WHERE {not_owned}"
    )
    # A transaction an operator closed from such readings keeps the energy it was closed
    # with: what was billed is the operator's to correct, not a migration's.


def downgrade() -> None:
    op.drop_index("ix_meter_values_kept_apart", table_name="meter_values")
    op.execute(
        "UPDATE meter_values SET transaction_id = claimed_transaction_id"
        " WHERE claimed_transaction_id IS NOT NULL"
    )
    with op.batch_alter_table("meter_values") as batch:
        batch.drop_column("claimed_transaction_id")
