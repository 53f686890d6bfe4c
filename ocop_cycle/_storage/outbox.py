"""The outbox: notifications written with their events, claimed and acknowledged by hosts.

Delivery is at least once: a claim is a lease; a notification not acknowledged before its lease
ends is handed out again. Each carries a stable id so consumers can drop repeats. On
PostgreSQL, concurrent consumers skip each other's claimed rows (``SKIP LOCKED``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Connection, Engine, bindparam, or_, select, update
from sqlalchemy.engine import Dialect

from ocop_cycle._storage.connections import Database, as_database
from ocop_cycle._storage.fastpath import Prepared
from ocop_cycle._storage.schema import outbox

__all__ = ["Notification", "Outbox"]

OB = outbox.c


class Notification(BaseModel):
    """One notification for one recipient, with Vietnamese text and structured fields."""

    model_config = ConfigDict(frozen=True)

    notification_id: UUID
    kind: str
    dossier_id: UUID
    seq: int
    recipient_role: str
    recipient_jurisdiction: str
    message_vi: str
    data: dict[str, Any]
    created_at: datetime
    claimed_by: str | None = None
    claimed_until: datetime | None = None
    acked_at: datetime | None = None


def _statements(dialect: Dialect) -> tuple[Prepared, Prepared, Prepared]:
    """Claimable rows, claim one, acknowledge one: compiled for ``dialect``."""
    columns = [c for c in outbox.c if c.key != "id"]
    claimable = (
        select(OB.id, *columns)
        .where(
            OB.acked_at.is_(None),
            or_(OB.claimed_until.is_(None), OB.claimed_until < bindparam("now")),
        )
        .order_by(OB.id)
        .limit(bindparam("limit"))
    )
    if dialect.name == "postgresql":
        claimable = claimable.with_for_update(skip_locked=True)
    claim = (
        update(outbox)
        .where(OB.id == bindparam("b_id"))
        .values(claimed_by=bindparam("b_by"), claimed_until=bindparam("b_until"))
    )
    ack = (
        update(outbox)
        .where(OB.notification_id == bindparam("b_nid"), OB.acked_at.is_(None))
        .values(acked_at=bindparam("b_at"))
    )
    return (
        Prepared(claimable, dialect, result_columns=[OB.id, *columns]),
        Prepared(claim, dialect),
        Prepared(ack, dialect),
    )


class Outbox:
    """Claim and acknowledge notifications on one database (an engine, or a host's connection:
    then claims and acknowledgements are part of the host's transaction)."""

    def __init__(self, bind: Engine | Connection | Database) -> None:
        self.database = as_database(bind)
        self._claimable, self._claim, self._ack = self.database.shared(_statements)

    def claim(
        self, consumer: str, now: datetime, *, limit: int = 100, lease: timedelta
    ) -> list[Notification]:
        """Lease up to ``limit`` unacknowledged notifications to ``consumer``, oldest first."""
        until = now + lease
        with self.database.guard(), self.database.write() as tx:
            rows = tx.all(self._claimable, {"now": now, "limit": limit})
            for row in rows:
                tx.run(self._claim, {"b_id": row["id"], "b_by": consumer, "b_until": until})
        return [
            Notification.model_validate({**row, "claimed_by": consumer, "claimed_until": until})
            for row in rows
        ]

    def ack(self, notification_ids: Iterable[UUID], now: datetime) -> int:
        """Mark notifications delivered; returns how many were newly acknowledged."""
        done = 0
        with self.database.guard(), self.database.write() as tx:
            for nid in notification_ids:
                done += tx.run(self._ack, {"b_nid": nid, "b_at": now})
        return done

    def list(self, *, include_acked: bool = False, limit: int = 100) -> list[Notification]:
        """Notifications, oldest first; unacknowledged only unless asked."""
        stmt = select(outbox).order_by(OB.id).limit(limit)
        if not include_acked:
            stmt = stmt.where(OB.acked_at.is_(None))
        with self.database.guard(), self.database.connect() as conn:
            rows = conn.execute(stmt).mappings().all()
        return [Notification.model_validate(dict(r)) for r in rows]
