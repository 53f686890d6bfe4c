"""The write path's statements, compiled once by SQLAlchemy and run on the DBAPI cursor.

Why: measured on this project's machines, SQLAlchemy's per-execution machinery (execution
context, result objects, events) cost 50-150 µs per statement, several times the statement
itself; a transition runs five. The SQL text, parameter order and every type conversion still
come from SQLAlchemy (its compiler and each type's public ``bind_processor`` /
``result_processor``), so the dialects and column types stay in one place, the schema module.
Only the hot write path uses this; everything else uses SQLAlchemy Core normally.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, cast

from sqlalchemy import Engine
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement, ColumnElement
from sqlalchemy.sql.compiler import SQLCompiler

__all__ = ["Prepared", "Tx"]

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
            proc = bind.type.dialect_impl(dialect).bind_processor(dialect)
            fixed = _NO_VALUE if bind.required or bind.value is None else bind.value
            self._binds.append((name, proc, fixed))
        self._dialect = dialect
        self._result_columns = list(result_columns)
        self.result_names = [str(c.key) for c in result_columns]
        # Result converters need the driver's type codes (PostgreSQL OIDs): built on first fetch.
        self._results: list[Processor] | None = None

    def params(self, values: dict[str, Any]) -> Any:
        """Driver parameters for ``values`` (keyed by bind name), converted as SQLAlchemy would."""
        out = []
        for name, proc, fixed in self._binds:
            value = values[name] if fixed is _NO_VALUE else values.get(name, fixed)
            out.append(proc(value) if proc is not None else value)
        return tuple(out) if self.positional else dict(zip(self.names, out, strict=True))

    def row(self, raw: Sequence[Any], cursor: Any) -> dict[str, Any]:
        """A fetched row as a dict of Python values."""
        if self._results is None:
            d = self._dialect
            # cursor.description is built anew on each access by some drivers: read it once.
            self._results = [
                c.type.dialect_impl(d).result_processor(d, desc[1])
                for c, desc in zip(self._result_columns, cursor.description, strict=True)
            ]
        return {
            name: proc(value) if proc is not None else value
            for name, proc, value in zip(self.result_names, self._results, raw, strict=True)
        }


class Tx:
    """A DBAPI cursor in one write transaction (a savepoint, on a host's connection) or read."""

    def __init__(self, cursor: Any) -> None:
        self.cursor = cursor
        #: Projections this transaction wrote, by dossier id (stored in the projection cache
        #: once the transaction has committed; see ``cache``).
        self.written: dict[Any, Any] = {}

    def run(self, prepared: Prepared, values: dict[str, Any]) -> int:
        """Execute; returns the affected row count."""
        self.cursor.execute(prepared.sql, prepared.params(values))
        return int(self.cursor.rowcount)

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


@contextmanager
def transaction(engine: Engine) -> Iterator[Tx]:
    """A write transaction: SQLite takes its write lock at BEGIN (IMMEDIATE) so two processes
    never both read a dossier and then race to write it; PostgreSQL begins implicitly and relies
    on the version check and the unique ``(dossier_id, seq)``. Commits on success, rolls back on
    any exception, and always returns the connection to the pool."""
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        if engine.dialect.name == "sqlite":
            cursor.execute("BEGIN IMMEDIATE")
        try:
            yield Tx(cursor)
        except BaseException:
            connection.rollback()
            raise
        connection.commit()
    finally:
        connection.close()
