"""The auditor's reads and its one write (checkpoints): every statement the audit runs.

The audit sees the database only through ``AuditLog``. Long reads stream: rows come through a
cursor in batches (a server-side cursor on PostgreSQL), so memory stays flat however many events
the store holds. Each stream is ordered by dossier id, the same way on every stream, so callers
can merge them without loading either. Database errors come out as ``StorageError`` (or
``SchemaNotReady`` when the tables are missing), with the driver's error as the cause.

Streams read inside ``snapshot()`` share one connection and one read transaction, so they see
the same moment of the store: events committed while a verify runs (the engine goes on writing
during an audit) must not appear in one stream and not the other, or a live, consistent store
would read as a projection without events.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, closing, contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from itertools import count, groupby
from operator import itemgetter
from typing import Any
from uuid import UUID

from sqlalchemy import (
    Engine,
    String,
    Uuid,
    and_,
    bindparam,
    cast,
    func,
    insert,
    select,
    type_coerce,
)

from ocop_cycle._storage.failures import translated
from ocop_cycle._storage.fastpath import Prepared
from ocop_cycle._storage.schema import (
    checkpoint_heads,
    checkpoints,
    deadlines,
    dossiers,
    events,
    outbox,
)
from ocop_cycle._storage.settings import StoreSettings
from ocop_cycle._storage.types import score_text
from ocop_cycle.errors import StorageError

__all__ = [
    "EVENT_COLUMNS",
    "PROJECTION_COLUMNS",
    "AuditLog",
    "ChainHead",
    "Rows",
    "SeenHead",
    "Unreadable",
    "by_dossier",
    "has_unreadable",
    "unreadable_values",
]

E = events.c
D = dossiers.c
H = checkpoint_heads.c

#: The columns of an event row, in the order exports write them.
EVENT_COLUMNS: tuple[str, ...] = tuple(c.name for c in events.columns)
#: The columns of a projection row.
PROJECTION_COLUMNS: tuple[str, ...] = tuple(c.name for c in dossiers.columns)

#: (dossier, seq, hash) of a chain's last event.
ChainHead = tuple[UUID, int, str]
#: (dossier, seq, hash a checkpoint saw, hash stored now or None when the event is gone).
SeenHead = tuple[UUID, int, str, str | None]

#: A row's dossier (streams come in dossier order).
by_dossier = itemgetter("dossier_id")

#: A stream of rows (column name -> value); close it to release its connection early.
Rows = Generator[dict[str, Any], None, None]

FETCH = 5000

#: An id as SQLite stores it (SQLAlchemy's ``Uuid``): 32 lower-case hex digits.
_HEX32 = re.compile(r"[0-9a-f]{32}")


@dataclass(frozen=True, slots=True)
class Unreadable:
    """A stored value that cannot be read as its column's type: what is stored, and why."""

    stored: Any
    reason: str

    def __str__(self) -> str:
        shown = repr(self.stored)
        return shown if len(shown) <= 60 else shown[:57] + "..."

    # Ordered among the ids of a stream where the database sorts it, so that streams merged
    # by dossier pair the same dossier's rows: a UUID as its stored 32 hex digits, not its
    # dashed text (which sorts otherwise around a '.' or a 'Z', and would pair the rows of an
    # altered id with an untouched dossier).
    def __lt__(self, other: object) -> bool:
        return _stored_order(self) < _stored_order(other)

    def __gt__(self, other: object) -> bool:
        return _stored_order(self) > _stored_order(other)


def _stored_order(value: object) -> tuple[int, Any]:
    """Where SQLite's ORDER BY puts a stored id (the only database that stores one it cannot
    read): NULL, then numbers, then text in byte order (Python's code-point order is the same),
    then blobs; a readable id is stored as its 32 lower-case hex digits."""
    if isinstance(value, Unreadable):
        value = value.stored
    if isinstance(value, UUID):
        return 2, value.hex
    if value is None:
        return 0, 0
    if isinstance(value, int | float):
        return 1, value
    if isinstance(value, str):
        return 2, value
    if isinstance(value, bytes):
        return 3, value
    return 4, repr(value)


class AuditLog:
    """Streams of events, projections and checkpoints for the audit; writes checkpoints."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        dialect = engine.dialect
        self._pg = dialect.name == "postgresql"
        #: Per thread (one ``AuditLog`` may serve several): the connection every stream reads
        #: on inside ``snapshot()``, and the streams opened on it, closed when it ends.
        self._local = threading.local()
        self._cursor_names = count(1)
        self._checkpoint_rows = Prepared(
            select(checkpoints).order_by(checkpoints.c.id),
            dialect,
            result_columns=list(checkpoints.columns),
        )
        event_cols = list(events.columns)
        ordered = select(*event_cols).order_by(E.dossier_id, E.seq)
        self._all_events = Prepared(ordered, dialect, result_columns=event_cols)
        self._one_events = Prepared(
            ordered.where(E.dossier_id == bindparam("id")), dialect, result_columns=event_cols
        )
        head_cols = [D.id, D.version, D.last_hash]
        heads = select(*head_cols).order_by(D.id)
        self._all_heads = Prepared(heads, dialect, result_columns=head_cols)
        self._one_head = Prepared(
            heads.where(D.id == bindparam("id")), dialect, result_columns=head_cols
        )
        # The score as stored, besides its value: Decimal equality ignores how it is spelled.
        full = [*dossiers.columns, cast(D.score, String).label("score_text")]
        rows = select(*full).order_by(D.id)
        self._all_projections = Prepared(rows, dialect, result_columns=full)
        self._one_projection = Prepared(
            rows.where(D.id == bindparam("id")), dialect, result_columns=full
        )
        # Every column the events plan, and the settlement: the audit compares them with what
        # the events planned, and the times in Python (SQLite would compare them as text).
        queue = deadlines.c
        deadline_cols = [
            queue.dossier_id,
            queue.key,
            queue.kind,
            queue.round_id,
            queue.due_at,
            queue.detail,
            queue.status,
            queue.applied_at,
        ]
        planned = select(*deadline_cols).order_by(queue.dossier_id, queue.key)
        self._all_deadlines = Prepared(planned, dialect, result_columns=deadline_cols)
        self._one_deadlines = Prepared(
            planned.where(queue.dossier_id == bindparam("id")),
            dialect,
            result_columns=deadline_cols,
        )
        latest = func.max(E.recorded_at).label("recorded_at")
        self._last_recorded = Prepared(select(latest), dialect, result_columns=[latest])
        self._last_recorded_below = Prepared(
            select(latest).where(type_coerce(E.recorded_at, String) < bindparam("below", "")),
            dialect,
            result_columns=[latest],
        )
        notice_cols = [
            outbox.c.dossier_id,
            outbox.c.notification_id,
            outbox.c.seq,
            outbox.c.kind,
            outbox.c.recipient_role,
            outbox.c.recipient_jurisdiction,
            outbox.c.message_vi,
            outbox.c.data,
        ]
        notices = select(*notice_cols).order_by(outbox.c.dossier_id, outbox.c.id)
        self._all_notices = Prepared(notices, dialect, result_columns=notice_cols)
        self._one_notices = Prepared(
            notices.where(outbox.c.dossier_id == bindparam("id")),
            dialect,
            result_columns=notice_cols,
        )
        seen_cols = [H.dossier_id, H.seq, H.hash, E.hash.label("found")]
        seen = (
            select(*seen_cols)
            .select_from(
                checkpoint_heads.outerjoin(
                    events, and_(E.dossier_id == H.dossier_id, E.seq == H.seq)
                )
            )
            .where(H.checkpoint_id == bindparam("checkpoint"))
            .order_by(H.dossier_id)
        )
        self._seen_all = Prepared(seen, dialect, result_columns=seen_cols)
        self._seen_one = Prepared(
            seen.where(H.dossier_id == bindparam("id")), dialect, result_columns=seen_cols
        )

    # -- streams ------------------------------------------------------------------------------

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Read every stream (and the checkpoints) inside from one snapshot of the store: one
        connection in one read-only transaction (REPEATABLE READ on PostgreSQL; on SQLite one
        read transaction, whose snapshot is fixed by its first read). Nested: the outer one."""
        if getattr(self._local, "held", None) is not None:
            yield
            return
        with self._translated():
            raw = self.engine.raw_connection()
            try:
                cursor = raw.cursor()
                try:
                    cursor.execute(
                        "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"
                        if self._pg
                        else "BEGIN"
                    )
                finally:
                    cursor.close()
            except BaseException:
                raw.invalidate()
                raise
        streams: list[Rows] = []
        self._local.held, self._local.streams = raw, streams
        try:
            yield
        finally:
            self._local.held = self._local.streams = None
            # A stream still open (its reader stopped early, or failed) closes its cursor now,
            # on this connection: never later, inside whoever has the connection next.
            for rows in streams:
                with suppress(Exception):
                    rows.close()
            with suppress(Exception):  # a read transaction: nothing to lose
                raw.rollback()
            raw.close()

    def _scoped(self, every: Prepared, one: Prepared, dossier_id: UUID | None) -> Rows:
        """The stream of ``every`` row, or of ``one`` dossier's."""
        if dossier_id is None:
            return self._stream(every, {})
        return self._stream(one, {"id": dossier_id})

    def event_rows(self, dossier_id: UUID | None = None) -> Rows:
        """Stored event rows (every column, as hashed), in (dossier, seq) order."""
        return self._scoped(self._all_events, self._one_events, dossier_id)

    def projection_heads(self, dossier_id: UUID | None = None) -> Iterator[ChainHead]:
        """(id, version, last_hash) of each projection, in dossier order."""
        prepared, params = (
            (self._all_heads, {}) if dossier_id is None else (self._one_head, {"id": dossier_id})
        )
        for row in self._stream(prepared, params):
            yield row["id"], row["version"], row["last_hash"]

    def projections(self, dossier_id: UUID | None = None) -> Rows:
        """Full projection rows (column name -> value), in dossier order, with the score's
        stored text as ``score_text`` (see ``score_as_stored``)."""
        return self._scoped(self._all_projections, self._one_projection, dossier_id)

    def score_as_stored(self, value: Decimal | None) -> str | None:
        """The ``score_text`` a projection holds when the write path stored ``value`` there."""
        return None if value is None else score_text(value, self.engine.dialect.name)

    def deadline_rows(
        self, dossier_id: UUID | None = None
    ) -> Iterator[tuple[UUID, dict[Any, dict[str, Any]]]]:
        """Each dossier's deadline rows (whatever their status) by natural key, in dossier
        order: what was planned (kind, round, due time, detail) and how it was settled
        (status, applied_at)."""
        rows = self._scoped(self._all_deadlines, self._one_deadlines, dossier_id)
        for found, group in groupby(rows, key=by_dossier):
            yield found, {row["key"]: row for row in group}

    def last_recorded_at(self) -> datetime | None:
        """When the store recorded its latest event, or None for an empty store. A value that
        cannot be read as a time is passed over (on SQLite any text sorts after every time):
        the walk reports it where it is, and it must not hide the others."""
        with closing(self._stream(self._last_recorded, {})) as rows:
            found = next(rows)["recorded_at"]
        while isinstance(found, Unreadable) and isinstance(found.stored, str):
            with closing(self._stream(self._last_recorded_below, {"below": found.stored})) as rows:
                found = next(rows)["recorded_at"]
        return found if isinstance(found, datetime) else None

    def simulated_until(self) -> datetime | None:
        """Where a simulated clock left the store (``StoreSettings``), or None; a recorded value
        that is not an instant with its offset counts as none."""
        try:
            found = StoreSettings(self.engine).simulated_until()
        except ValueError:
            return None
        return found if found is None or found.tzinfo is not None else None

    def notice_rows(
        self, dossier_id: UUID | None = None
    ) -> Iterator[tuple[UUID, dict[Any, dict[str, Any]]]]:
        """Each dossier's outbox rows by notification id, in dossier order."""
        rows = self._scoped(self._all_notices, self._one_notices, dossier_id)
        for found, group in groupby(rows, key=by_dossier):
            yield found, {row["notification_id"]: row for row in group}

    def checkpoint_seen(
        self, checkpoint_id: int, dossier_id: UUID | None = None
    ) -> Iterator[SeenHead]:
        """Each head a checkpoint saw, next to the hash stored at that place now (None when the
        event is gone), in dossier order; all of them or one dossier's."""
        params: dict[str, Any] = {"checkpoint": checkpoint_id}
        if dossier_id is None:
            prepared = self._seen_all
        else:
            prepared, params["id"] = self._seen_one, dossier_id
        for row in self._stream(prepared, params):
            yield row["dossier_id"], row["seq"], row["hash"], row["found"]

    def _stream(self, prepared: Prepared, params: Mapping[str, Any]) -> Rows:
        held = getattr(self._local, "held", None)
        rows = self._read(prepared, params, held)
        if held is not None:
            self._local.streams.append(rows)
        return rows

    def _read(self, prepared: Prepared, params: Mapping[str, Any], held: Any) -> Rows:
        with self._translated():
            raw: Any = held if held is not None else self.engine.raw_connection()
            try:
                if self._pg:
                    # A server-side cursor: PostgreSQL sends rows as they are fetched. Streams
                    # of one snapshot share its connection: each cursor has a name of its own.
                    name = f"ocop_audit_stream_{next(self._cursor_names)}"
                    cursor = raw.driver_connection.cursor(name=name)
                else:
                    cursor = raw.cursor()
                # SQLite keeps ids as text: another spelling (upper case, dashes) reads as the
                # same UUID, yet no statement of the engine's finds that row by its id any more.
                ids = [] if self._pg else _id_columns(prepared)
                good = None  # the last id found well spelled
                try:
                    cursor.execute(prepared.sql, prepared.params(dict(params)))
                    while batch := cursor.fetchmany(FETCH):
                        for values in batch:
                            try:
                                row = prepared.row(values, cursor)
                            except Exception:
                                row = _readable(prepared, values, cursor)
                            for i, name in ids:
                                stored = values[i]
                                if stored == good or type(stored) is not str:
                                    continue  # most rows repeat the id just checked
                                if _HEX32.fullmatch(stored):
                                    good = stored
                                else:
                                    row = _Marked(row)
                                    row[name] = Unreadable(stored, "not an id as stored ids are")
                            yield row
                finally:
                    cursor.close()
            finally:
                if held is None:
                    raw.rollback()
                    raw.close()

    # -- checkpoints --------------------------------------------------------------------------

    def write_checkpoint(
        self, created_at: datetime, keyed: bool, root: Callable[[Sequence[ChainHead]], str]
    ) -> dict[str, Any]:
        """Record every chain's head as of the newest event, with ``root(heads)``; returns the
        stored checkpoint row. Everything is read from one snapshot and written in one
        transaction.

        ``StorageError`` naming the chain, and nothing written, when a head cannot be read as
        the engine writes one (an id that is not one, a seq that is not an integer: an edit
        behind the engine's back). A checkpoint vouches for the chains it records; one over a
        head that is not there as written could never verify, and recording only the readable
        heads would vouch for a store with a chain left out."""
        with self._translated(), self.engine.connect() as conn:
            if self._pg:
                # Several statements must see the same store: one snapshot for all of them.
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                max_id = conn.execute(select(func.max(E.id))).scalar() or 0
                last = (
                    select(E.dossier_id, func.max(E.seq).label("seq"))
                    .where(E.id <= max_id)
                    .group_by(E.dossier_id)
                    .subquery()
                )
                # The ids as stored (SQLite keeps text): one altered id must be named, not
                # fail the read.
                stored_id = E.dossier_id if self._pg else type_coerce(E.dossier_id, String)
                found = conn.execute(
                    select(stored_id, E.seq, E.hash)
                    .join(last, and_(E.dossier_id == last.c.dossier_id, E.seq == last.c.seq))
                    .order_by(E.dossier_id)
                ).all()
                heads = [_chain_head(*r) for r in found]
                count = conn.execute(select(func.count()).where(E.id <= max_id)).scalar() or 0
                row: dict[str, Any] = {
                    "created_at": created_at,
                    "max_event_id": max_id,
                    "dossier_count": len(heads),
                    "event_count": count,
                    "keyed": keyed,
                    "root": root(heads),
                }
                new_id = conn.execute(
                    insert(checkpoints).returning(checkpoints.c.id), row
                ).scalar_one()
                if heads:
                    conn.execute(
                        insert(checkpoint_heads),
                        [
                            {"checkpoint_id": new_id, "dossier_id": d, "seq": s, "hash": h}
                            for d, s, h in heads
                        ],
                    )
        return {"id": new_id, **row}

    def key_check(self) -> str | None:
        """The fingerprint of the key the store records its chains are made with, if any."""
        return StoreSettings(self.engine).key_check()

    def checkpoints(self) -> list[dict[str, Any]]:
        """Every stored checkpoint row, oldest first."""
        return list(self._stream(self._checkpoint_rows, {}))

    # -- errors -------------------------------------------------------------------------------

    def _translated(self) -> AbstractContextManager[None]:
        return translated(self.engine)


def _chain_head(dossier_id: Any, seq: Any, head_hash: Any) -> ChainHead:
    """A chain head read for a checkpoint, as the engine writes one, or ``StorageError``."""
    if isinstance(dossier_id, str) and _HEX32.fullmatch(dossier_id):
        dossier_id = UUID(dossier_id)
    if isinstance(dossier_id, UUID) and type(seq) is int and type(head_hash) is str:
        return dossier_id, seq, head_hash
    raise StorageError(
        f"no checkpoint made: the last event of chain {dossier_id!s} (seq {seq!r}, hash "
        f"{head_hash!r}) cannot be read as the engine writes it; `ocop-cycle audit verify` "
        "lists what is broken",
        dossier_id=str(dossier_id),
        seq=seq,
    )


def _readable(prepared: Prepared, values: Sequence[Any], cursor: Any) -> dict[str, Any]:
    """A fetched row one of whose values cannot be read as its column's type (a payload that is
    not JSON, a date that is not one): each such value comes as ``Unreadable``, for the audit
    to report where it is, never to stop on."""
    row: dict[str, Any] = _Marked()
    for i, name in enumerate(prepared.result_names):
        alone = [v if j == i else None for j, v in enumerate(values)]
        try:
            row[name] = prepared.row(alone, cursor)[name]
        except Exception as exc:
            row[name] = Unreadable(values[i], f"{type(exc).__name__}: {exc}")
    return row


class _Marked(dict[str, Any]):
    """A row holding at least one ``Unreadable`` value (told apart from the others by its type,
    so that checking a readable row costs nothing)."""


def has_unreadable(row: Mapping[str, Any]) -> bool:
    """Whether a streamed row holds a value that could not be read (``Unreadable``)."""
    return type(row) is _Marked


def unreadable_values(row: Mapping[str, Any]) -> list[str]:
    """Each value of ``row`` that could not be read: column, what is stored, why."""
    if not has_unreadable(row):
        return []
    return [f"{k} {v} ({v.reason})" for k, v in row.items() if isinstance(v, Unreadable)]


def _id_columns(prepared: Prepared) -> list[tuple[int, str]]:
    """(position, name) of a statement's id columns (UUIDs, 32 hex digits on SQLite)."""
    return [
        (i, str(column.key))
        for i, column in enumerate(prepared.result_columns)
        if isinstance(column.type, Uuid)
    ]
