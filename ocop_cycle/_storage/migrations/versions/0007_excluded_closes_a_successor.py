"""an excluded dossier is closed: the open-successor index leaves out state 'excluded'

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29

Decision 26/2026 lets the province exclude a dossier on one of its sheet's grounds ("Hồ sơ bị
loại khi …"), a terminal state. A re-evaluation excluded must not keep its certificate's one
open-successor place, so the partial unique index is rebuilt with 'excluded' among the closed
states. Closing more states only takes rows out of the index: the upgrade cannot meet a
duplicate. The downgrade puts back 0004's index, which counts an excluded re-evaluation as
open again (a database holding one beside a later re-evaluation of the same certificate
cannot go back; the database then refuses the index and nothing changes).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

INDEX = "uq_ocop_dossiers_open_successor"
#: The terminal states as of this revision, frozen here (see 0004).
CLOSED_STATES = ("renewed", "revoked", "not_recognized", "withdrawn", "rejected", "excluded")
PREVIOUS = ("renewed", "revoked", "not_recognized", "withdrawn", "rejected")


def _open_successor(closed: tuple[str, ...]) -> sa.TextClause:
    listed = ", ".join(f"'{state}'" for state in closed)
    return sa.text(f"predecessor_id IS NOT NULL AND state NOT IN ({listed})")


def _index(closed: tuple[str, ...]) -> None:
    op.drop_index(INDEX, table_name="ocop_dossiers")
    where = _open_successor(closed)
    op.create_index(
        INDEX,
        "ocop_dossiers",
        ["predecessor_id"],
        unique=True,
        sqlite_where=where,
        postgresql_where=where,
    )


def upgrade() -> None:
    _index(CLOSED_STATES)


def downgrade() -> None:
    _index(PREVIOUS)
