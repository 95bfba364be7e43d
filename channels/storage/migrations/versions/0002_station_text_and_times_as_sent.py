"""station text kept whole, times kept as sent

Text a station sends is stored unbounded (a signed meter value runs to hundreds of
characters; the schema bounds the rest), and a time the typed column cannot hold
exactly is kept as sent beside it.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 04:34:09
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# table -> {column: (its old length, nullable)}
TO_TEXT = {
    "charge_points": {
        "vendor": (20, True),
        "model": (20, True),
        "charge_point_serial_number": (25, True),
        "charge_box_serial_number": (25, True),
        "firmware_version": (50, True),
        "iccid": (20, True),
        "imsi": (20, True),
        "meter_type": (25, True),
        "meter_serial_number": (25, True),
    },
    "commands": {"error_code": (40, True)},
    "connectors": {"info": (50, True), "vendor_id": (255, True), "vendor_error_code": (50, True)},
    "id_tags": {"tag": (20, False), "parent_id_tag": (20, True)},
    "message_log": {"message_id": (36, True)},
    "meter_values": {"value": (64, False)},
    "transactions": {"id_tag": (20, False), "stop_id_tag": (20, True)},
}
# table -> the columns that keep a time as sent
TIME_TEXT = {
    "connectors": ("timestamp_text",),
    "meter_values": ("timestamp_text",),
    "transactions": ("start_time_text", "stop_time_text"),
}


def upgrade() -> None:
    for table in sorted(TO_TEXT.keys() | TIME_TEXT.keys()):
        with op.batch_alter_table(table) as batch:
            for column in TIME_TEXT.get(table, ()):
                batch.add_column(sa.Column(column, sa.Text(), nullable=True))
            for column, (length, nullable) in TO_TEXT.get(table, {}).items():
                batch.alter_column(
                    column,
                    existing_type=sa.String(length),
                    type_=sa.Text(),
                    existing_nullable=nullable,
                )


def downgrade() -> None:
    # Values longer than the old lengths make PostgreSQL refuse the downgrade.
    for table in sorted(TO_TEXT.keys() | TIME_TEXT.keys()):
        with op.batch_alter_table(table) as batch:
            for column, (length, nullable) in TO_TEXT.get(table, {}).items():
                batch.alter_column(
                    column,
                    existing_type=sa.Text(),
                    type_=sa.String(length),
                    existing_nullable=nullable,
                )
            for column in TIME_TEXT.get(table, ()):
                batch.drop_column(column)
