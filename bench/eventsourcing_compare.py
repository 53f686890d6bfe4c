"""The `eventsourcing` library doing the same unit of work, for ``bench/transitions.py``.

Issue 9 asks the engine to run at least 1.5x the rate of the `eventsourcing` library (PyPI
``eventsourcing``, the bench-only extra: ``pip install -e '.[bench]'``) doing load + transition +
save of one aggregate, on the same database, in the same run. This module is that side:

- ``EsDossier``: an eventsourcing ``Aggregate`` modelling a dossier: registered with its producer,
  product and place; ``return_for_supplement`` (guarded: only from "registered"; a command event
  carrying the guidance, the due date and the actor, like ours) and ``resubmit`` (guarded: only
  from "returned"; a note and the actor).
- ``EsSide.block``: for each operation, ``repository.get`` (load: every stored event of the
  aggregate, replayed; no snapshots, no aggregate cache: the library's defaults), the command,
  ``app.save`` (one transaction: the INSERT of the new event, with its optimistic-concurrency
  check on (originator_id, originator_version); on PostgreSQL sent in psycopg's pipeline mode
  with ``LOCK TABLE ... IN EXCLUSIVE MODE`` and ``NOTIFY``, the library's way of keeping
  notification ids in commit order).

Persistence is the library's own: ``eventsourcing.sqlite`` on the very SQLite file the engine
uses (table ``stored_events``), ``eventsourcing.postgres`` (psycopg 3) on the same PostgreSQL
database (table ``ocopbench_events``, dropped before and after the run). Configured through its
environment keys (PERSISTENCE_MODULE, SQLITE_DBNAME, POSTGRES_DBNAME, ...), passed to the
application rather than set in ``os.environ``.

Durability: eventsourcing's SQLite module puts the file in WAL mode but has no setting for
``synchronous``; SQLite's default here is FULL. For the NORMAL run the benchmark sets
``PRAGMA synchronous`` on each connection the library opens (wrapping its pool's connect), and
checks the setting took, so both sides run with the same durability. On PostgreSQL both sides
use the server's settings (``synchronous_commit=on``: fsync per commit).
"""

from __future__ import annotations

import importlib.metadata
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import unquote, urlsplit

try:
    from eventsourcing.application import Application
    from eventsourcing.domain import Aggregate, event
except ImportError:  # the bench extra is not installed: transitions.py says so and skips
    Application = None  # type: ignore[assignment,misc]

__all__ = ["MISSING", "EsSide", "version"]

MISSING = (
    "eventsourcing comparison skipped: the `eventsourcing` package is not installed "
    "(`make bench-deps`, or `pip install -e '.[bench]'`)"
)


def version() -> str | None:
    """The installed eventsourcing version; None when it is not installed."""
    if Application is None:
        return None
    return importlib.metadata.version("eventsourcing")


if Application is not None:

    class EsDossier(Aggregate):
        """A dossier as an eventsourcing aggregate: state, version (the library's), due date."""

        @event("Registered")
        def __init__(
            self,
            producer: dict[str, str],
            product: dict[str, str],
            commune_code: str,
            district_code: str,
            province_code: str,
            profile_id: str,
        ) -> None:
            self.state = "registered"
            self.producer = producer
            self.product = product
            self.commune_code = commune_code
            self.district_code = district_code
            self.province_code = province_code
            self.profile_id = profile_id
            self.supplement_due_on: str | None = None

        def return_for_supplement(self, guidance: str, due_on: str, actor: dict[str, Any]) -> None:
            if self.state != "registered":
                raise ValueError(f"cannot return a dossier in state {self.state}")
            self._returned(guidance=guidance, due_on=due_on, actor=actor)

        def resubmit(self, note: str, actor: dict[str, Any]) -> None:
            if self.state != "returned":
                raise ValueError(f"cannot resubmit a dossier in state {self.state}")
            self._resubmitted(note=note, actor=actor)

        @event("Returned")
        def _returned(self, guidance: str, due_on: str, actor: dict[str, Any]) -> None:
            self.state = "returned"
            self.supplement_due_on = due_on

        @event("Resubmitted")
        def _resubmitted(self, note: str, actor: dict[str, Any]) -> None:
            self.state = "registered"
            self.supplement_due_on = None

    class Dossiers(Application):  # type: ignore[type-arg]
        """The application: its table is ``ocopbench_events`` on PostgreSQL."""

        name = "ocopbench"


@contextmanager
def _sqlite_synchronous(synchronous: str) -> Iterator[None]:
    """Every SQLite connection eventsourcing opens inside runs with ``synchronous``."""
    from eventsourcing.sqlite import SQLiteConnectionPool

    original = SQLiteConnectionPool._create_connection

    def create(pool: Any) -> Any:
        connection = original(pool)
        connection._sqlite_conn.execute(f"PRAGMA synchronous={synchronous}")
        return connection

    SQLiteConnectionPool._create_connection = create  # type: ignore[method-assign]
    try:
        yield
    finally:
        SQLiteConnectionPool._create_connection = original  # type: ignore[method-assign]


def _env(url: str) -> dict[str, str]:
    if url.startswith("postgresql"):
        parts = urlsplit(url.replace("postgresql+psycopg://", "postgresql://"))
        return {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": parts.path.lstrip("/"),
            "POSTGRES_HOST": parts.hostname or "127.0.0.1",
            "POSTGRES_PORT": str(parts.port or 5432),
            "POSTGRES_USER": unquote(parts.username or "postgres"),
            "POSTGRES_PASSWORD": unquote(parts.password or ""),
        }
    return {
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "SQLITE_DBNAME": url.removeprefix("sqlite:///"),
    }


class EsSide:
    """``count`` operations of load + transition + save, on ``dossiers`` aggregates."""

    def __init__(
        self,
        url: str,
        synchronous: str | None,
        dossiers: int,
        place: dict[str, str],
        actor: dict[str, Any],
    ) -> None:
        self.pg = url.startswith("postgresql")
        self.url = url
        self.synchronous = synchronous
        self.actor = actor
        if self.pg:
            self._drop_pg_table()
        with self._settings():
            self.app = Dossiers(env=_env(url))
            self.ids = []
            for i in range(dossiers):
                d = EsDossier(
                    producer={"name": f"Chủ thể es {i}", "kind": "cooperative"},
                    product={"name": f"Sản phẩm es {i}", "group": "food", "product_set": "eggs"},
                    profile_id="qd148-2023",
                    **place,
                )
                self.app.save(d)
                self.ids.append(d.id)
            if not self.pg and synchronous is not None:
                self._check_synchronous(synchronous)
        self.state = dict.fromkeys(self.ids, 0)

    @contextmanager
    def _settings(self) -> Iterator[None]:
        if self.pg or self.synchronous is None:
            yield
        else:
            with _sqlite_synchronous(self.synchronous):
                yield

    def _check_synchronous(self, synchronous: str) -> None:
        datastore = self.app.factory.datastore  # type: ignore[attr-defined]
        with datastore.transaction(commit=False) as cursor:
            cursor.execute("PRAGMA synchronous")
            value = cursor.fetchone()[0]
        if value != {"FULL": 2, "NORMAL": 1}[synchronous]:
            raise RuntimeError(f"eventsourcing's SQLite runs with synchronous={value}")

    def _drop_pg_table(self) -> None:
        import psycopg

        with psycopg.connect(
            self.url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True
        ) as conn:
            conn.execute("DROP TABLE IF EXISTS ocopbench_events")

    def block(self, count: int) -> float:
        """Run ``count`` operations; returns seconds."""
        app, ids, state, actor = self.app, self.ids, self.state, self.actor
        with self._settings():
            t0 = time.perf_counter()
            for i in range(count):
                dossier_id = ids[i % len(ids)]
                dossier = app.repository.get(dossier_id)
                if state[dossier_id] % 2 == 0:
                    dossier.return_for_supplement("Bổ sung hồ sơ", "2024-03-16", actor)
                else:
                    dossier.resubmit("", actor)
                app.save(dossier)
                state[dossier_id] += 1
            return time.perf_counter() - t0

    def events_per_aggregate(self) -> float:
        """How many stored events a load replays, on average, at the end of the run."""
        return 1 + sum(self.state.values()) / len(self.state)

    def close(self) -> None:
        self.app.close()
        if self.pg:
            self._drop_pg_table()
