"""The write path's statements, compiled once by SQLAlchemy and run on the DBAPI cursor.

Why: measured on this project's machines, SQLAlchemy's per-execution machinery (execution
context, result objects, events) cost 50-150 µs per statement, several times the statement
itself; a transition runs five. The SQL text, parameter order and every type conversion still
come from SQLAlchemy (its compiler and each type's public ``bind_processor`` /
``result_processor``), so the dialects and column types stay in one place, the schema module.
Only the hot write path uses this; everything else uses SQLAlchemy Core normally.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext, suppress
from datetime import datetime
from functools import cache
from operator import itemgetter
from typing import Any, Protocol, cast

from sqlalchemy import Engine
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement, ColumnElement
from sqlalchemy.sql.compiler import SQLCompiler

from ocop_cycle._storage.types import fused_bind_processor
from ocop_cycle.errors import UnsuitableConnection

__all__ = ["Prepared", "Slot", "Tx", "read_committed", "restore_level", "rollback_or_drop"]

Processor = Callable[[Any], Any] | None
_NO_VALUE = object()


class Prepared:
    """One statement compiled for one dialect: SQL text, parameter order, converters."""

    def __init__(
        self,
        statement: ClauseElement,
        dialect: Dialect,
        column_keys: Sequence[str] | None = None,
        result_columns: Sequence[ColumnElement[Any]] = (),
    ) -> None:
        compiled = cast(
            SQLCompiler,
            statement.compile(
                dialect=dialect, column_keys=list(column_keys) if column_keys else None
            ),
        )
        self.sql = str(compiled)
        if "POSTCOMPILE" in self.sql:  # expanding IN lists need per-call rendering: not here
            raise ValueError(f"statement cannot be prepared once: {self.sql}")
        self.positional = bool(compiled.positional)
        names = list(compiled.positiontup or ()) if self.positional else list(compiled.binds)
        self.names = names
        # Literal values in the statement (``status == "pending"``) are binds with a value.
        self._binds: list[tuple[str, Processor, Any]] = []
        for name in names:
            bind = compiled.binds[name]
            proc = _bind_processor(bind.type, dialect)
            fixed = _NO_VALUE if bind.required or bind.value is None else bind.value
            self._binds.append((name, proc, fixed))
        # Most statements take every value from the caller: one C call fetches them all, and
        # only the columns with a converter are touched again.
        self._fetch = (
            itemgetter(*names)
            if names and all(fixed is _NO_VALUE for _, _, fixed in self._binds)
            else None
        )
        self._convert = [(i, proc) for i, (_, proc, _) in enumerate(self._binds) if proc]
        self._dialect = dialect
        #: The columns a query returns, in order, and their names.
        self.result_columns = list(result_columns)
        self.result_names = [str(c.key) for c in result_columns]
        # Result converters need the driver's type codes (PostgreSQL OIDs): built on first fetch.
        self._results: list[Processor] | None = None

    def params(self, values: dict[str, Any]) -> Any:
        """Driver parameters for ``values`` (keyed by bind name), converted as SQLAlchemy would."""
        out: list[Any]
        if self._fetch is None:
            out = [
                values[name] if fixed is _NO_VALUE else values.get(name, fixed)
                for name, _, fixed in self._binds
            ]
        elif len(self._binds) == 1:
            out = [self._fetch(values)]  # itemgetter of one name gives the value itself
        else:
            out = list(self._fetch(values))
        for i, proc in self._convert:
            out[i] = proc(out[i])
        return tuple(out) if self.positional else dict(zip(self.names, out, strict=True))

    def row(self, raw: Sequence[Any], cursor: Any) -> dict[str, Any]:
        """A fetched row as a dict of Python values."""
        if self._results is None:
            d = self._dialect
            # cursor.description is built anew on each access by some drivers: read it once.
            self._results = [
                c.type.dialect_impl(d).result_processor(d, desc[1])
                for c, desc in zip(self.result_columns, cursor.description, strict=True)
            ]
        return {
            name: proc(value) if proc is not None else value
            for name, proc, value in zip(self.result_names, self._results, raw, strict=True)
        }


def _bind_processor(type_: Any, dialect: Dialect) -> Processor:
    """SQLAlchemy's bind processor for ``type_``, or the write path's fused equivalent
    (``types.fused_bind_processor``) when it gives the same driver value on a probe value; on
    any disagreement SQLAlchemy's is used."""
    proc: Processor = type_.dialect_impl(dialect).bind_processor(dialect)
    fused = fused_bind_processor(type_, dialect)
    if fused is None or proc is None:
        return proc
    candidate, probe = fused
    try:
        agrees = _same(candidate(probe), proc(probe)) and candidate(None) is None
    except Exception:
        return proc
    return candidate if agrees else proc


def _same(ours: Any, theirs: Any) -> bool:
    """Equal, and for datetimes in the same offset too (aware datetimes compare by instant)."""
    if isinstance(ours, datetime) or isinstance(theirs, datetime):
        return type(ours) is type(theirs) and (ours, ours.utcoffset()) == (
            theirs,
            theirs.utcoffset(),
        )
    return bool(ours == theirs)


class Tx:
    """A DBAPI cursor in one write transaction (a savepoint, on a host's connection) or read."""

    def __init__(self, cursor: Any, *, pipeline: bool = False) -> None:
        self.cursor = cursor
        #: Whether ``batch`` may send its statements together (psycopg's pipeline mode: on
        #: PostgreSQL, in a transaction of ocop-cycle's own).
        self.can_pipeline = pipeline
        #: Statements whose row counts are checked when the open batch ends (None: no batch).
        self._checks: list[tuple[Any, int, Callable[[], Exception]]] | None = None
        #: Projections this transaction wrote, by dossier id (stored in the projection cache
        #: once the transaction has committed; see ``cache``).
        self.written: dict[Any, Any] = {}
        #: What to do once the transaction is durable (``Store.write`` hands them over; on a
        #: host's connection they wait for the host's commit): telling the logs, which may
        #: block, never while a lock is held; trusting a check the rollback would undo.
        self.after_commit: list[Callable[[], None]] = []

    def run(self, prepared: Prepared, values: dict[str, Any]) -> int:
        """Execute; returns the affected row count (-1 inside a pipelined batch: not yet known,
        and a failure is raised when the batch ends)."""
        self.cursor.execute(prepared.sql, prepared.params(values))
        return int(self.cursor.rowcount)

    def run_expecting(
        self,
        prepared: Prepared,
        values: dict[str, Any],
        rows: int,
        otherwise: Callable[[], Exception],
    ) -> None:
        """Execute a statement that must affect ``rows`` rows, else raise ``otherwise()``: at
        once, or inside a pipelined batch when the batch ends (before anything commits)."""
        if self._checks is None:
            if self.run(prepared, values) != rows:
                raise otherwise()
            return
        cursor = self.cursor.connection.cursor()  # its own: its row count is read at the end
        cursor.execute(prepared.sql, prepared.params(values))
        self._checks.append((cursor, rows, otherwise))

    def batch(
        self, integrity: type[Exception], on_integrity: Callable[[], Exception]
    ) -> AbstractContextManager[None]:
        """Run the writes inside as one batch. On PostgreSQL (a transaction of ocop-cycle's own)
        they are sent in psycopg's pipeline mode: queued, then sent with the transaction's BEGIN
        in one round trip, where each statement would otherwise wait for its own; the row-count
        checks of ``run_expecting`` and any error then come out when the batch ends, still before
        the COMMIT. A statement refused by a constraint (``integrity``) comes out as the failed
        row-count check before it, if any, else as ``on_integrity()``. Elsewhere statements run
        one by one as they come, and so do their checks."""
        if not self.can_pipeline or self._checks is not None:
            return nullcontext()  # nothing to send together: no generator to drive either
        return self._pipelined(integrity, on_integrity)

    @contextmanager
    def _pipelined(
        self, integrity: type[Exception], on_integrity: Callable[[], Exception]
    ) -> Iterator[None]:
        checks: list[tuple[Any, int, Callable[[], Exception]]] = []
        self._checks = checks
        failure: Exception | None = None
        try:
            try:
                # Leaving the block sends the pipeline's one Sync and fetches every result: one
                # round trip (a sync of our own before it would cost a second one). psycopg may
                # raise a statement's error at a later statement inside the block, or on leaving
                # it. An error that leaves the block drains the aborted rest first, so that
                # leaving is clean (psycopg would otherwise log a warning of its own).
                with self.cursor.connection.pipeline() as pipeline:
                    try:
                        yield
                    except integrity as exc:
                        failure = exc  # the rest is aborted: leaving reports it, ignored below
                    except BaseException:
                        _quiet_sync(pipeline)
                        raise
            except integrity as exc:  # from the results fetched on leaving
                failure = failure or exc
            except Exception as exc:
                # The aborted rest of a pipeline, after an integrity error (inside the block,
                # or one psycopg reports as the context of the abort).
                if failure is None and isinstance(exc.__context__, integrity):
                    failure = exc.__context__
                elif failure is None:
                    raise
            if failure is not None:
                for cursor, rows, otherwise in checks:
                    if cursor.pgresult is not None and cursor.rowcount != rows:
                        raise otherwise() from failure
                raise on_integrity() from failure
            for cursor, rows, otherwise in checks:
                if cursor.rowcount != rows:
                    raise otherwise()
        finally:
            self._checks = None
            for cursor, _, _ in checks:
                cursor.close()

    def run_many(self, prepared: Prepared, rows: Sequence[dict[str, Any]]) -> None:
        """Execute once per row."""
        self.cursor.executemany(prepared.sql, [prepared.params(r) for r in rows])

    def one(self, prepared: Prepared, values: dict[str, Any]) -> dict[str, Any] | None:
        """The first row of a query, or None."""
        self.cursor.execute(prepared.sql, prepared.params(values))
        raw = self.cursor.fetchone()
        return prepared.row(raw, self.cursor) if raw is not None else None

    def all(self, prepared: Prepared, values: dict[str, Any]) -> list[dict[str, Any]]:
        """Every row of a query."""
        self.cursor.execute(prepared.sql, prepared.params(values))
        rows = self.cursor.fetchall()
        return [prepared.row(raw, self.cursor) for raw in rows]


class Slot(Protocol):
    """Where a connection may wait, checked out, for the next transaction (``connections``)."""

    def take(self) -> Any | None: ...

    def give(self, connection: Any) -> bool: ...


@contextmanager
def transaction(engine: Engine, slot: Slot | None = None) -> Iterator[Tx]:
    """A write transaction: SQLite takes its write lock at BEGIN (IMMEDIATE) so two processes
    never both read a dossier and then race to write it; PostgreSQL begins implicitly, at READ
    COMMITTED (``read_committed``), and relies on the version check and the unique
    ``(dossier_id, seq)``. Commits on success, rolls back on any exception. The connection
    comes from ``slot`` when one waits there, else from the pool; after a commit it goes back
    to ``slot`` if that takes it, else (and always after a failure) to the pool."""
    connection = slot.take() if slot is not None else None
    if connection is None:
        connection = engine.raw_connection()
    committed = False
    saved = None
    try:
        if engine.dialect.name == "sqlite":
            cursor = connection.cursor()
            cursor.execute("BEGIN IMMEDIATE")
        else:
            saved = read_committed(connection.dbapi_connection)
            cursor = connection.cursor()
        try:
            yield Tx(cursor, pipeline=_pipelines(engine))
        except BaseException:
            rollback_or_drop(connection)
            raise
        try:
            connection.commit()
        except BaseException:
            rollback_or_drop(connection)
            raise
        committed = True
    finally:
        if saved is not None:
            restore_level(connection, saved)
        if not (committed and slot is not None and slot.give(connection)):
            connection.close()


#: How a PostgreSQL connection stood before ``read_committed``: autocommit, isolation level.
Saved = tuple[bool, Any]


def read_committed(dbapi_connection: Any) -> Saved | None:
    """Make a PostgreSQL driver connection begin its next transaction at READ COMMITTED, outside
    autocommit; returns how it stood when that changed anything (for ``restore_level``).

    Why: the write path's exactly-once rests on READ COMMITTED -- a version-checked UPDATE that
    waits for a racing commit and then sees it, ``ON CONFLICT`` waits, ``SKIP LOCKED`` claims,
    a key settled again on a fresh snapshot. A database or engine whose default is REPEATABLE
    READ or SERIALIZABLE turns those into serialization failures; one in autocommit commits
    each statement alone, so a command that fails half way leaves its first writes behind. The
    engines ocop-cycle opens are at READ COMMITTED already (nothing changes); a host's engine
    is set for the transaction and given back as it was. psycopg (3) sets both as attributes,
    sent with the BEGIN: no round trip. Another driver in autocommit is refused."""
    if type(dbapi_connection).__module__.partition(".")[0] != "psycopg":
        if getattr(dbapi_connection, "autocommit", False) is True:
            raise UnsuitableConnection(
                "the engine's connections are in autocommit mode: ocop-cycle's commands need "
                "a transaction each; hand over an engine without isolation_level='AUTOCOMMIT'"
            )
        return None
    level = dbapi_connection.isolation_level
    autocommit = dbapi_connection.autocommit
    wanted = sys.modules["psycopg"].IsolationLevel.READ_COMMITTED
    if level == wanted and autocommit is False:
        return None
    dbapi_connection.autocommit = False
    dbapi_connection.isolation_level = wanted
    return autocommit, level


def restore_level(connection: Any, saved: Saved) -> None:
    """Give a host's connection back as ``read_committed`` found it; one that cannot take it
    (broken, or left in a transaction by a failure) is invalidated, never pooled changed."""
    autocommit, level = saved
    raw = connection.dbapi_connection
    if raw is None:  # invalidated after a failure: never pooled again
        return
    try:
        raw.isolation_level = level
        raw.autocommit = autocommit
    except Exception:
        connection.invalidate()


def rollback_or_drop(connection: Any) -> None:
    """Roll back a pooled DBAPI connection; one that cannot (the server restarted, the backend
    was killed) is invalidated instead, so the pool neither reuses it nor logs a traceback while
    resetting it. The error that brought us here is the caller's to raise."""
    try:
        connection.rollback()
    except Exception:
        connection.invalidate()


def _quiet_sync(pipeline: Any) -> None:
    """Sync an aborted pipeline, whose error is already being raised."""
    with suppress(Exception):  # the error that aborted it is the one reported
        pipeline.sync()


def _pipelines(engine: Engine) -> bool:
    """Whether the engine's driver is psycopg 3 with a libpq that has pipeline mode."""
    dbapi: Any = engine.dialect.loaded_dbapi
    return engine.dialect.driver == "psycopg" and _pipeline_supported(dbapi)


@cache
def _pipeline_supported(dbapi: Any) -> bool:
    pipeline = getattr(dbapi, "Pipeline", None)
    return bool(pipeline is not None and pipeline.is_supported())
