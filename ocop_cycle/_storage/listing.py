"""Counts behind the CLI's lists, so that a list cut at ``--limit`` can say how much it left out."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, or_, select
from sqlalchemy.sql import Select

from ocop_cycle._storage.connections import Database, as_database
from ocop_cycle._storage.outbox import Outbox
from ocop_cycle._storage.schema import deadlines, dossiers

__all__ = ["ListCounts", "filed"]


def filed(stmt: Select[Any], state: str | None, codes: Collection[str] | None) -> Select[Any]:
    """``stmt`` on ``ocop_dossiers`` kept to dossiers in ``state`` filed under one of ``codes``
    (commune, district or province: their lengths differ); None: any."""
    d = dossiers.c
    if state is not None:
        stmt = stmt.where(d.state == state)
    if codes is not None:
        wanted = sorted(codes)
        stmt = stmt.where(
            or_(
                d.commune_code.in_(wanted),
                d.district_code.in_(wanted),
                d.province_code.in_(wanted),
            )
        )
    return stmt


class ListCounts:
    """How many rows each of the CLI's lists would show without a limit."""

    def __init__(self, bind: Engine | Connection | Database) -> None:
        self.database = as_database(bind)

    def _count(self, stmt: Select[Any]) -> int:
        with self.database.guard(), self.database.connect() as conn:
            return int(conn.execute(stmt).scalar_one())

    def dossiers(self, state: str | None, codes: Collection[str] | None = None) -> int:
        """Dossiers in ``state`` (any when None) filed under one of ``codes`` (any when None),
        with the filter of ``Engine.dossiers``."""
        return self._count(filed(select(func.count()).select_from(dossiers), state, codes))

    def notifications(self, *, consumer: str | None = None, include_acked: bool = False) -> int:
        """Notifications ``Engine.notifications`` lists with the same arguments, unlimited."""
        return Outbox(self.database).count(consumer=consumer, include_acked=include_acked)

    def pending_deadlines(
        self, due_before: datetime | None = None, *, status: str = "pending"
    ) -> int:
        """Deadlines still pending, or in ``status`` (due before ``due_before``, if given)."""
        stmt = select(func.count()).select_from(deadlines).where(deadlines.c.status == status)
        if due_before is not None:
            stmt = stmt.where(deadlines.c.due_at < due_before)
        return self._count(stmt)
