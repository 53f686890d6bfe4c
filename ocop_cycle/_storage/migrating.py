"""The reads a profile migration needs: which dossiers are still open under a profile (in one
administrative unit), and how many were carried over by earlier runs."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.sql import ColumnElement

from ocop_cycle._storage.connections import Database, as_database
from ocop_cycle._storage.schema import dossiers, events

__all__ = ["MigrationQueries"]

D = dossiers.c
E = events.c


def _in_unit(code: str) -> ColumnElement[bool]:
    """Dossiers filed under ``code``: a commune (5 digits), district (3) or province (2)."""
    column = {5: D.commune_code, 3: D.district_code, 2: D.province_code}.get(len(code))
    if column is None:
        raise ValueError(f"not a unit code: {code!r}")
    return column == code


class MigrationQueries:
    """Candidate dossiers and past migrations, read on one database."""

    def __init__(self, bind: Engine | Connection | Database) -> None:
        self.database = as_database(bind)

    def candidates(self, profile_id: str, states: Sequence[str], unit: str | None) -> list[UUID]:
        """Ids of the dossiers under ``profile_id`` in one of ``states`` (filed under ``unit``,
        if given), in registration order."""
        stmt = (
            select(D.id)
            .where(D.profile_id == profile_id, D.state.in_(list(states)))
            .order_by(D.registered_at, D.id)
        )
        if unit is not None:
            stmt = stmt.where(_in_unit(unit))
        with self.database.guard(), self.database.connect() as conn:
            return list(conn.execute(stmt).scalars())

    def migrated(self, event_type: str, from_profile: str, unit: str | None) -> int:
        """How many dossiers (filed under ``unit``, if given) have an ``event_type`` event
        recorded under ``from_profile``: those carried over from it."""
        stmt = (
            select(func.count(func.distinct(E.dossier_id)))
            .select_from(events.join(dossiers, D.id == E.dossier_id))
            .where(E.type == event_type, E.profile_id == from_profile)
        )
        if unit is not None:
            stmt = stmt.where(_in_unit(unit))
        with self.database.guard(), self.database.connect() as conn:
            return int(conn.execute(stmt).scalar_one())
