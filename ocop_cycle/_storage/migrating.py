"""The reads a profile migration needs: which dossiers are still open under a profile (in one
administrative unit), and how many were carried over by earlier runs."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from uuid import UUID

from sqlalchemy import Connection, Engine, func, or_, select
from sqlalchemy.sql import ColumnElement

from ocop_cycle._storage.connections import Database, as_database
from ocop_cycle._storage.schema import dossiers, events

__all__ = ["MigrationQueries"]

D = dossiers.c
E = events.c


def _in_units(codes: Collection[str]) -> ColumnElement[bool]:
    """Dossiers filed under any of ``codes``: communes (5 digits), districts (3), provinces (2)."""
    columns = {5: D.commune_code, 3: D.district_code, 2: D.province_code}
    if any(len(code) not in columns for code in codes):
        raise ValueError(f"not unit codes: {sorted(codes)!r}")
    return or_(
        *(
            column.in_(sorted(c for c in codes if len(c) == size))
            for size, column in columns.items()
            if any(len(c) == size for c in codes)
        )
    )


class MigrationQueries:
    """Candidate dossiers and past migrations, read on one database."""

    def __init__(self, bind: Engine | Connection | Database) -> None:
        self.database = as_database(bind)

    def candidates(
        self, profile_id: str, states: Sequence[str], units: Collection[str] | None
    ) -> list[UUID]:
        """Ids of the dossiers under ``profile_id`` in one of ``states`` (filed under one of
        ``units``, if given), in registration order."""
        stmt = (
            select(D.id)
            .where(D.profile_id == profile_id, D.state.in_(list(states)))
            .order_by(D.registered_at, D.id)
        )
        if units is not None:
            stmt = stmt.where(_in_units(units))
        with self.database.guard(), self.database.connect() as conn:
            return list(conn.execute(stmt).scalars())

    def migrated(self, event_type: str, from_profile: str, units: Collection[str] | None) -> int:
        """How many dossiers (filed under one of ``units``, if given) have an ``event_type``
        event recorded under ``from_profile``: those carried over from it."""
        stmt = (
            select(func.count(func.distinct(E.dossier_id)))
            .select_from(events.join(dossiers, D.id == E.dossier_id))
            .where(E.type == event_type, E.profile_id == from_profile)
        )
        if units is not None:
            stmt = stmt.where(_in_units(units))
        with self.database.guard(), self.database.connect() as conn:
            return int(conn.execute(stmt).scalar_one())
