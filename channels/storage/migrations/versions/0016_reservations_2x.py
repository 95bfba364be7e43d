"""reservations of 2.0.1 and 2.1 stations

A 2.x ReserveNow names an EVSE, a connector type or neither (any EVSE), and the
idToken's type; it names no connector, so `connector_id` may be empty (a 2.x
reservation's). On SQLite the table is copied to change that: the copy keeps
AUTOINCREMENT and the highest reservationId ever given, so none is handed out again.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-09 09:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

_NEW_COLUMNS = (
    ("evse_id", sa.Integer()),
    ("connector_type", sa.String(20)),
    ("id_token_type", sa.String(20)),
)


def _last_id_given() -> int | None:
    """SQLite's AUTOINCREMENT counter of reservations (None elsewhere, or none given)."""
    if op.get_bind().dialect.name != "sqlite":
        return None
    return op.get_bind().scalar(
        sa.text("SELECT seq FROM sqlite_sequence WHERE name = 'reservations'")
    )


def _keep_last_id_given(last: int | None) -> None:
    # The copy counts from the highest id it holds; a deleted newer one was given too.
    if last is not None:
        op.execute(
            sa.text(
                "UPDATE sqlite_sequence SET seq = max(seq, :last) WHERE name = 'reservations'"
            ).bindparams(last=last)
        )


def upgrade() -> None:
    last = _last_id_given()
    with op.batch_alter_table("reservations", table_kwargs={"sqlite_autoincrement": True}) as batch:
        for name, kind in _NEW_COLUMNS:
            batch.add_column(sa.Column(name, kind, nullable=True))
        batch.alter_column("connector_id", existing_type=sa.Integer(), nullable=True)
    _keep_last_id_given(last)


def downgrade() -> None:
    # 1.6's table has no place for a reservation without a connector: 2.x ones go.
    op.execute(sa.text("DELETE FROM reservations WHERE connector_id IS NULL"))
    last = _last_id_given()
    with op.batch_alter_table("reservations", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.alter_column("connector_id", existing_type=sa.Integer(), nullable=False)
        for name, _ in reversed(_NEW_COLUMNS):
            batch.drop_column(name)
    _keep_last_id_given(last)
