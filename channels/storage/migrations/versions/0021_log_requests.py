"""log requests beside diagnostics requests

A GetLog (OCPP 2.x, the 1.6 security extension) is kept as a diagnostics request with
its `log_type` (DiagnosticsLog or SecurityLog; none for a 1.6 GetDiagnostics), its row's
id being the GetLog's requestId; `status` grows to hold NotSupportedOperation.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 15:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("diagnostics_requests") as batch:
        batch.add_column(sa.Column("log_type", sa.String(20), nullable=True))
        batch.alter_column(
            "status", existing_type=sa.String(20), type_=sa.String(24), existing_nullable=False
        )


def downgrade() -> None:
    with op.batch_alter_table("diagnostics_requests") as batch:
        batch.alter_column(
            "status", existing_type=sa.String(24), type_=sa.String(20), existing_nullable=False
        )
        batch.drop_column("log_type")
