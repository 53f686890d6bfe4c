"""deadlines whose application failed: found at once by dossier

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30

A deadline whose application fails unexpectedly is settled ``failed`` and holds back its
dossier's later deadlines: every claim asks whether the dossier has one. A partial index on the
(few) failed rows answers without reading the dossier's other deadlines.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

FAILED = sa.text("status = 'failed'")


def upgrade() -> None:
    with op.batch_alter_table("ocop_deadlines", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ocop_deadlines_failed",
            ["dossier_id"],
            unique=False,
            sqlite_where=FAILED,
            postgresql_where=FAILED,
        )


def downgrade() -> None:
    with op.batch_alter_table("ocop_deadlines", schema=None) as batch_op:
        batch_op.drop_index("ix_ocop_deadlines_failed")
