"""exactly once: one open successor per certificate; idempotency remembers the base version

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29

A database written before this revision may already hold two open re-evaluations of one
certificate (two racing calls could both see none). The unique index cannot be built on such
rows, and which of them should stay is a decision for the people who run the programme, not for
a migration: the upgrade then refuses before changing anything, naming each certificate and its
open re-evaluations. Withdraw all but one of each with the release that runs on this schema
(``ocop-cycle`` before 0004: its ``Engine.withdraw``) and run ``ocop-cycle db upgrade`` again.
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

from ocop_cycle.errors import StorageError

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

#: The terminal states as of this revision, frozen here: a later change to
#: ``workflows.states.TERMINAL_STATES`` needs a migration of its own.
CLOSED_STATES = ("renewed", "revoked", "not_recognized", "withdrawn", "rejected")
OPEN_SUCCESSOR_SQL = (
    "predecessor_id IS NOT NULL AND state NOT IN ("
    + ", ".join(f"'{state}'" for state in CLOSED_STATES)
    + ")"
)
OPEN_SUCCESSOR = sa.text(OPEN_SUCCESSOR_SQL)

DUPLICATES = sa.text(
    f"SELECT predecessor_id, id FROM ocop_dossiers WHERE {OPEN_SUCCESSOR_SQL}"
    " AND predecessor_id IN ("
    f"SELECT predecessor_id FROM ocop_dossiers WHERE {OPEN_SUCCESSOR_SQL}"
    " GROUP BY predecessor_id HAVING COUNT(*) > 1)"
    " ORDER BY predecessor_id, registered_at, id"
)


def _refuse_duplicate_open_successors() -> None:
    """Raise ``StorageError`` naming every certificate with more than one open re-evaluation."""
    found: dict[uuid.UUID, list[uuid.UUID]] = {}
    for predecessor, successor in op.get_bind().execute(DUPLICATES):
        found.setdefault(uuid.UUID(str(predecessor)), []).append(uuid.UUID(str(successor)))
    if not found:
        return
    lines = "; ".join(
        f"certificate {predecessor}: open re-evaluations {', '.join(map(str, successors))}"
        for predecessor, successors in found.items()
    )
    raise StorageError(
        f"cannot upgrade to schema 0004: {len(found)} certificate(s) have more than one open "
        f"re-evaluation, written before one open re-evaluation per certificate was enforced "
        f"({lines}). Nothing was changed. Withdraw all but one re-evaluation of each "
        "certificate with the ocop-cycle release that wrote them (its Engine.withdraw runs on "
        "this schema; this release's does not), then run "
        "`ocop-cycle db upgrade` again.",
        predecessor_ids=[str(p) for p in found],
        successor_ids={str(p): [str(s) for s in ss] for p, ss in found.items()},
    )


def upgrade() -> None:
    # First, before any change: nothing is half-applied when the index cannot be built.
    _refuse_duplicate_open_successors()
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
