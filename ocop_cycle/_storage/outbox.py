"""The outbox: notifications written with their events, claimed and acknowledged by consumers.

Each named consumer ("portal", "sms") receives every notification and acknowledges it for
itself: its leases and acknowledgements are rows of ``ocop_outbox_deliveries`` keyed by
(consumer, notification). Delivery is at least once: a claim is a lease; a notification the
consumer has not acknowledged when its lease ends is handed out again (to any process claiming
as that consumer). Each notification carries a stable id so consumers can drop repeats.

Claimers of one consumer racing each other never both take a notification: a first claim
inserts the consumer's row (``ON CONFLICT DO NOTHING``: the loser gets nothing and reads on, so
that its batch fills with the rows nobody holds),
a claim after a lease ran out updates it only if nobody renewed it since (the ``claims``
count is compared), and an acknowledgement counts only when it is the first.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict
from sqlalchemy import (
    Connection,
    Engine,
    and_,
    bindparam,
    exists,
    func,
    literal,
    null,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect

from ocop_cycle._storage.connections import Database, as_database
from ocop_cycle._storage.fastpath import Prepared
from ocop_cycle._storage.schema import deliveries, outbox

__all__ = ["Notification", "Outbox"]

OB = outbox.c
D = deliveries.c


class Notification(BaseModel):
    """One notification for one recipient, with Vietnamese text and structured fields.

    ``claimed_by``, ``claimed_until`` and ``acked_at`` are one consumer's lease and
    acknowledgement: the claiming consumer's, or the consumer a listing was asked for."""

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


_COLUMNS = [c for c in outbox.c if c.key != "id"]
_LEASE = D.claimed_until.label("lease_until")
_CLAIMS = D.claims.label("claims")


def _statements(dialect: Dialect) -> tuple[Prepared, Prepared, Prepared, Prepared]:
    """Claimable rows, first claim, renewed claim, acknowledgement: compiled for ``dialect``."""
    mine = and_(D.outbox_id == OB.id, D.consumer == bindparam("consumer"))
    claimable = (
        select(OB.id, *_COLUMNS, _LEASE, _CLAIMS)
        .select_from(outbox.outerjoin(deliveries, mine))
        .where(
            or_(
                D.outbox_id.is_(None),
                and_(D.acked_at.is_(None), D.claimed_until < bindparam("now")),
            )
        )
        .order_by(OB.id)
        .limit(bindparam("limit"))
    )
    insert = postgresql.insert if dialect.name == "postgresql" else sqlite.insert
    first = (
        insert(deliveries)
        .values(
            consumer=bindparam("b_consumer"),
            outbox_id=bindparam("b_oid"),
            claimed_until=bindparam("b_until"),
            claims=literal(1),
        )
        .on_conflict_do_nothing()
    )
    renewed = (
        update(deliveries)
        .where(
            D.consumer == bindparam("b_consumer"),
            D.outbox_id == bindparam("b_oid"),
            D.acked_at.is_(None),
            D.claims == bindparam("b_claims"),
        )
        .values(claimed_until=bindparam("b_until"), claims=D.claims + 1)
    )
    ack = (
        update(deliveries)
        .where(
            D.consumer == bindparam("b_consumer"),
            D.outbox_id
            == select(OB.id).where(OB.notification_id == bindparam("b_nid")).scalar_subquery(),
            D.acked_at.is_(None),
        )
        .values(acked_at=bindparam("b_at"))
    )
    return (
        Prepared(claimable, dialect, result_columns=[OB.id, *_COLUMNS, _LEASE, _CLAIMS]),
        Prepared(first, dialect),
        Prepared(renewed, dialect),
        Prepared(ack, dialect),
    )


class Outbox:
    """Claim and acknowledge notifications on one database (an engine, or a host's connection:
    then claims and acknowledgements are part of the host's transaction)."""

    def __init__(self, bind: Engine | Connection | Database) -> None:
        self.database = as_database(bind)
        self._claimable, self._first, self._renewed, self._ack = self.database.shared(_statements)

    def claim(
        self, consumer: str, now: datetime, *, limit: int = 100, lease: timedelta
    ) -> list[Notification]:
        """Lease to ``consumer`` up to ``limit`` notifications it has not acknowledged and holds
        no running lease on, oldest first."""
        until = now + lease
        taken: list[dict[str, Any]] = []
        with self.database.guard(), self.database.write() as tx:
            while len(taken) < limit:
                wanted = {"consumer": consumer, "now": now, "limit": limit - len(taken)}
                lost = 0
                for row in tx.all(self._claimable, wanted):
                    key = {"b_consumer": consumer, "b_oid": row["id"], "b_until": until}
                    if row["claims"] is None:
                        won = tx.run(self._first, key)
                    else:
                        won = tx.run(self._renewed, {**key, "b_claims": row["claims"]})
                    if won == 1:
                        taken.append(row)
                    else:  # another claimer of this consumer took it first, and committed
                        lost += 1
                # On PostgreSQL racing claimers read the same first rows: the ones lost hid
                # others, which a new read (a new snapshot) shows. An empty claim then means
                # nothing is left to claim, never that someone else was quicker.
                if not lost:
                    break
        return [
            Notification.model_validate(
                {c.key: row[c.key] for c in _COLUMNS}
                | {"claimed_by": consumer, "claimed_until": until}
            )
            for row in taken
        ]

    def ack(self, consumer: str, notification_ids: Iterable[UUID], now: datetime) -> int:
        """Mark notifications delivered to ``consumer``; returns how many were newly
        acknowledged (one it never claimed, or acknowledged already, counts 0)."""
        done = 0
        with self.database.guard(), self.database.write() as tx:
            for nid in notification_ids:
                done += tx.run(self._ack, {"b_consumer": consumer, "b_nid": nid, "b_at": now})
        return done

    def list(
        self, *, consumer: str | None = None, include_acked: bool = False, limit: int = 100
    ) -> list[Notification]:
        """Notifications, oldest first. For a ``consumer``: with its lease and acknowledgement,
        the ones it acknowledged left out unless asked. Without: the ones no consumer has
        acknowledged, unless asked for all."""
        stmt = self._listing(consumer, include_acked).order_by(OB.id).limit(limit)
        with self.database.guard(), self.database.connect() as conn:
            rows = conn.execute(stmt).mappings().all()
        return [Notification.model_validate(dict(r)) for r in rows]

    def count(self, *, consumer: str | None = None, include_acked: bool = False) -> int:
        """How many notifications ``list`` would give without a limit."""
        listing = self._listing(consumer, include_acked).subquery()
        stmt = select(func.count()).select_from(listing)
        with self.database.guard(), self.database.connect() as conn:
            return int(conn.execute(stmt).scalar_one())

    def _listing(self, consumer: str | None, include_acked: bool) -> Any:
        if consumer is None:
            acked = exists().where(D.outbox_id == OB.id, D.acked_at.is_not(None))
            stmt = select(OB.id, *_COLUMNS, null().label("claimed_by"))
            if not include_acked:
                stmt = stmt.where(~acked)
        else:
            mine = and_(D.outbox_id == OB.id, D.consumer == consumer)
            stmt = select(
                OB.id,
                *_COLUMNS,
                D.consumer.label("claimed_by"),
                D.claimed_until,
                D.acked_at,
            ).select_from(outbox.outerjoin(deliveries, mine))
            if not include_acked:
                stmt = stmt.where(D.acked_at.is_(None))
        return stmt
