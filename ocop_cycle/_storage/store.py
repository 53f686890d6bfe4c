"""Reads and the write path: one command is one transaction (on a host's connection, one
savepoint in the host's transaction: see ``connections``).

A transaction holds the idempotency key (if any), the event row(s), the projection update
checked against the version it was read at, and the outbox rows. Statements are built once
(see ``fastpath``); database errors are translated here, at the boundary, into ocop-cycle's.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from enum import Enum
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, Engine, and_, bindparam, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect

from ocop_cycle._storage.cache import DEFAULT_SIZE, ProjectionCache
from ocop_cycle._storage.connections import Database, as_database
from ocop_cycle._storage.fastpath import Prepared, Tx
from ocop_cycle._storage.listing import filed
from ocop_cycle._storage.schema import (
    deadlines,
    dossiers,
    events,
    idempotency,
    outbox,
    producers,
    product_sequences,
    products,
    rounds,
    store_settings,
)
from ocop_cycle._storage.settings import KEY_CHECK
from ocop_cycle.errors import ConcurrencyConflict, StorageError
from ocop_cycle.rules.authority import Actor, Role
from ocop_cycle.workflows.deadlines import DeadlineSpec
from ocop_cycle.workflows.events import Event, stored_form
from ocop_cycle.workflows.model import Dossier, DossierKind, Round
from ocop_cycle.workflows.notices import Notice
from ocop_cycle.workflows.states import IN_EVALUATION, TERMINAL_STATES
from ocop_cycle.workflows.upcast import upcast_payload

__all__ = ["KeyCollision", "OpenSuccessorExists", "ProductInEvaluation", "Store"]


class KeyCollision(Exception):
    """A natural key (idempotency key, round number) is taken (internal signal)."""


class OpenSuccessorExists(Exception):
    """The certificate already has an open re-evaluation (internal signal, from the index)."""


class ProductInEvaluation(Exception):
    """The product already has a new dossier in evaluation (internal signal, from the index)."""


D = dossiers.c
E = events.c
_DOSSIER_COLUMNS = [c.name for c in dossiers.columns]
_TERMINAL = {s.value for s in TERMINAL_STATES}
_EVENT_COLUMNS = [c.name for c in events.columns if c.name != "id"]
_OUTBOX_COLUMNS = [
    "notification_id",
    "dossier_id",
    "seq",
    "kind",
    "recipient_role",
    "recipient_jurisdiction",
    "message_vi",
    "data",
    "created_at",
]


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
        "payload": stored_form(event.payload),
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


#: What reading a row the engine did not write as it stands can raise: a value of another kind
#: than its column's (JSON that is not JSON, an unknown state or role), a payload that fails
#: its model, a schema version newer than this code.
_UNREADABLE = (ValueError, TypeError, KeyError)


def unreadable(what: str, exc: Exception) -> StorageError:
    """A stored row that cannot be read as ocop-cycle writes it, as a ``StorageError`` naming
    it (its cause chained): the store was altered behind the engine, or by newer code."""
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return StorageError(
        f"{what} cannot be read as ocop-cycle writes it ({type(exc).__name__}: {first}); "
        "`ocop-cycle audit verify` says what was altered",
        row=what,
    )


def event_from_row(row: dict[str, Any]) -> Event:
    """An event read back from its row: its payload upcast to the current schema, then validated
    against its type's model (a payload that fails raises; the audit reports it)."""
    version, payload = upcast_payload(row["type"], row["schema_version"], row["payload"])
    return Event(
        id=row["id"],
        dossier_id=row["dossier_id"],
        seq=row["seq"],
        type=row["type"],
        schema_version=version,
        payload=payload,
        # As stored, not revalidated: a row written before a rule on actors tightened (control
        # characters, lengths) must still read; its hash still covers it.
        actor=Actor.model_construct(
            role=Role(row["actor_role"]),
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


class _Statements:
    """The write path's statements compiled for one dialect (shared by every ``Store`` on one
    SQLAlchemy engine, so an ``Engine`` made per host connection compiles nothing)."""

    def __init__(self, d: Dialect) -> None:
        def prepared(stmt: Any, keys: Sequence[str] | None = None) -> Prepared:
            columns = list(stmt.selected_columns) if hasattr(stmt, "selected_columns") else []
            return Prepared(stmt, d, keys, columns)

        self.select_dossier = prepared(select(dossiers).where(D.id == bindparam("id")))
        self.update_where = update(dossiers).where(
            and_(D.id == bindparam("b_id"), D.version == bindparam("b_version"))
        )
        self.prepare = prepared
        # One prepared UPDATE per set of changed columns (a handful per workflow), so an update
        # writes only what changed and SQLite touches no index whose columns stayed the same.
        self.updates: dict[tuple[str, ...], Prepared] = {}
        self.insert_dossier = prepared(insert(dossiers), _DOSSIER_COLUMNS)
        self.insert_event = prepared(insert(events), _EVENT_COLUMNS)
        self.insert_outbox = prepared(insert(outbox), _OUTBOX_COLUMNS)
        self.insert_key = prepared(insert(idempotency), [c.name for c in idempotency.columns])
        self.select_key = prepared(select(idempotency).where(idempotency.c.key == bindparam("key")))
        self.select_events = prepared(
            select(events).where(E.dossier_id == bindparam("id")).order_by(E.seq)
        )
        self.select_events_upto = prepared(
            select(events)
            .where(E.dossier_id == bindparam("id"), E.seq <= bindparam("seq"))
            .order_by(E.seq)
        )
        self.successors = prepared(select(D.id, D.state).where(D.predecessor_id == bindparam("id")))
        self.in_evaluation = prepared(
            select(D.id)
            .where(
                D.product_id == bindparam("id"),
                or_(*(D.state == s.value for s in IN_EVALUATION)),  # IN cannot be prepared once
            )
            .limit(1)
        )
        self.select_round = prepared(select(rounds).where(rounds.c.id == bindparam("id")))
        self.select_round_key = prepared(
            select(rounds).where(
                rounds.c.year == bindparam("year"),
                rounds.c.jurisdiction_code == bindparam("jurisdiction_code"),
                rounds.c.number == bindparam("number"),
            )
        )
        self.insert_round = prepared(insert(rounds), [c.name for c in rounds.columns])
        dialect_insert = postgresql.insert if d.name == "postgresql" else sqlite.insert
        self.insert_producer = prepared(
            dialect_insert(producers).on_conflict_do_nothing(), [c.name for c in producers.columns]
        )
        self.insert_product = prepared(
            dialect_insert(products).on_conflict_do_nothing(), [c.name for c in products.columns]
        )
        self.insert_deadline = prepared(
            dialect_insert(deadlines).on_conflict_do_nothing(),
            ["key", "kind", "dossier_id", "round_id", "due_at", "status", "detail", "created_at"],
        )
        seq = product_sequences.c
        self.next_product_seq = Prepared(
            dialect_insert(product_sequences)
            .values(
                province_code=bindparam("province"),
                commune_code=bindparam("commune"),
                year=bindparam("year"),
                last_seq=1,
            )
            .on_conflict_do_update(
                index_elements=[seq.province_code, seq.commune_code, seq.year],
                set_={"last_seq": seq.last_seq + 1},
            )
            .returning(seq.last_seq),
            d,
            None,
            [seq.last_seq],
        )
        self.integrity_error: type[Exception] = d.loaded_dbapi.IntegrityError
        setting = store_settings.c
        self.select_setting = prepared(
            select(setting.value).where(setting.name == bindparam("name"))
        )
        self.insert_setting = prepared(
            dialect_insert(store_settings).on_conflict_do_nothing(), ["name", "value"]
        )
        self.latest_event = prepared(select(events).order_by(E.id.desc()).limit(1))
        self.last_recorded = prepared(select(func.max(E.recorded_at).label("recorded_at")))


class Store:
    """Reads and transactional writes on one database (an engine, or a host's connection)."""

    def __init__(
        self, bind: Engine | Connection | Database, *, cache_size: int = DEFAULT_SIZE
    ) -> None:
        self.database = as_database(bind)
        self.dialect = self.database.dialect.name
        self._q = self.database.shared(_Statements)
        self._integrity_error = self._q.integrity_error
        # Never on a host's connection: what it writes may still be rolled back by the host.
        self._cache = ProjectionCache(cache_size if self.database.connection is None else 0)

    # -- transactions -------------------------------------------------------------------------

    def guard(self) -> AbstractContextManager[None]:
        """Driver and SQLAlchemy errors out as ocop-cycle's (connecting included)."""
        return self.database.guard()

    @contextmanager
    def write(self) -> Iterator[Tx]:
        """One write transaction (a savepoint on a host's connection); database errors come out
        as ocop-cycle errors. The projections it wrote go to the cache once it has committed,
        and its ``after_commit`` calls run once it is durable (on a host's connection, when
        the host commits)."""
        with self.guard(), self.database.write() as tx:
            yield tx
        for dossier in tx.written.values():
            self._cache.put(dossier)
        if tx.after_commit:
            self.database.after_commit(tx.after_commit)

    # -- the projection cache (a hint; see ``cache``) ------------------------------------------

    def cached(self, dossier_id: UUID) -> Dossier | None:
        """The projection of ``dossier_id`` as this engine last committed or read it, if kept."""
        return self._cache.get(dossier_id)

    def forget(self, dossier_id: UUID) -> None:
        """Drop ``dossier_id`` from the cache (found stale)."""
        self._cache.drop(dossier_id)

    @contextmanager
    def read(self) -> Iterator[Tx]:
        """A read-only transaction (never takes SQLite's write lock)."""
        with self.guard(), self.database.read() as tx:
            yield tx

    def list_dossiers(
        self, state: str | None, limit: int, *, codes: Collection[str] | None = None
    ) -> list[Dossier]:
        """Dossiers, newest registration first, optionally in one state and filed under one of
        ``codes`` (commune, district or province: their lengths differ)."""
        stmt = filed(select(dossiers), state, codes)
        stmt = stmt.order_by(D.registered_at.desc()).limit(limit)
        with self.guard(), self.database.connect() as conn:
            rows = conn.execute(stmt).mappings().all()
        out = []
        for r in rows:
            try:
                out.append(Dossier.model_validate(dict(r)))
            except _UNREADABLE as exc:
                raise unreadable(f"dossier {r.get('id')}", exc) from exc
        return out

    def count_events(self) -> int:
        """How many events the log holds."""
        with self.guard(), self.database.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(events)).scalar_one())

    # -- reads --------------------------------------------------------------------------------

    def load(self, tx: Tx, dossier_id: UUID) -> Dossier | None:
        """The projection row of a dossier, if it exists."""
        try:
            row = tx.one(self._q.select_dossier, {"id": dossier_id})
            if row is None:
                return None
            dossier = Dossier.model_validate(row)
        except _UNREADABLE as exc:
            raise unreadable(f"dossier {dossier_id}", exc) from exc
        # Cached only if this transaction commits: it may be reading its own uncommitted write.
        tx.written.setdefault(dossier.id, dossier)
        return dossier

    def events(self, tx: Tx, dossier_id: UUID, upto: int | None = None) -> list[Event]:
        """A dossier's events in order, optionally up to and including ``upto``."""
        try:
            if upto is None:
                rows = tx.all(self._q.select_events, {"id": dossier_id})
            else:
                rows = tx.all(self._q.select_events_upto, {"id": dossier_id, "seq": upto})
        except _UNREADABLE as exc:
            raise unreadable(f"an event of dossier {dossier_id}", exc) from exc
        out = []
        for r in rows:
            try:
                out.append(event_from_row(r))
            except _UNREADABLE as exc:
                raise unreadable(f"event {r.get('seq')} of dossier {dossier_id}", exc) from exc
        return out

    def open_successor(self, tx: Tx, dossier_id: UUID) -> UUID | None:
        """An unfinished dossier that re-evaluates ``dossier_id``, if any."""
        open_ = [
            r["id"]
            for r in tx.all(self._q.successors, {"id": dossier_id})
            if r["state"] not in _TERMINAL
        ]
        return open_[0] if open_ else None

    def open_product(self, tx: Tx, product_id: UUID) -> UUID | None:
        """A dossier of ``product_id`` in evaluation (any kind), if any."""
        row = tx.one(self._q.in_evaluation, {"id": product_id})
        return row["id"] if row is not None else None

    def round(self, tx: Tx, round_id: UUID) -> Round | None:
        """A round by id."""
        row = tx.one(self._q.select_round, {"id": round_id})
        return Round.model_validate(row) if row is not None else None

    def next_product_seq(self, tx: Tx, province: str, commune: str, year: int) -> int:
        """The commune's next product sequence number of ``year``, taken in ``tx``: the row
        stays locked until it commits, and a rollback gives the number back (no gaps)."""
        row = tx.one(
            self._q.next_product_seq, {"province": province, "commune": commune, "year": year}
        )
        assert row is not None
        return int(row["last_seq"])

    def round_by_number(self, tx: Tx, year: int, jurisdiction: str, number: int) -> Round | None:
        """The round with this natural key, if any."""
        key = {"year": year, "jurisdiction_code": jurisdiction, "number": number}
        row = tx.one(self._q.select_round_key, key)
        return Round.model_validate(row) if row is not None else None

    def idempotent(self, tx: Tx, key: str) -> dict[str, Any] | None:
        """The record of an idempotency key, if it was used."""
        return tx.one(self._q.select_key, {"key": key})

    # -- writes -------------------------------------------------------------------------------

    def insert_round(self, tx: Tx, row: dict[str, Any]) -> None:
        """Insert a round; ``KeyCollision`` when its natural key is taken."""
        try:
            tx.run(self._q.insert_round, row)
        except self._integrity_error as exc:
            raise KeyCollision(
                f"round {row['year']}/{row['jurisdiction_code']}/{row['number']}"
            ) from exc

    def remember(
        self,
        tx: Tx,
        key: str,
        command: str,
        fingerprint: str,
        dossier_id: UUID,
        version: int,
        base_version: int,
        at: datetime,
    ) -> None:
        """Record an idempotency key; ``KeyCollision`` when another writer recorded it first."""
        row = {
            "key": key,
            "command": command,
            "fingerprint": fingerprint,
            "dossier_id": dossier_id,
            "version": version,
            "base_version": base_version,
            "recorded_at": at,
        }
        try:
            tx.run(self._q.insert_key, row)
        except self._integrity_error as exc:
            raise KeyCollision(key) from exc

    def ensure_parties(self, tx: Tx, producer: dict[str, Any], product: dict[str, Any]) -> None:
        """Insert the producer and product rows unless they exist already."""
        tx.run(self._q.insert_producer, producer)
        tx.run(self._q.insert_product, product)

    def create(self, tx: Tx, dossier: Dossier, event: Event, notices: Sequence[Notice]) -> None:
        """Insert a new dossier's projection and first event.

        ``OpenSuccessorExists`` when the dossier re-evaluates a certificate that already has an
        open re-evaluation, ``ProductInEvaluation`` when a new dossier's product already has a
        new dossier in evaluation: on PostgreSQL a racing insert waits on the unique index for
        the first transaction, then fails here.
        """
        try:
            tx.run(self._q.insert_dossier, dossier_row(dossier))
        except self._integrity_error as exc:
            if dossier.predecessor_id is not None:
                raise OpenSuccessorExists(str(dossier.predecessor_id)) from exc
            if dossier.kind is DossierKind.NEW:
                raise ProductInEvaluation(str(dossier.product_id)) from exc
            raise
        tx.run(self._q.insert_event, event_row(event))
        self._notify(tx, notices, event)
        tx.written[dossier.id] = dossier

    def append(
        self,
        tx: Tx,
        before: Dossier,
        after: Dossier,
        event: Event,
        notices: Sequence[Notice],
    ) -> None:
        """Append one event and move the projection from ``before`` to ``after``.

        The UPDATE runs first and checks the version read earlier: on PostgreSQL it takes the
        row lock, so a racing writer waits here and then finds the version gone.
        """
        new, old = after.__dict__, before.__dict__  # the models' fields (columns are fields)
        # ``after`` is a copy of ``before`` with some fields replaced: the others are the same
        # objects, told apart by identity before any (Python-level) equality runs.
        params = {
            name: _plain(value)
            for name in _DOSSIER_COLUMNS
            if (value := new[name]) is not old[name] and value != old[name]
        }
        changed = tuple(params)
        statement = self._q.updates.get(changed)
        if statement is None:
            statement = self._q.updates[changed] = self._q.prepare(self._q.update_where, changed)
        params["b_id"] = before.id
        params["b_version"] = before.version
        tx.run_expecting(
            statement, params, 1, lambda: ConcurrencyConflict(before.id, before.version, None)
        )
        try:
            tx.run(self._q.insert_event, event_row(event))
        except self._integrity_error as exc:
            raise ConcurrencyConflict(before.id, before.version, None) from exc
        self._notify(tx, notices, event)
        tx.written[after.id] = after

    # -- the store's key (see ``Handlers.check_key``) -------------------------------------------

    def key_check(self, tx: Tx) -> str | None:
        """The fingerprint of the key the store's hash chains are made with, if recorded."""
        row = tx.one(self._q.select_setting, {"name": KEY_CHECK})
        return None if row is None else str(row["value"])

    def record_key_check(self, tx: Tx, fingerprint: str) -> None:
        """Record the key's fingerprint (a fingerprint recorded already is kept)."""
        tx.run(self._q.insert_setting, {"name": KEY_CHECK, "value": fingerprint})

    def last_recorded_at(self, tx: Tx) -> datetime | None:
        """When the latest event was recorded (the greatest ``recorded_at``), if any."""
        row = tx.one(self._q.last_recorded, {})
        found = None if row is None else row["recorded_at"]
        return found if isinstance(found, datetime) else None

    def latest_event_row(self, tx: Tx) -> dict[str, Any] | None:
        """The row of the event written last, as stored (its payload not upcast), if any."""
        return tx.one(self._q.latest_event, {})

    def batch(self, tx: Tx, first: Dossier) -> AbstractContextManager[None]:
        """Send the writes inside together where the driver can (see ``Tx.batch``): appends to
        existing dossiers only, ``first`` being the first of them. A constraint that refuses a
        write there means another writer appended first: ``ConcurrencyConflict``."""
        return tx.batch(
            self._integrity_error, lambda: ConcurrencyConflict(first.id, first.version, None)
        )

    def add_deadlines(self, tx: Tx, specs: Sequence[DeadlineSpec], now: datetime) -> int:
        """Write planned deadlines; one already planned (same natural key) is left as it is.
        Returns how many were new."""
        added = 0
        for spec in specs:
            added += tx.run(
                self._q.insert_deadline,
                {
                    "key": spec.key,
                    "kind": spec.kind,
                    "dossier_id": spec.dossier_id,
                    "round_id": spec.round_id,
                    "due_at": spec.due_at,
                    "status": "pending",
                    "detail": spec.detail,
                    "created_at": now,
                },
            )
        return added

    def _notify(self, tx: Tx, notices: Sequence[Notice], event: Event) -> None:
        for n in notices:
            tx.run(
                self._q.insert_outbox,
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
                },
            )
