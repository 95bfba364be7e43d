"""Password rotation: a station's pending password, and no password kept in plain text

A rotation keeps the new password's hash beside the current one until the station
logs in with it. What older versions kept of a station's password in plain text (a
ChangeConfiguration AuthorizationKey sent, a GetConfiguration or GetVariables answer,
a NotifyReport) is masked: the commands, the message log, the configuration keys and
the variables keep "***" in its place. Downgrading keeps the masks, and is refused while
a rotation is under way: the station may have taken the new password, and dropping its
hash would refuse it for good.

The masking rule is this migration's own copy of channels/domain/password_fields.py's as it was
when it was written: what a migration does must not change with the application's code.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 03:00:00
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

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
MASK = "***"
# The actions whose payloads (request or answer) may hold a station's password.
ACTIONS = ("ChangeConfiguration", "GetConfiguration", "GetVariables", "NotifyReport",
           "SetVariables")  # fmt: skip


def upgrade() -> None:
    with op.batch_alter_table("charge_points") as batch:
        for name, kind in PENDING:
            batch.add_column(sa.Column(name, kind, nullable=True))
    _mask_stored_passwords()


def downgrade() -> None:
    stations = sa.table(
        "charge_points", sa.column("id", sa.String), sa.column("pending_password_hash")
    )
    under_way = (
        op.get_bind()
        .execute(
            sa.select(stations.c.id)
            .where(stations.c.pending_password_hash.is_not(None))
            .order_by(stations.c.id)
        )
        .scalars()
        .all()
    )
    if under_way:
        shown = ", ".join(under_way[:10]) + (" ..." if len(under_way) > 10 else "")
        raise RuntimeError(
            f"not downgraded below 0013: {len(under_way)} station(s) have a password "
            f"rotation under way ({shown}). Each may have taken its new password, which "
            "only the pending hash this downgrade drops admits, and which no one knows: "
            "the station would be refused for good. Let each log in (a Reset makes it "
            "reconnect), or set its password (PATCH /api/v1/stations/<id>), then downgrade"
        )
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


# --- the masking rule, as of this migration -------------------------------------------------


def _named(value: Any, name: str) -> bool:
    return isinstance(value, str) and value.lower() == name.lower()


def _masked_entry(entry: dict[str, Any]) -> dict[str, Any]:
    """The entry with its password masked: 1.6's AuthorizationKey ({"key", "value"}), 2.x's
    SecurityCtrlr.BasicAuthPassword (SetVariableData, GetVariableResult, ReportData)."""
    if _named(entry.get("key"), "AuthorizationKey"):
        return entry if entry.get("value") is None else {**entry, "value": MASK}
    component, variable = entry.get("component"), entry.get("variable")
    if not (
        isinstance(component, dict)
        and isinstance(variable, dict)
        and _named(component.get("name"), "SecurityCtrlr")
        and _named(variable.get("name"), "BasicAuthPassword")
    ):
        return entry
    kept = dict(entry)
    if kept.get("attributeValue") is not None:
        kept["attributeValue"] = MASK
    attributes = kept.get("variableAttribute")
    if isinstance(attributes, list):
        kept["variableAttribute"] = [
            {**a, "value": MASK} if isinstance(a, dict) and a.get("value") is not None else a
            for a in attributes
        ]
    return kept


def masked(action: Any, payload: Any) -> Any:
    """`payload` of `action` with every password in it replaced by MASK."""
    if action not in ACTIONS:
        return payload
    if isinstance(payload, list):
        return [masked(action, item) for item in payload]
    if isinstance(payload, dict):
        return {name: masked(action, item) for name, item in _masked_entry(payload).items()}
    return payload
