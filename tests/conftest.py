"""Fixtures: storage tests run on SQLite, and on PostgreSQL when OCOP_TEST_DATABASE_URL is set."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import structlog
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from ocop_cycle import VN_TZ, Engine, SettableClock, SystemClock
from ocop_cycle._storage.database import create_database_engine, upgrade
from ocop_cycle._storage.schema import metadata


def _worker_database(url: str | None) -> str | None:
    """The PostgreSQL test URL for this process: under pytest-xdist (``make test`` runs a
    worker per core) each worker gets a database of its own beside the given one, created on
    first use, so that workers never empty each other's tables."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if url is None or not worker:
        return url
    base = make_url(url)
    name = f"{base.database}_{worker}"
    admin = create_database_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            found = conn.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            ).first()
            if found is None:
                conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    finally:
        admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


PG_URL = _worker_database(os.environ.get("OCOP_TEST_DATABASE_URL"))
BACKENDS = ["sqlite", "postgresql"]
START = datetime(2023, 3, 1, 9, 0, tzinfo=VN_TZ)


def drop_ocop_tables(url: str) -> None:
    """Drop every ocop table, the migrations' version table included."""
    engine = create_database_engine(url)
    try:
        with engine.begin() as conn:
            for table in reversed(metadata.sorted_tables):
                conn.execute(text(f"DROP TABLE IF EXISTS {table.name} CASCADE"))
            conn.execute(text("DROP TABLE IF EXISTS ocop_alembic_version"))
    finally:
        engine.dispose()


def reset_postgres(url: str) -> None:
    """Drop every ocop table and migrate from nothing."""
    drop_ocop_tables(url)
    engine = create_database_engine(url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()


_TRUNCATORS: dict[str, Any] = {}


def truncate_postgres(url: str) -> None:
    """Empty every ocop table (on one engine per URL, kept: most PostgreSQL tests start so)."""
    engine = _TRUNCATORS.get(url)
    if engine is None:
        engine = _TRUNCATORS[url] = create_database_engine(url, poolclass=NullPool)
    with engine.begin() as conn:
        names = ", ".join(t.name for t in metadata.sorted_tables)
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(autouse=True)
def _structlog_defaults() -> Iterator[None]:
    """Tests that run the CLI in-process configure structlog; put it back afterwards."""
    yield
    structlog.reset_defaults()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (migrating once is faster)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = create_database_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_ready() -> str:
    """The PostgreSQL test URL, migrated from nothing once per run."""
    if PG_URL is None:
        pytest.skip("OCOP_TEST_DATABASE_URL is not set: PostgreSQL half skipped")
    reset_postgres(PG_URL)  # an unreachable server fails here, loudly: never a silent skip
    return PG_URL


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """A fresh, migrated database on each backend."""
    if request.param == "sqlite":
        path = tmp_path / "ocop.db"
        shutil.copy(sqlite_template, path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("postgres_ready")
    truncate_postgres(url)
    return url


@pytest.fixture
def clock() -> SettableClock:
    """A clock standing at 1 March 2023, 09:00 in Vietnam."""
    return SettableClock(START)


@pytest.fixture
def engine(db_url: str, clock: SettableClock) -> Iterator[Engine]:
    """An engine on a fresh database with the settable clock."""
    eng = Engine.open(db_url, clock=clock)
    try:
        yield eng
    finally:
        eng.close()


@pytest.fixture(params=BACKENDS)
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database reachable but without the ocop-cycle schema, on each backend.

    On PostgreSQL: an empty schema of the test database, first on the search path, named for
    the test module (dropped after).
    """
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    schema = f"ocop_empty_{request.module.__name__.rsplit('.', 1)[-1]}"
    url: str = request.getfixturevalue("postgres_ready")
    admin = create_database_engine(url)
    try:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        parsed = make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
        yield parsed.render_as_string(hide_password=False)
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    finally:
        admin.dispose()


@pytest.fixture
def office_in_2024(monkeypatch: pytest.MonkeyPatch) -> None:
    """The office imports its 2024 plan in 2024: since 22/07/2026 nothing is registered under
    Decision 148 (Decision 26/2026, Art. 11), so the CLI's wall clock stands in March 2024."""
    monkeypatch.setattr(SystemClock, "now", lambda self: datetime(2024, 3, 2, 9, tzinfo=VN_TZ))
