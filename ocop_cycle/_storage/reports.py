"""Read queries for reports, the CLI and the scheduler: named methods, plain rows out.

Callers outside ``storage`` read the database only through these methods; they get read
models (``Dossier``, ``Round``) or small named tuples, never SQLAlchemy rows or statements.
Driver errors are translated here into ``StorageError`` / ``SchemaNotReady``, the driver's error
chained as the cause.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal, NamedTuple
from uuid import UUID

from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.exc import DBAPIError

from ocop_cycle._storage.database import current_revision, storage_error
from ocop_cycle._storage.schema import deadlines, dossiers, events, rounds
from ocop_cycle.workflows.model import Dossier, Round

__all__ = [
    "DistrictRecords",
    "PendingDeadline",
    "ReportEvent",
    "ReportQueries",
    "RoundDeadline",
]


class ReportEvent(NamedTuple):
    """The part of an event a report reads (payload as stored, not upcast)."""

    dossier_id: UUID
    type: str
    payload: dict[str, Any]
    occurred_at: datetime


class PendingDeadline(NamedTuple):
    """A deadline not yet settled."""

    dossier_id: UUID
    kind: str
    due_at: datetime


class RoundDeadline(NamedTuple):
    """An evaluation round and the last day for scoring in it."""

    round_id: UUID
    scoring_deadline: date


@dataclass(frozen=True, slots=True)
class DistrictRecords:
    """What the plan report reads about one district and year, read on one connection."""

    #: The district's dossiers, by registration time then product name.
    dossiers: tuple[Dossier, ...]
    #: Their events of the types asked for, in the order they were written.
    events: tuple[ReportEvent, ...]
    #: The district's rounds of the year, by number.
    rounds: tuple[Round, ...]
    #: Their pending deadlines, soonest first.
    pending: tuple[PendingDeadline, ...]


class ReportQueries:
    """Read-only queries on one database (the caller owns the engine)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @contextmanager
    def _reading(self) -> Iterator[Connection]:
        try:
            with self._engine.connect() as conn:
                yield conn
        except DBAPIError as exc:
            raise storage_error(exc) from exc

    def schema_revision(self) -> str | None:
        """The schema revision the database is at, or None when it has no ocop-cycle schema."""
        try:
            return current_revision(self._engine)
        except DBAPIError as exc:
            raise storage_error(exc) from exc

    def dossier_count(self) -> int:
        """How many dossiers the database holds."""
        with self._reading() as conn:
            count: int = conn.execute(select(func.count()).select_from(dossiers)).scalar_one()
        return count

    def district_records(
        self, district_code: str, year: int, event_types: Iterable[str]
    ) -> DistrictRecords:
        """The dossiers of ``district_code`` with their events of ``event_types`` and pending
        deadlines, and the district's rounds of ``year``."""
        return self.unit_records(district_code, year, event_types, level="district")

    def unit_records(
        self,
        unit_code: str,
        year: int,
        event_types: Iterable[str],
        *,
        level: Literal["district", "province"],
        registered_since: datetime | None = None,
    ) -> DistrictRecords:
        """The dossiers of a district or province (registered from ``registered_since``, for a
        code that named another territory before) with their events of ``event_types`` and
        pending deadlines, and the unit's rounds of ``year``."""
        column = dossiers.c.district_code if level == "district" else dossiers.c.province_code
        where = [column == unit_code]
        if registered_since is not None:
            where.append(dossiers.c.registered_at >= registered_since)
        in_unit = select(dossiers.c.id).where(*where)
        with self._reading() as conn:
            ds = tuple(
                Dossier.model_validate(dict(r))
                for r in conn.execute(
                    select(dossiers)
                    .where(*where)
                    .order_by(dossiers.c.registered_at, dossiers.c.product_name)
                ).mappings()
            )
            evs = tuple(
                ReportEvent(*r)
                for r in conn.execute(
                    select(
                        events.c.dossier_id, events.c.type, events.c.payload, events.c.occurred_at
                    )
                    .where(
                        events.c.dossier_id.in_(in_unit),
                        events.c.type.in_(list(event_types)),
                    )
                    .order_by(events.c.id)
                )
            )
            rs = tuple(
                Round.model_validate(dict(r))
                for r in conn.execute(
                    select(rounds)
                    .where(rounds.c.jurisdiction_code == unit_code, rounds.c.year == year)
                    .order_by(rounds.c.number)
                ).mappings()
            )
            pending = tuple(
                PendingDeadline(*r)
                for r in conn.execute(
                    select(deadlines.c.dossier_id, deadlines.c.kind, deadlines.c.due_at)
                    .where(
                        deadlines.c.status == "pending",
                        deadlines.c.dossier_id.in_(in_unit),
                    )
                    .order_by(deadlines.c.due_at, deadlines.c.id)
                )
            )
        return DistrictRecords(dossiers=ds, events=evs, rounds=rs, pending=pending)

    def round_deadlines(self, on_or_after: date) -> list[RoundDeadline]:
        """Every round whose scoring deadline is ``on_or_after`` or later."""
        stmt = (
            select(rounds.c.id, rounds.c.scoring_deadline)
            .where(rounds.c.scoring_deadline >= on_or_after)
            .order_by(rounds.c.scoring_deadline, rounds.c.id)
        )
        with self._reading() as conn:
            return [RoundDeadline(*r) for r in conn.execute(stmt)]
