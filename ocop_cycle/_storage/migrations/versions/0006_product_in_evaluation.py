"""one evaluation of a product at a time: a unique index on the new dossiers in evaluation

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01

Before this index a product could be registered twice while its first dossier was open. Such
pairs cannot be indexed: the upgrade stops and lists them, so that an officer withdraws or
rejects the duplicates (commands, with their events) before upgrading again.
"""

from __future__ import annotations

from uuid import UUID

import sqlalchemy as sa
from alembic import op

from ocop_cycle.errors import StorageError

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

STATES = (
    "'registered', 'returned', 'commune_verified', 'district_scored', 'forwarded_province', "
    "'province_scored', 'forwarded_central', 'central_scored'"
)
NEW_IN_EVALUATION = sa.text(f"kind = 'new' AND state IN ({STATES})")


def upgrade() -> None:
    duplicates = (
        op.get_bind()
        .execute(
            sa.text(
                "SELECT product_id, COUNT(*) FROM ocop_dossiers "
                f"WHERE kind = 'new' AND state IN ({STATES}) "
                "GROUP BY product_id HAVING COUNT(*) > 1"
            )
        )
        .all()
    )
    if duplicates:
        listed = ", ".join(
            f"{UUID(str(product))} ({count} dossiers)" for product, count in duplicates
        )
        # Typed like 0004's refusal: `ocop-cycle db upgrade` prints it in one line, exit 1.
        raise StorageError(
            "cannot upgrade to schema 0006: products registered more than once and still in "
            f"evaluation: {listed}. Nothing was changed. Withdraw or reject the duplicates, "
            "then upgrade again",
            product_ids=[str(UUID(str(product))) for product, _ in duplicates],
        )
    op.create_index(
        "uq_ocop_dossiers_product_in_evaluation",
        "ocop_dossiers",
        ["product_id"],
        unique=True,
        sqlite_where=NEW_IN_EVALUATION,
        postgresql_where=NEW_IN_EVALUATION,
    )


def downgrade() -> None:
    op.drop_index("uq_ocop_dossiers_product_in_evaluation", table_name="ocop_dossiers")
