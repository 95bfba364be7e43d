"""Password rotation: a station's pending password, and no password kept in plain text

A rotation keeps the new password's hash beside the current one until the station
logs in with it. What older versions kept of a station's password in plain text (a
ChangeConfiguration AuthorizationKey sent, a GetConfiguration or GetVariables answer,
a NotifyReport) is masked: the commands, the message log, the configuration keys and
the variables keep "***" in its place. Downgrading keeps the masks.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 03:00:00
"""

import sqlalchemy as sa
from alembic import op

from channels.password_fields import ACTIONS, MASK, masked

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

PENDING = (
    ("pending_password_hash", sa.String(255)),
    ("pending_password_command", sa.String(36)),
    ("pending_password_status", sa.String(10)),
    ("pending_password_at", sa.DateTime(timezone=True)),
)
BATCH = 1000  # rows read at a time: the message log may be long


def upgrade() -> None:
    with op.batch_alter_table("charge_points") as batch:
        for name, kind in PENDING:
            batch.add_column(sa.Column(name, kind, nullable=True))
    _mask_stored_passwords()


def downgrade() -> None:
    with op.batch_alter_table("charge_points") as batch:
        for name, _ in reversed(PENDING):
            batch.drop_column(name)


def _mask_stored_passwords() -> None:
    connection = op.get_bind()
    configuration = sa.table("station_configuration", sa.column("key"), sa.column("value"))
    connection.execute(
        configuration.update()
        .where(sa.func.lower(configuration.c.key) == "authorizationkey")
        .where(configuration.c.value.is_not(None))
        .values(value=MASK)
    )
    variables = sa.table(
        "station_variables", sa.column("component"), sa.column("variable"), sa.column("value")
    )
    connection.execute(
        variables.update()
        .where(sa.func.lower(variables.c.component) == "securityctrlr")
        .where(sa.func.lower(variables.c.variable) == "basicauthpassword")
        .where(variables.c.value.is_not(None))
        .values(value=MASK)
    )
    commands = sa.table(
        "commands",
        sa.column("id", sa.String),
        sa.column("action", sa.String),
        sa.column("payload", sa.JSON),
        sa.column("response", sa.JSON),
    )
    _mask_rows(connection, commands, ("payload", "response"))
    log = sa.table(
        "message_log",
        sa.column("id", sa.Integer),
        sa.column("action", sa.String),
        sa.column("payload", sa.JSON),
    )
    _mask_rows(connection, log, ("payload",))


def _mask_rows(connection: sa.Connection, table: sa.TableClause, columns: tuple[str, ...]) -> None:
    """Each row of the actions that may carry a password, read by id in batches and
    written back where masking changed it."""
    after = None
    while True:
        query = (
            sa.select(table.c.id, table.c.action, *(table.c[c] for c in columns))
            .where(table.c.action.in_(sorted(ACTIONS)))
            .order_by(table.c.id)
            .limit(BATCH)
        )
        if after is not None:
            query = query.where(table.c.id > after)
        found = connection.execute(query).all()
        for row in found:
            values = {c: masked(row.action, getattr(row, c)) for c in columns}
            changed = {c: v for c, v in values.items() if v != getattr(row, c)}
            if changed:
                connection.execute(table.update().where(table.c.id == row.id).values(**changed))
        if len(found) < BATCH:
            return
        after = found[-1].id
