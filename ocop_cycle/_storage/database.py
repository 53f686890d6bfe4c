"""Opening the database: URLs, SQLite durability settings, migrations.

SQLite is the embedded default: WAL, foreign keys on, a busy timeout, and ``synchronous=FULL``
unless told otherwise (a signed certification decision must survive a power cut). The settings
hold on hosts' engines and connections too (``connections``). How write transactions begin is
in ``fastpath.transaction`` and, on a host's connection, ``connections.Database``.
"""

from __future__ import annotations

import json
import os
import weakref
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from ocop_cycle._storage.connections import (
    Database,
    SqliteSettings,
    as_database,
    begin_immediate,
    configure_sqlite,
)
from ocop_cycle.errors import SchemaNotReady, StorageError

__all__ = [
    "DEFAULT_URL",
    "SqliteSettings",
    "create_database_engine",
    "parse_url",
    "safe_url",
    "sqlite_path",
    "storage_error",
    "upgrade",
]

DEFAULT_URL = "sqlite:///ocop.db"
_MIGRATIONS = "ocop_cycle._storage:migrations"
VERSION_TABLE = "ocop_alembic_version"
HEAD = "0010"

#: Where migrations and schema checks run: an engine, a host's connection, or either wrapped.
Bind = Engine | Connection | Database


#: The databases ocop-cycle runs on, by SQLAlchemy backend name.
_BACKENDS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def parse_url(url: str) -> URL:
    """``url`` parsed, or ``StorageError`` saying in one line why it is no database URL
    ocop-cycle can open (malformed, another database, a driver not installed)."""
    example = "sqlite:///ocop.db or postgresql://user@host/db"
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        raise StorageError(
            f"not a database URL: {url!r} (expected e.g. {example})", url=url
        ) from None
    if parsed.get_backend_name() not in _BACKENDS:
        raise StorageError(
            f"unsupported database {parsed.get_backend_name()!r} in {safe_url(url)}: "
            f"ocop-cycle runs on SQLite and PostgreSQL ({example})",
            url=safe_url(url),
        )
    return parsed


def normalise_url(url: str) -> str:
    """Give PostgreSQL URLs the psycopg 3 driver unless one is named."""
    parsed = parse_url(url)
    if parsed.drivername in {"postgresql", "postgres"}:
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


#: Engines ocop-cycle created, for a forked child to let go of their pooled connections: the
#: parent's sockets, which two processes cannot share (on PostgreSQL their results mix). A
#: host that hands over an engine of its own forks it its own way (SQLAlchemy's advice:
#: ``engine.dispose(close=False)`` in the child).
_CREATED: weakref.WeakSet[Engine] = weakref.WeakSet()


def _leave_parents_connections() -> None:
    for engine in list(_CREATED):
        engine.dispose(close=False)  # the parent's stay open, for the parent


if hasattr(os, "register_at_fork"):  # not on Windows, which does not fork
    os.register_at_fork(after_in_child=_leave_parents_connections)


#: How long a PostgreSQL statement of an engine ocop-cycle opens waits for a row lock another
#: transaction holds (SQLite's ``busy_timeout_ms`` default, for the same reason).
LOCK_TIMEOUT_MS = 30_000


def create_database_engine(url: str, sqlite: SqliteSettings | None = None, **kwargs: Any) -> Engine:
    """An Engine for ``url`` with ocop-cycle's settings; the caller owns (and disposes) it.

    Nothing connects yet. A URL ocop-cycle cannot open (malformed, another database, its driver
    not installed) is a ``StorageError``.
    """
    url = normalise_url(url)
    kwargs.setdefault("json_serializer", json_text)
    if url.startswith("postgresql"):
        # The write path's exactly-once rests on READ COMMITTED (``fastpath.read_committed``),
        # whatever the database's default; and a lock another transaction holds is waited for
        # as long as SQLite's busy timeout, not for ever: a command behind it, or a sweep
        # asked to stop, then ends with ``TransactionConflict``.
        kwargs.setdefault("isolation_level", "READ COMMITTED")
        connect_args = kwargs.setdefault("connect_args", {})
        given = connect_args.get("options") or parse_url(url).query.get("options") or ""
        if isinstance(given, str) and "lock_timeout" not in given:  # else the URL's own stands
            connect_args["options"] = f"{given} -c lock_timeout={LOCK_TIMEOUT_MS}".strip()
    try:
        engine = create_engine(url, **kwargs)
    except (NoSuchModuleError, ImportError) as exc:
        raise StorageError(
            f"cannot open {safe_url(url)}: its database driver is not installed ({exc}); "
            "for PostgreSQL: pip install 'ocop-cycle[postgres]'",
            url=safe_url(url),
        ) from None
    if engine.dialect.name == "sqlite":
        configure_sqlite(engine, sqlite or SqliteSettings())
    _CREATED.add(engine)
    return engine


def json_text(value: Any) -> str:
    """The JSON columns' text: orjson, ~15x faster than ``json.dumps`` on the write path, read
    back by ``json.loads`` to the same values (keys that are not text become text, as with
    ``json.dumps``). What orjson refuses (an integer beyond 64 bits, a lone surrogate) is
    written by ``json.dumps``; a NaN or infinity, which is not JSON (PostgreSQL refuses
    ``json.dumps``' ``NaN``), becomes null. Only for engines ocop-cycle creates; a host's engine
    keeps its own serializer."""
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode("utf-8")
    except TypeError:  # orjson.JSONEncodeError
        return json.dumps(value)


def include_name(name: str | None, type_: str, parent_names: Mapping[Any, str | None]) -> bool:
    """Alembic's filter: only ocop-cycle's own tables (and their indexes) are ours to migrate.

    A host's tables, and the ``ocop_scheduler_jobs_*`` tables APScheduler creates and owns, are
    left alone.
    """
    table = name if type_ == "table" else parent_names.get("table_name")
    if table is None:
        return True
    return table.startswith("ocop_") and not table.startswith("ocop_scheduler_jobs")


def _alembic_config(connection: Connection) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", _MIGRATIONS)
    config.attributes["connection"] = connection
    return config


#: The PostgreSQL advisory lock key that serialises schema upgrades ("ocop" in ASCII).
UPGRADE_LOCK = 0x6F636F70


def _serialise(connection: Connection) -> None:
    """Make concurrent upgrades wait for one another, inside the upgrade's transaction: one
    migrates, the others then find the schema current and do nothing.

    PostgreSQL: a transaction-level advisory lock (released at commit or rollback; on a host's
    connection, at the end of the host's transaction). SQLite: the database's write lock, taken
    by ``BEGIN IMMEDIATE`` before Alembic reads the version table (``sqlite3`` would otherwise
    run the DDL outside any transaction); a host's connection already holds it.
    """
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": UPGRADE_LOCK})
        return
    if connection.dialect.name == "sqlite":
        begin_immediate(connection)


def _revision_on(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    return context.get_current_revision()


def upgrade(bind: Bind, revision: str = "head") -> str | None:
    """Bring the schema up to ``revision`` (Alembic), in one transaction where the database can
    (on a host's connection: in a savepoint of the host's transaction, committed by the host).

    Safe to run at every start by several processes at once: upgrades are serialised (see
    ``_serialise``). Returns the revision found once the lock was held (None: no schema), so a
    caller can tell whether it migrated anything.
    """
    from alembic import command

    database = as_database(bind)
    with database.guard(), database.begin() as connection:
        _serialise(connection)
        before = _revision_on(connection)
        command.upgrade(_alembic_config(connection), revision)
    return before


def current_revision(bind: Bind) -> str | None:
    """The schema revision the database is at, or None when it has no ocop-cycle schema."""
    database = as_database(bind)
    with database.guard(), database.connect() as connection:
        return _revision_on(connection)


def check_schema(bind: Bind) -> None:
    """Raise ``SchemaNotReady`` unless the database is at the head revision."""
    database = as_database(bind)
    # Guarded: an unreachable database is a StorageError here, the first place most callers
    # touch it.
    with database.guard():
        revision = current_revision(database)
        if revision != HEAD:
            with database.connect() as connection:
                tables = inspect(connection).get_table_names()
            raise SchemaNotReady(
                f"database schema is at {revision or 'nothing'} (tables: {len(tables)}), "
                f"ocop-cycle needs {HEAD}: run `ocop-cycle db upgrade`",
                revision=revision,
            )


# -- helpers for code outside storage (URLs, error translation, the job store) ----------------

#: PostgreSQL SQLSTATEs that mean the schema is missing or behind: undefined_table, _column.
_SCHEMA_SQLSTATES = {"42P01", "42703"}


def safe_url(url: str) -> str:
    """``url`` as text fit to print: the password hidden."""
    return make_url(url).render_as_string(hide_password=True)


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL; None for another database or an in-memory one
    (``StorageError`` for no URL ocop-cycle can open)."""
    parsed = parse_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database or "")


def storage_error(exc: Exception) -> StorageError:
    """The ocop-cycle error for a driver error (the caller chains ``exc`` as its cause):
    ``SchemaNotReady`` when tables or columns are missing, else ``StorageError``."""
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).lower()
    missing = (
        getattr(orig, "sqlstate", None) in _SCHEMA_SQLSTATES
        or "no such table" in text
        or "no such column" in text
    )
    if missing:
        return SchemaNotReady(
            "ocop-cycle tables are missing or behind: run `ocop-cycle db upgrade`",
            detail=str(orig),
        )
    return StorageError(f"database error: {orig}", detail=str(orig))
