"""Stored plans: one document per (year, unit), written whole and read whole.

The plan's own model lives above storage (``ocop_cycle.plan``); here it is a JSON document and
its digest, so storage stays free of plan logic. Which idempotency keys are already recorded is
read here too, so an import can say exactly what it wrote.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Literal, NamedTuple
from uuid import UUID

from sqlalchemy import Connection, Engine, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from ocop_cycle._storage.connections import Database
from ocop_cycle._storage.database import storage_error
from ocop_cycle._storage.schema import idempotency, plans

__all__ = ["PlanStore", "StoredPlan"]

Saved = Literal["created", "unchanged", "replaced"]


class StoredPlan(NamedTuple):
    """A stored plan's identity, digest and document."""

    year: int
    unit_code: str
    digest: str
    document: dict[str, Any]
    imported_at: datetime


class PlanStore:
    """Plans in one database (the caller owns the engine), or inside a host's transaction on
    its connection (writes in a savepoint; the host commits)."""

    def __init__(self, bind: Engine | Connection) -> None:
        self._database = Database(bind)

    @contextmanager
    def _connection(self, *, write: bool) -> Iterator[Connection]:
        try:
            with self._database.begin() if write else self._database.connect() as conn:
                yield conn
        except IntegrityError:
            raise
        except DBAPIError as exc:
            raise storage_error(exc) from exc

    def save(
        self, year: int, unit_code: str, digest: str, document: dict[str, Any], at: datetime
    ) -> Saved:
        """Store the plan: "unchanged" when the same digest is there already (nothing written),
        "replaced" when another version was, else "created"."""
        for _ in range(2):  # a concurrent first import of the same plan: read it and compare
            found = self.get(year, unit_code)
            if found is not None and found.digest == digest:
                return "unchanged"
            try:
                with self._connection(write=True) as conn:
                    if found is None:
                        conn.execute(
                            plans.insert().values(
                                year=year,
                                unit_code=unit_code,
                                digest=digest,
                                document=document,
                                imported_at=at,
                            )
                        )
                        return "created"
                    conn.execute(
                        update(plans)
                        .where(plans.c.year == year, plans.c.unit_code == unit_code)
                        .values(digest=digest, document=document, imported_at=at)
                    )
                    return "replaced"
            except IntegrityError:
                continue
        raise RuntimeError("plan row kept changing while saving")  # pragma: no cover

    def get(self, year: int, unit_code: str) -> StoredPlan | None:
        """The stored plan of ``unit_code`` for ``year``, if any."""
        with self._connection(write=False) as conn:
            row = conn.execute(
                select(plans).where(plans.c.year == year, plans.c.unit_code == unit_code)
            ).first()
        return None if row is None else StoredPlan(*row)

    def of_year(self, year: int) -> list[str]:
        """The units with a stored plan for ``year``, by code."""
        with self._connection(write=False) as conn:
            return list(
                conn.execute(
                    select(plans.c.unit_code)
                    .where(plans.c.year == year)
                    .order_by(plans.c.unit_code)
                ).scalars()
            )

    def recorded_keys(self, keys: Iterable[str]) -> dict[str, UUID]:
        """Which of ``keys`` are already recorded idempotency keys (their commands are done),
        with the dossier each one's command acted on."""
        wanted = list(keys)
        found: dict[str, UUID] = {}
        with self._connection(write=False) as conn:
            for start in range(0, len(wanted), 500):
                rows = conn.execute(
                    select(idempotency.c.key, idempotency.c.dossier_id).where(
                        idempotency.c.key.in_(wanted[start : start + 500])
                    )
                )
                found.update((key, dossier_id) for key, dossier_id in rows)
        return found
