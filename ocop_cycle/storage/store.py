"""The write path and reads, on prebuilt SQLAlchemy Core statements.

One command is one transaction: the idempotency key (if any), the event row(s), the projection
update checked against the version it was read at, and the outbox rows. SQLAlchemy's errors
are translated here, at the boundary, into ocop-cycle's.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from enum import Enum
from typing import Any
from uuid import UUID

from sqlalchemy import Engine, and_, bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, RowMapping
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

from ocop_cycle.errors import ConcurrencyConflict, SchemaNotReady, StorageError
from ocop_cycle.rules.authority import Actor
from ocop_cycle.storage.database import writer
from ocop_cycle.storage.schema import (
    dossiers,
    events,
    idempotency,
    outbox,
    producers,
    products,
    rounds,
)
from ocop_cycle.workflows.model import Dossier, Event, Round
from ocop_cycle.workflows.notices import Notice
from ocop_cycle.workflows.states import TERMINAL_STATES

__all__ = ["KeyCollision", "Store"]


class KeyCollision(Exception):
    """Another transaction recorded the same idempotency key first (internal signal)."""


D = dossiers.c
E = events.c
_DOSSIER_COLUMNS = [c.name for c in dossiers.columns]


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


def dossier_row(dossier: Dossier) -> dict[str, Any]:
    """A dossier as a row of ``ocop_dossiers``."""
    return {name: _plain(getattr(dossier, name)) for name in _DOSSIER_COLUMNS}


def event_row(event: Event) -> dict[str, Any]:
    """An event as a row of ``ocop_events``."""
    return {
        "dossier_id": event.dossier_id,
        "seq": event.seq,
        "type": event.type,
        "schema_version": event.schema_version,
        "payload": event.payload,
        "actor_role": event.actor.role.value,
        "actor_jurisdiction": event.actor.jurisdiction,
        "actor_id": event.actor.id,
        "actor_name": event.actor.name,
        "profile_id": event.profile_id,
        "occurred_at": event.occurred_at,
        "recorded_at": event.recorded_at,
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    }


def event_from_row(row: RowMapping) -> Event:
    """An event read back from its row."""
    return Event(
        id=row["id"],
        dossier_id=row["dossier_id"],
        seq=row["seq"],
        type=row["type"],
        schema_version=row["schema_version"],
        payload=row["payload"],
        actor=Actor(
            role=row["actor_role"],
            jurisdiction=row["actor_jurisdiction"],
            id=row["actor_id"],
            name=row["actor_name"],
        ),
        profile_id=row["profile_id"],
        occurred_at=row["occurred_at"],
        recorded_at=row["recorded_at"],
        prev_hash=row["prev_hash"],
        hash=row["hash"],
    )


class Store:
    """Reads and transactional writes on one database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._writer = writer(engine)
        self.dialect = engine.dialect.name
        # Built once: SQLAlchemy's cost is in building statements, not in running them.
        self._select_dossier = select(dossiers).where(D.id == bindparam("id"))
        self._update_dossier = update(dossiers).where(
            and_(D.id == bindparam("b_id"), D.version == bindparam("b_version"))
        )
        self._insert_dossier = insert(dossiers)
        self._insert_event = insert(events)
        self._insert_outbox = insert(outbox)
        self._insert_key = insert(idempotency)
        self._select_key = select(idempotency).where(idempotency.c.key == bindparam("key"))
        self._select_events = select(events).where(E.dossier_id == bindparam("id")).order_by(E.seq)
        self._select_events_upto = (
            select(events)
            .where(E.dossier_id == bindparam("id"), E.seq <= bindparam("seq"))
            .order_by(E.seq)
        )
        self._open_successor = select(D.id).where(
            D.predecessor_id == bindparam("id"),
            D.state.not_in([s.value for s in TERMINAL_STATES]),
        )
        self._select_round = select(rounds).where(rounds.c.id == bindparam("id"))

    # -- transactions -------------------------------------------------------------------------

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """One write transaction; database errors come out as ocop-cycle errors."""
        try:
            with self._writer.begin() as conn:
                yield conn
        except IntegrityError as exc:
            raise StorageError("integrity error", detail=str(exc.orig)) from exc
        except (OperationalError, ProgrammingError) as exc:
            raise _translate(exc) from exc

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only connection."""
        try:
            with self.engine.connect() as conn:
                yield conn
        except (OperationalError, ProgrammingError) as exc:
            raise _translate(exc) from exc

    # -- reads --------------------------------------------------------------------------------

    def load(self, conn: Connection, dossier_id: UUID) -> Dossier | None:
        """The projection row of a dossier, if it exists."""
        row = conn.execute(self._select_dossier, {"id": dossier_id}).mappings().first()
        return Dossier.model_validate(dict(row)) if row is not None else None

    def events(self, conn: Connection, dossier_id: UUID, upto: int | None = None) -> list[Event]:
        """A dossier's events in order, optionally up to and including ``upto``."""
        if upto is None:
            result = conn.execute(self._select_events, {"id": dossier_id})
        else:
            result = conn.execute(self._select_events_upto, {"id": dossier_id, "seq": upto})
        return [event_from_row(r) for r in result.mappings()]

    def open_successor(self, conn: Connection, dossier_id: UUID) -> UUID | None:
        """An unfinished dossier that re-evaluates ``dossier_id``, if any."""
        value = conn.execute(self._open_successor, {"id": dossier_id}).scalar()
        return value if isinstance(value, UUID) else None

    def round(self, conn: Connection, round_id: UUID) -> Round | None:
        """A round by id."""
        row = conn.execute(self._select_round, {"id": round_id}).mappings().first()
        return Round.model_validate(dict(row)) if row is not None else None

    def round_by_number(self, year: int, jurisdiction: str, number: int) -> Round | None:
        """The round with this natural key, if any."""
        stmt = select(rounds).where(
            rounds.c.year == year,
            rounds.c.jurisdiction_code == jurisdiction,
            rounds.c.number == number,
        )
        with self.read() as conn:
            row = conn.execute(stmt).mappings().first()
        return Round.model_validate(dict(row)) if row is not None else None

    def idempotent(self, conn: Connection, key: str) -> RowMapping | None:
        """The record of an idempotency key, if it was used."""
        return conn.execute(self._select_key, {"key": key}).mappings().first()

    # -- writes -------------------------------------------------------------------------------

    def remember(
        self,
        conn: Connection,
        key: str,
        command: str,
        fingerprint: str,
        dossier_id: UUID,
        version: int,
        at: datetime,
    ) -> None:
        """Record an idempotency key; ``KeyCollision`` when another writer recorded it first."""
        try:
            conn.execute(
                self._insert_key,
                {
                    "key": key,
                    "command": command,
                    "fingerprint": fingerprint,
                    "dossier_id": dossier_id,
                    "version": version,
                    "recorded_at": at,
                },
            )
        except IntegrityError as exc:
            raise KeyCollision(key) from exc

    def ensure_parties(
        self, conn: Connection, producer: dict[str, Any], product: dict[str, Any]
    ) -> None:
        """Insert the producer and product rows unless they exist already."""
        dialect_insert = postgresql.insert if self.dialect == "postgresql" else sqlite.insert
        conn.execute(dialect_insert(producers).values(**producer).on_conflict_do_nothing())
        conn.execute(dialect_insert(products).values(**product).on_conflict_do_nothing())

    def create(
        self, conn: Connection, dossier: Dossier, event: Event, notices: Sequence[Notice]
    ) -> None:
        """Insert a new dossier's projection and first event."""
        conn.execute(self._insert_dossier, dossier_row(dossier))
        conn.execute(self._insert_event, event_row(event))
        self._notify(conn, notices, event)

    def append(
        self,
        conn: Connection,
        before: Dossier,
        after: Dossier,
        event: Event,
        notices: Sequence[Notice],
    ) -> None:
        """Append one event and move the projection from ``before`` to ``after``.

        The UPDATE runs first and checks the version read earlier: on PostgreSQL it takes the
        row lock, so a racing writer waits here and then finds the version gone.
        """
        params = dossier_row(after)
        params["b_id"] = before.id
        params["b_version"] = before.version
        updated = conn.execute(self._update_dossier, params).rowcount
        if updated != 1:
            raise ConcurrencyConflict(before.id, before.version, None)
        try:
            conn.execute(self._insert_event, event_row(event))
        except IntegrityError as exc:
            raise ConcurrencyConflict(before.id, before.version, None) from exc
        self._notify(conn, notices, event)

    def _notify(self, conn: Connection, notices: Sequence[Notice], event: Event) -> None:
        if not notices:
            return
        conn.execute(
            self._insert_outbox,
            [
                {
                    "notification_id": n.id,
                    "dossier_id": event.dossier_id,
                    "seq": event.seq,
                    "kind": n.kind,
                    "recipient_role": n.recipient_role.value,
                    "recipient_jurisdiction": n.recipient_jurisdiction,
                    "message_vi": n.message_vi,
                    "data": n.data,
                    "created_at": event.recorded_at,
                }
                for n in notices
            ],
        )


def _translate(exc: OperationalError | ProgrammingError) -> StorageError:
    text = str(exc.orig).lower()
    if "no such table" in text or ("relation" in text and "does not exist" in text):
        return SchemaNotReady(
            "ocop-cycle tables are missing: run `ocop-cycle db upgrade`", detail=str(exc.orig)
        )
    return StorageError(f"database error: {exc.orig}", detail=str(exc.orig))
