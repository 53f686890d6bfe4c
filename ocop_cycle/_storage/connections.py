"""Where ocop-cycle's statements run: an ``Engine``'s pooled connections, or a host's
``Connection`` (the host's unit of work).

On an ``Engine`` (opened by ocop-cycle or handed in by a host) a command is a transaction of
its own on a pooled connection and commits (``fastpath.transaction``); a read borrows a pooled
connection and gives it back.

On a host's ``Connection`` everything runs on that connection, inside the host's transaction.
A command is a SAVEPOINT: released when the command succeeds, rolled back to when it fails, so
a refused or failed command undoes only its own work and leaves the host's earlier writes and
the transaction usable (on PostgreSQL too, where a failed statement otherwise poisons the whole
transaction). When no transaction is open, the first call begins one, as ``Connection.execute``
would, and leaves it open. ocop-cycle never commits, never rolls back past its own savepoint and
never closes a host's connection: the host's commit makes the commands durable all at once, its
rollback takes back their events, projections, outbox rows, deadlines and idempotency keys
together. Reads run on the same connection and see the host's uncommitted work.

SQLite's driver (``sqlite3``, legacy transaction control) opens no transaction before a
SAVEPOINT, and an outermost SAVEPOINT commits when released; so unless the driver has a
transaction open already, a command first opens one with ``BEGIN IMMEDIATE`` (taking the write
lock at once, as on the engine path), which the host's commit or rollback then ends.

``SqliteSettings`` (WAL, foreign keys on, busy timeout, synchronous) hold on every SQLite
connection ocop-cycle works on. On an ``Engine``, pool listeners set them on each new connection
and, at its next checkout, on each connection pooled before ocop-cycle saw the engine. On a
host's ``Connection`` they are set before each use unless already in place. Inside a
transaction SQLite cannot change ``journal_mode``, ``synchronous`` or ``foreign_keys``: there
the busy timeout is still set, a journal mode other than WAL is left as it is (it belongs to the
database file and changes nothing ocop-cycle relies on; the next use outside a transaction sets
it), and foreign keys off or a ``synchronous`` weaker than configured refuse the work with
``UnsuitableConnection``, since integrity and durability are what those settings promise.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Callable, Iterator, MutableMapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from threading import Lock
from typing import Any, Literal, TypeVar, cast
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Engine, event
from sqlalchemy.engine import Dialect

from ocop_cycle._storage.failures import translated
from ocop_cycle._storage.fastpath import Tx, rollback_or_drop, transaction
from ocop_cycle.errors import FieldProblem, InvalidCommand, UnsuitableConnection

__all__ = ["Database", "SqliteSettings", "as_database", "begin_immediate", "configure_sqlite"]

T = TypeVar("T")

#: The key, in a pooled connection's ``info``, of the ``SqliteSettings`` it was given.
_APPLIED = "ocop_cycle.sqlite_settings"
_SYNCHRONOUS = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}


@dataclass(frozen=True, slots=True)
class SqliteSettings:
    """SQLite connection settings, for databases ocop-cycle opens and for the engines and
    connections hosts hand it."""

    #: FULL: every commit survives power loss. NORMAL in WAL mode may lose the last commits.
    synchronous: Literal["FULL", "NORMAL"] = "FULL"
    busy_timeout_ms: int = 30_000

    def __post_init__(self) -> None:
        # Refused when made, not applied as given: "OFF" would silently weaken durability.
        problems = []
        if self.synchronous not in ("FULL", "NORMAL"):
            problems.append(
                FieldProblem("synchronous", f"FULL or NORMAL, not {self.synchronous!r}")
            )
        timeout = self.busy_timeout_ms
        if type(timeout) is not int or not 0 <= timeout <= 3_600_000:
            problems.append(
                FieldProblem("busy_timeout_ms", f"milliseconds from 0 to 3600000, not {timeout!r}")
            )
        if problems:
            raise InvalidCommand("SqliteSettings", problems)


def apply_sqlite_settings(
    dbapi_connection: Any,
    info: MutableMapping[Any, Any],
    settings: SqliteSettings,
    *,
    strict: bool,
) -> None:
    """Give one DBAPI connection ``settings`` (``info`` remembers it, so the next call costs a
    lookup). Inside a transaction only the busy timeout can change; with ``strict`` the
    connection is then checked and refused (``UnsuitableConnection``) when foreign keys are off
    or ``synchronous`` is weaker than configured."""
    applied = info.get(_APPLIED)
    if applied is settings or applied == settings:
        return
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout={int(settings.busy_timeout_ms)}")
        if not dbapi_connection.in_transaction:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA synchronous={settings.synchronous}")
            cursor.execute("PRAGMA foreign_keys=ON")
            info[_APPLIED] = settings
        elif strict:
            _check_in_transaction(cursor, settings)
    finally:
        cursor.close()


def _check_in_transaction(cursor: Any, settings: SqliteSettings) -> None:
    foreign_keys = cursor.execute("PRAGMA foreign_keys").fetchone()[0]
    synchronous = cursor.execute("PRAGMA synchronous").fetchone()[0]
    wanted = next(k for k, v in _SYNCHRONOUS.items() if v == settings.synchronous)
    problems = []
    if foreign_keys != 1:
        problems.append("foreign_keys is OFF")
    if synchronous < wanted:
        problems.append(
            f"synchronous is {_SYNCHRONOUS.get(synchronous, synchronous)}, "
            f"weaker than the configured {settings.synchronous}"
        )
    if problems:
        raise UnsuitableConnection(
            "the host's SQLite connection is inside a transaction with "
            + " and ".join(problems)
            + "; SQLite cannot change these inside a transaction: hand the connection to "
            "ocop-cycle before its transaction begins, or set them when it connects",
            foreign_keys=int(foreign_keys),
            synchronous=int(synchronous),
        )


class _EngineHooks:
    """Pool listeners that keep an engine's SQLite connections at its settings."""

    def __init__(self, settings: SqliteSettings) -> None:
        self.settings = settings

    def connected(self, dbapi_connection: Any, record: Any) -> None:
        apply_sqlite_settings(dbapi_connection, record.info, self.settings, strict=False)

    def checked_out(self, dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        # Catches connections pooled before the hooks were added (a host's engine), and
        # connections whose settings changed since.
        apply_sqlite_settings(dbapi_connection, record.info, self.settings, strict=False)


_ENGINES: WeakKeyDictionary[Engine, _EngineHooks] = WeakKeyDictionary()
#: What was built once per SQLAlchemy engine (compiled statements), by builder.
_SHARED: WeakKeyDictionary[Engine, dict[Callable[[Dialect], Any], Any]] = WeakKeyDictionary()


def configure_sqlite(engine: Engine, settings: SqliteSettings | None = None) -> SqliteSettings:
    """Keep every connection of a SQLite ``engine`` at ``settings``: new ones as they connect,
    pooled ones at their next checkout. ``None`` keeps the settings the engine was given before
    (the defaults for an engine seen for the first time). Returns the settings in force."""
    hooks = _ENGINES.get(engine)
    if hooks is None:
        hooks = _ENGINES[engine] = _EngineHooks(settings or SqliteSettings())
        event.listen(engine, "connect", hooks.connected)
        event.listen(engine, "checkout", hooks.checked_out)
    elif settings is not None:
        hooks.settings = settings
    return hooks.settings


class HeldConnection:
    """One pooled connection kept checked out between an engine's write transactions.

    Why: checking a connection out of SQLAlchemy's pool and back in (events, reset, record
    keeping) costs more than a small transaction's own statements on SQLite. One slot, not one
    per thread: a transaction takes the connection waiting here, or the pool's when another
    thread has it, and gives it back only after a commit (after a failure it goes to the pool,
    which resets or discards it). SQLite settings are checked on each take, as the pool's
    checkout would. A child process forked with a connection waiting leaves it alone: it is
    the parent's (closing it there would close the parent's server session).
    """

    def __init__(self, engine: Engine, settings: Callable[[], SqliteSettings | None]) -> None:
        self._engine = weakref.ref(engine)
        self._settings = settings
        self._connection: Any = None
        self._pid = os.getpid()
        self._lock = Lock()
        self._released = False

    def take(self) -> Any | None:
        """The waiting connection, if any (no other transaction can take it meanwhile)."""
        with self._lock:
            connection, self._connection = self._connection, None
            if connection is not None and self._pid != os.getpid():
                _FORKED.append(connection)  # never used, closed or collected here
                return None
        if connection is not None:
            settings = self._settings()
            if settings is not None:
                apply_sqlite_settings(
                    connection.dbapi_connection, connection.info, settings, strict=False
                )
        return connection

    def give(self, connection: Any) -> bool:
        """Keep ``connection`` for the next transaction, unless one waits already."""
        with self._lock:
            if self._released or self._connection is not None or self._pid != os.getpid():
                return False  # after release (the engine closed), even from another thread
            engine = self._engine()
            if engine is None or getattr(connection, "_pool", None) is not engine.pool:
                return False  # the engine was disposed of while it was out: not ours to keep
            self._connection = connection
            return True

    def discard(self) -> None:
        """Close the waiting connection, if any: its engine was disposed of (by the host, or by
        a library given the engine: APScheduler's job store does so when it shuts down), so its
        pool can no longer take it back."""
        with self._lock:
            connection, self._connection = self._connection, None
        if connection is not None and self._pid == os.getpid():
            connection.invalidate()

    def release(self) -> None:
        """Return the waiting connection, if any, to the pool, and keep none from now on (a
        transaction still running in another thread gives its connection to the pool)."""
        with self._lock:
            connection, self._connection = self._connection, None
            self._released = True
        if connection is not None and self._pid == os.getpid():
            connection.close()


#: Connections inherited, checked out, by a forked child: kept referenced so that they are
#: never closed or garbage-collected in the child.
_FORKED: list[Any] = []


class Database:
    """The engine or host connection ocop-cycle's statements run on (see the module)."""

    def __init__(
        self, bind: Engine | Connection, sqlite: SqliteSettings | None = None, *, hold: bool = False
    ) -> None:
        """``hold``: keep a connection checked out between write transactions (``HeldConnection``)
        — only for an engine whose owner releases it (``close``) before disposing of the engine:
        one disposed first would leave the kept connection to be collected unclosed."""
        #: The host's connection everything runs on, or None on an engine's own connections.
        self.connection: Connection | None = bind if isinstance(bind, Connection) else None
        #: The SQLAlchemy engine underneath (for a host's connection, the one it came from).
        self.engine: Engine = bind.engine
        self.dialect: Dialect = bind.dialect
        self.sqlite: SqliteSettings | None = None
        if self.dialect.name == "sqlite":
            if self.connection is None:
                self.sqlite = configure_sqlite(self.engine, sqlite)
            else:
                known = _ENGINES.get(self.engine)
                self.sqlite = sqlite or (known.settings if known else SqliteSettings())
        #: What waits for the host's transaction to commit (see ``after_commit``).
        self._on_commit: list[Callable[[], None]] = []
        #: How much waited when each open savepoint of the host's began, innermost last.
        self._marks: list[int] = []
        if self.connection is not None:
            with self.guard():
                self._check(self.connection)
            event.listen(self.connection, "commit", self._committed)
            event.listen(self.connection, "rollback", self._rolled_back)
            # A host's savepoint rolled back undoes what was written inside it: what waited
            # for the commit since it began is dropped with it (never told as done).
            event.listen(self.connection, "savepoint", self._savepoint_begun)
            event.listen(self.connection, "release_savepoint", self._savepoint_released)
            event.listen(self.connection, "rollback_savepoint", self._savepoint_rolled_back)
        self._held: HeldConnection | None = None
        if hold and self.connection is None:
            held = self._held = HeldConnection(
                self.engine, _settings_of(self.engine) if self.sqlite else _none
            )
            event.listen(self.engine, "engine_disposed", lambda _engine: held.discard())
            # A Database dropped without close() still gives its waiting connection back
            # (nothing in ``_held`` refers back to it, so it goes as soon as it is unreferenced).
            weakref.finalize(self, self._held.release)

    def after_commit(self, calls: list[Callable[[], None]]) -> None:
        """Run ``calls`` once what was just written is committed: now, after a transaction of
        ocop-cycle's own; on a host's connection, when the host commits its transaction
        (dropped if the host rolls it back)."""
        if self.connection is None:
            for call in calls:
                call()
        else:
            self._on_commit.extend(calls)

    def _committed(self, _connection: Connection) -> None:
        calls, self._on_commit = self._on_commit, []
        self._marks = []
        for call in calls:
            call()

    def _rolled_back(self, _connection: Connection) -> None:
        self._on_commit = []
        self._marks = []

    # Savepoints nest (SQLAlchemy closes them innermost first), and their names are not known
    # when they begin: a stack of how much waited when each began.
    def _savepoint_begun(self, _connection: Connection, _name: str | None) -> None:
        self._marks.append(len(self._on_commit))

    def _savepoint_released(self, _connection: Connection, _name: str, _context: Any) -> None:
        if self._marks:
            self._marks.pop()

    def _savepoint_rolled_back(self, _connection: Connection, _name: str, _context: Any) -> None:
        if self._marks:  # else a savepoint begun before this engine joined the connection
            del self._on_commit[self._marks.pop() :]

    def close(self) -> None:
        """Give the connection kept between write transactions back to the pool."""
        if self._held is not None:
            self._held.release()

    def guard(self) -> AbstractContextManager[None]:
        """Driver and SQLAlchemy errors out as ocop-cycle's (connecting included)."""
        return translated(self.engine)

    def shared(self, build: Callable[[Dialect], T]) -> T:
        """``build(dialect)``, built once per SQLAlchemy engine and shared by everything on it
        (compiled statements): an ``Engine`` made per host connection compiles nothing. What
        ``build`` returns must not hold the engine, or the engine is never let go."""
        built = _SHARED.setdefault(self.engine, {})
        found = built.get(build)
        if found is None:
            found = built[build] = build(self.dialect)
        return cast(T, found)

    # -- the fast path: DBAPI cursors -----------------------------------------------------------

    def write(self) -> AbstractContextManager[Tx]:
        """One command's writes: a transaction of its own on an engine, a savepoint in the
        host's transaction on a host's connection."""
        if self.connection is None:
            return transaction(self.engine, self._held)
        return self._joined_write(self.connection)

    @contextmanager
    def read(self) -> Iterator[Tx]:
        """A read (never takes SQLite's write lock); on a host's connection it sees the host's
        uncommitted work."""
        conn = self.connection
        if conn is None:
            raw = self.engine.raw_connection()
            try:
                yield Tx(raw.cursor())
            finally:
                rollback_or_drop(raw)
                raw.close()
            return
        self._join(conn, writing=False)
        cursor = conn.connection.cursor()
        try:
            yield Tx(cursor)
        finally:
            cursor.close()

    # -- SQLAlchemy Core ------------------------------------------------------------------------

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A connection to read with: a pooled one, or the host's (never closed here)."""
        conn = self.connection
        if conn is None:
            with self.engine.connect() as own:
                yield own
            return
        self._join(conn, writing=False)
        yield conn

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """A connection to write with: a pooled one in a transaction committed at the end, or the
        host's inside a savepoint released at the end."""
        conn = self.connection
        if conn is None:
            with self.engine.begin() as own:
                yield own
            return
        with self._savepoint(conn):
            yield conn

    # -- a host's connection --------------------------------------------------------------------

    @contextmanager
    def _joined_write(self, conn: Connection) -> Iterator[Tx]:
        with self._savepoint(conn):
            cursor = conn.connection.cursor()
            try:
                yield Tx(cursor)
            finally:
                cursor.close()

    @contextmanager
    def _savepoint(self, conn: Connection) -> Iterator[None]:
        self._join(conn, writing=True)
        with conn.begin_nested():
            yield

    def _join(self, conn: Connection, *, writing: bool) -> None:
        """Check the host's connection, begin its transaction if none is open (left open for
        the host), and on SQLite make sure the driver has really begun one before a write."""
        self._check(conn)
        if not conn.in_transaction():
            conn.begin()
        if writing and self.sqlite is not None:
            begin_immediate(conn)

    def _check(self, conn: Connection) -> None:
        fairy = conn.connection
        dbapi_connection = fairy.dbapi_connection
        if getattr(dbapi_connection, "autocommit", False) is True:
            raise UnsuitableConnection(
                "the host's connection is in autocommit mode: there is no transaction for "
                "ocop-cycle's commands to join; hand over a connection without "
                "isolation_level='AUTOCOMMIT', or an Engine"
            )
        if self.sqlite is not None:
            apply_sqlite_settings(dbapi_connection, fairy.info, self.sqlite, strict=True)


def _settings_of(engine: Engine) -> Callable[[], SqliteSettings | None]:
    """The SQLite settings in force for ``engine``, read when called (``configure_sqlite`` may
    change them later: its hooks object stays, and holds no reference to the engine)."""
    hooks = _ENGINES.get(engine)
    if hooks is None:
        return _none
    return lambda: hooks.settings


def _none() -> None:
    return None


def as_database(bind: Engine | Connection | Database) -> Database:
    """``bind`` as a ``Database`` (SQLite engines get ocop-cycle's settings)."""
    return bind if isinstance(bind, Database) else Database(bind)


def begin_immediate(conn: Connection) -> None:
    """Make sure an SQLite connection's driver has really begun its transaction, taking the
    write lock now (pysqlite begins lazily, at the first write, which lets two writers both
    read first and then deadlock); nothing when one is already open."""
    dbapi_connection = conn.connection.dbapi_connection
    if dbapi_connection is not None and not dbapi_connection.in_transaction:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("BEGIN IMMEDIATE")
        finally:
            cursor.close()
