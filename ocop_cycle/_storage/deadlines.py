"""The deadline queue: what is due, claimed one dossier at a time, settled once.

Exactly once and in due order, with several schedulers on one database: a sweeper first locks
the *dossier* whose deadline is due earliest (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so other
sweepers take other dossiers), then takes that dossier's earliest pending deadline. Every
sweeper works a dossier only under its row lock, so a dossier's deadlines are applied one after
the other in due order: a later expiry can never overtake the statutory renewal notice that
falls due before it. Settling is a compare-and-set on ``status = 'pending'``. On SQLite the write
transaction (BEGIN IMMEDIATE) serialises sweepers and the earliest due row is the dossier's. A
deadline settled ``failed`` (its application raised unexpectedly) holds back its dossier's later
deadlines until an operator puts it back (``retry``): due order holds through failures too.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    bindparam,
    exists,
    literal_column,
    select,
    update,
)

from ocop_cycle._storage.connections import Database, as_database
from ocop_cycle._storage.fastpath import Prepared, Tx
from ocop_cycle._storage.schema import deadlines, dossiers, rounds
from ocop_cycle.workflows.model import Round

__all__ = ["DeadlineQueue"]

D = deadlines.c
#: How many due rows a claim looks through for a dossier no other sweeper holds.
_WINDOW = 64


def _not_held_back() -> ColumnElement[bool]:
    """The deadline's dossier has no failed deadline. Why: a dossier's deadlines apply in due
    order, so one that failed holds back the dossier's later ones until it is put back (a
    later expiry would otherwise overtake the renewal notice that failed before it); other
    dossiers go on."""
    failed = deadlines.alias("failed")
    # The status as a literal in the SQL, not a parameter: SQLite uses a partial index only
    # for a condition it can see implies the index's own (``status = 'failed'``).
    return ~exists().where(
        failed.c.dossier_id == D.dossier_id, failed.c.status == literal_column("'failed'")
    )


class DeadlineQueue:
    """Claims and settles due deadlines; reads the queue for operators."""

    def __init__(self, bind: Engine | Connection | Database) -> None:
        self.database = as_database(bind)
        dialect = self.database.dialect
        self.locking = dialect.name == "postgresql"
        columns = [D.id, D.key, D.kind, D.dossier_id, D.round_id, D.due_at, D.status, D.detail]
        due = (D.status == "pending", D.due_at <= bindparam("now"), _not_held_back())
        self._earliest = Prepared(
            select(*columns).where(*due).order_by(D.due_at, D.id).limit(1),
            dialect,
            result_columns=columns,
        )
        # Both databases sort every due row to find the first (ties on due_at): asking each of
        # them for a failed deadline would cost a probe per due row per claim. The earliest due
        # row is taken first, and only if its dossier is held back is the filtered query asked.
        self._earliest_any = Prepared(
            select(*columns).where(*due[:2]).order_by(D.due_at, D.id).limit(1),
            dialect,
            result_columns=columns,
        )
        failed = (D.dossier_id == bindparam("dossier_id"), D.status == literal_column("'failed'"))
        self._held_back = Prepared(
            select(D.id).where(*failed).limit(1), dialect, result_columns=[D.id]
        )
        self._earliest_of = Prepared(
            select(*columns)
            .where(D.dossier_id == bindparam("dossier_id"), *due)
            .order_by(D.due_at, D.id)
            .limit(1),
            dialect,
            result_columns=columns,
        )

        def lock_free(*where: ColumnElement[bool]) -> Prepared:
            window = select(D.dossier_id, D.due_at, D.id).where(*where)
            candidates = window.order_by(D.due_at, D.id).limit(_WINDOW).subquery()
            free = (
                select(dossiers.c.id)
                .join(candidates, candidates.c.dossier_id == dossiers.c.id)
                .order_by(candidates.c.due_at, candidates.c.id)
                .limit(1)
                .with_for_update(skip_locked=True, of=dossiers)
            )
            return Prepared(free, dialect, result_columns=[dossiers.c.id])

        # As on SQLite: the window is sorted whole (ties on due_at), so it is first taken
        # unfiltered, the filtered one asked only when that dossier turned out held back.
        self._lock_free_any = lock_free(*due[:2])
        self._lock_free = lock_free(*due)
        self._lock_one = Prepared(
            select(dossiers.c.id).where(dossiers.c.id == bindparam("id")).with_for_update(),
            dialect,
            result_columns=[dossiers.c.id],
        )
        self._settle = Prepared(
            update(deadlines)
            .where(D.id == bindparam("b_id"), D.status == "pending")
            .values(
                status=bindparam("b_status"),
                applied_at=bindparam("b_applied_at"),
                lateness_seconds=bindparam("b_lateness"),
                outcome=bindparam("b_outcome"),
            ),
            dialect,
        )
        later = (
            select(*rounds.c)
            .where(
                rounds.c.jurisdiction_code == bindparam("jurisdiction"),
                rounds.c.scoring_deadline > bindparam("after"),
            )
            .order_by(rounds.c.scoring_deadline, rounds.c.number)
            .limit(1)
        )
        self._next_round = Prepared(later, dialect, result_columns=list(rounds.c))
        page = (
            select(dossiers.c.id)
            .where(dossiers.c.id > bindparam("after"))
            .order_by(dossiers.c.id)
            .limit(bindparam("limit"))
        )
        self._page = Prepared(page, dialect, result_columns=[dossiers.c.id])

    def claim(self, tx: Tx, now: datetime) -> dict[str, Any] | None:
        """The earliest pending deadline due at ``now`` of a dossier this transaction now holds
        locked, or None when nothing is due.

        When every due dossier is held by another sweeper, wait for the earliest one rather than
        give up: the caller's loop then always ends with nothing due.
        """
        if not self.locking:
            first = tx.one(self._earliest_any, {"now": now})
            if (
                first is None
                or tx.one(self._held_back, {"dossier_id": first["dossier_id"]}) is None
            ):
                return first
            return tx.one(self._earliest, {"now": now})
        lock_free = self._lock_free_any
        while True:
            held = tx.one(lock_free, {"now": now})
            if held is None:
                first = tx.one(self._earliest, {"now": now})
                if first is None:
                    return None
                if tx.one(self._lock_one, {"id": first["dossier_id"]}) is None:
                    return first  # no projection to lock: settled as moot by the caller
                held = {"id": first["dossier_id"]}
            row = tx.one(self._earliest_of, {"dossier_id": held["id"], "now": now})
            if row is not None:
                return row
            # That dossier is held back by a failed deadline, or another sweeper settled its
            # last due deadline while we waited: from now on, only dossiers not held back.
            lock_free = self._lock_free

    def settle(
        self,
        tx: Tx,
        deadline_id: int,
        *,
        status: str,
        applied_at: datetime,
        lateness_seconds: int,
        outcome: str,
    ) -> bool:
        """Mark a claimed deadline done or skipped; False when someone settled it first."""
        settled = tx.run(
            self._settle,
            {
                "b_id": deadline_id,
                "b_status": status,
                "b_applied_at": applied_at,
                "b_lateness": lateness_seconds,
                "b_outcome": outcome[:300],
            },
        )
        return settled == 1

    def retry(self, deadline_ids: Sequence[int]) -> list[int]:
        """Put failed deadlines back in the queue (pending, their failure cleared), in one
        transaction; the ids that were put back (an id that is not a failed deadline is not)."""
        if not deadline_ids:
            return []
        put_back = (
            update(deadlines)
            .where(D.id.in_(list(dict.fromkeys(deadline_ids))), D.status == "failed")
            .values(status="pending", applied_at=None, lateness_seconds=None, outcome=None)
            .returning(D.id)
        )
        with self.database.guard(), self.database.begin() as conn:
            found = [int(i) for i in conn.execute(put_back).scalars()]
        return sorted(found)

    def round_after(self, tx: Tx, jurisdiction: str, after: Any) -> Round | None:
        """The jurisdiction's first round whose scoring deadline is after ``after``."""
        found = tx.one(self._next_round, {"jurisdiction": jurisdiction, "after": after})
        return Round.model_validate(found) if found is not None else None

    def dossier_ids(self, tx: Tx, after: UUID, limit: int) -> list[UUID]:
        """A page of dossier ids, in id order, after ``after``."""
        return [r["id"] for r in tx.all(self._page, {"after": after, "limit": limit})]

    def pending(
        self, *, due_before: datetime | None = None, limit: int = 1000, status: str = "pending"
    ) -> Sequence[dict[str, Any]]:
        """Deadline rows in ``status`` (pending by default) in due order, optionally only those
        due before a time."""
        stmt = select(deadlines).where(D.status == status).order_by(D.due_at, D.id)
        if due_before is not None:
            stmt = stmt.where(D.due_at < due_before)
        with self.database.guard(), self.database.connect() as conn:
            return [dict(r) for r in conn.execute(stmt.limit(limit)).mappings().all()]

    def next_due_at(self) -> datetime | None:
        """When the earliest pending deadline a sweep would apply falls due, if any (those of a
        dossier held back by a failed one wait for it)."""
        stmt = (
            select(D.due_at)
            .where(D.status == "pending", _not_held_back())
            .order_by(D.due_at)
            .limit(1)
        )
        with self.database.guard(), self.database.connect() as conn:
            value = conn.execute(stmt).scalar()
        return value if isinstance(value, datetime) else None

    def for_dossier(self, dossier_id: UUID) -> Sequence[dict[str, Any]]:
        """Every deadline row of one dossier, in due order."""
        stmt = select(deadlines).where(D.dossier_id == dossier_id).order_by(D.due_at, D.id)
        with self.database.guard(), self.database.connect() as conn:
            return [dict(r) for r in conn.execute(stmt).mappings().all()]
