"""OCPP 2.0.1 and 2.1 stations: EVSEs, 2.x transactions and their events, variables

A station keeps the OCPP version it speaks. Connectors are keyed by EVSE and
connector (a 1.6 connector n is EVSE n, connector n). A transaction may be a 2.x
one, named by the station's own transactionId, whose idToken, connector and meter
start are not known at its start. Each applied TransactionEvent is kept by
(station, transactionId, seqNo) so a resent one is not applied twice, and the
variables a station reports (NotifyReport, GetVariables) are kept per attribute.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

OPEN = sa.text("stop_time IS NULL")
# Transaction columns a 2.x transaction may leave empty: (name, type).
CONNECTOR_COLUMNS = (
    "connector_id", "status", "error_code", "info", "vendor_id", "vendor_error_code",
    "updated_at", "timestamp_text",
)  # fmt: skip
RELAXED = (("connector_id", sa.Integer()), ("id_tag", sa.Text()), ("meter_start", sa.BigInteger()))
TRANSACTION_COLUMNS = (
    ("station_transaction_id", sa.Text()),
    ("evse_id", sa.Integer()),
    ("id_token_type", sa.String(20)),
    ("charging_state", sa.String(20)),
    ("remote_start_id", sa.Integer()),
    ("seq_no", sa.Integer()),
)


def _set_connectors_key(columns: list[str], evse: bool) -> None:
    """Key `connectors` by `columns` (`evse`: with the evse_id column)."""
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint("connectors_pkey", "connectors", type_="primary")
        op.create_primary_key("connectors_pkey", "connectors", columns)
        return
    # SQLite changes no key in place: the rows move to a table made with the new one.
    names = [*(["evse_id"] if evse else []), *CONNECTOR_COLUMNS]
    op.create_table(
        "_connectors_new",
        sa.Column("station_id", sa.String(48), nullable=False),
        *([sa.Column("evse_id", sa.Integer(), nullable=False)] if evse else []),
        sa.Column("connector_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("error_code", sa.String(30), nullable=evse),
        sa.Column("info", sa.Text(), nullable=True),
        sa.Column("vendor_id", sa.Text(), nullable=True),
        sa.Column("vendor_error_code", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("timestamp_text", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["station_id"], ["charge_points.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint(*columns),
    )
    listed = ", ".join(["station_id", *names])
    op.execute(f"INSERT INTO _connectors_new ({listed}) SELECT {listed} FROM connectors")
    op.drop_table("connectors")
    op.rename_table("_connectors_new", "connectors")


def upgrade() -> None:
    op.add_column("charge_points", sa.Column("ocpp_version", sa.String(5), nullable=True))

    op.add_column("connectors", sa.Column("evse_id", sa.Integer(), nullable=True))
    op.execute("UPDATE connectors SET evse_id = connector_id")  # 1.6: each its own EVSE
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("connectors", "evse_id", existing_type=sa.Integer(), nullable=False)
        op.alter_column("connectors", "error_code", existing_type=sa.String(30), nullable=True)
    _set_connectors_key(["station_id", "evse_id", "connector_id"], evse=True)

    # SQLite makes the table again: its partial index goes first and comes back after.
    op.drop_index("ix_transactions_open_id_tag", table_name="transactions")
    with op.batch_alter_table("transactions") as batch:
        for name, type_ in RELAXED:
            batch.alter_column(name, existing_type=type_, nullable=True)
        batch.alter_column(
            "stop_reason", existing_type=sa.String(20), type_=sa.String(30), existing_nullable=True
        )
        for name, type_ in TRANSACTION_COLUMNS:
            batch.add_column(sa.Column(name, type_, nullable=True))
        batch.create_unique_constraint(
            "uq_tx_station_ref", ["station_id", "station_transaction_id"]
        )
    op.execute("UPDATE transactions SET evse_id = connector_id")
    op.create_index(
        "ix_transactions_open_id_tag", "transactions", ["id_tag"],
        postgresql_where=OPEN, sqlite_where=OPEN,
    )  # fmt: skip

    op.create_table(
        "transaction_events",
        sa.Column("station_id", sa.String(48), nullable=False),
        sa.Column("station_transaction_id", sa.Text(), nullable=False),
        sa.Column("seq_no", sa.Integer(), nullable=False),
        sa.Column("transaction_id", sa.Integer(), nullable=False),
        sa.Column("event_type", sa.String(10), nullable=False),
        sa.Column("trigger_reason", sa.String(30), nullable=False),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("timestamp_text", sa.Text(), nullable=True),
        sa.Column("offline", sa.Boolean(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["station_id"], ["charge_points.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("station_id", "station_transaction_id", "seq_no"),
    )
    op.create_index(
        "ix_transaction_events_transaction_id", "transaction_events", ["transaction_id"]
    )
    op.create_table(
        "station_variables",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("station_id", sa.String(48), nullable=False),
        sa.Column("variable_key", sa.String(40), nullable=False),
        sa.Column("component", sa.Text(), nullable=False),
        sa.Column("component_instance", sa.Text(), nullable=True),
        sa.Column("evse_id", sa.Integer(), nullable=True),
        sa.Column("connector_id", sa.Integer(), nullable=True),
        sa.Column("variable", sa.Text(), nullable=False),
        sa.Column("variable_instance", sa.Text(), nullable=True),
        sa.Column("attribute_type", sa.String(10), nullable=False),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column("mutability", sa.String(10), nullable=True),
        sa.Column("characteristics", sa.JSON(), nullable=True),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["station_id"], ["charge_points.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("station_id", "variable_key", name="uq_station_variable"),
    )


def downgrade() -> None:
    # 1.6 has no place for 2.x stations' data: their transactions, connectors beyond an
    # EVSE's first and variables go.
    op.drop_table("station_variables")
    op.drop_index("ix_transaction_events_transaction_id", table_name="transaction_events")
    op.drop_table("transaction_events")

    op.execute(
        "DELETE FROM meter_values WHERE transaction_id IN "
        "(SELECT id FROM transactions WHERE station_transaction_id IS NOT NULL)"
    )
    op.execute("DELETE FROM transactions WHERE station_transaction_id IS NOT NULL")
    op.execute("UPDATE transactions SET stop_reason = 'Other' WHERE length(stop_reason) > 20")
    op.drop_index("ix_transactions_open_id_tag", table_name="transactions")
    with op.batch_alter_table("transactions") as batch:
        batch.drop_constraint("uq_tx_station_ref", type_="unique")
        for name, _ in reversed(TRANSACTION_COLUMNS):
            batch.drop_column(name)
        batch.alter_column(
            "stop_reason", existing_type=sa.String(30), type_=sa.String(20), existing_nullable=True
        )
        for name, type_ in RELAXED:
            batch.alter_column(name, existing_type=type_, nullable=False)
    op.create_index(
        "ix_transactions_open_id_tag", "transactions", ["id_tag"],
        postgresql_where=OPEN, sqlite_where=OPEN,
    )  # fmt: skip

    op.execute("DELETE FROM connectors WHERE evse_id <> connector_id")
    op.execute("UPDATE connectors SET error_code = 'NoError' WHERE error_code IS NULL")
    _set_connectors_key(["station_id", "connector_id"], evse=False)
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("connectors", "error_code", existing_type=sa.String(30), nullable=False)
        op.drop_column("connectors", "evse_id")

    with op.batch_alter_table("charge_points") as batch:
        batch.drop_column("ocpp_version")
