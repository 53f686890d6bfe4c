"""exactly once: one open successor per certificate; idempotency remembers the base version

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

OPEN_SUCCESSOR = sa.text(
    "predecessor_id IS NOT NULL AND state NOT IN "
    "('renewed', 'revoked', 'not_recognized', 'withdrawn', 'rejected')"
)


def upgrade() -> None:
    with op.batch_alter_table("ocop_idempotency") as batch:
        batch.add_column(sa.Column("base_version", sa.Integer(), nullable=True))
    op.create_index(
        "uq_ocop_dossiers_open_successor",
        "ocop_dossiers",
        ["predecessor_id"],
        unique=True,
        sqlite_where=OPEN_SUCCESSOR,
        postgresql_where=OPEN_SUCCESSOR,
    )


def downgrade() -> None:
    op.drop_index("uq_ocop_dossiers_open_successor", table_name="ocop_dossiers")
    with op.batch_alter_table("ocop_idempotency") as batch:
        batch.drop_column("base_version")
