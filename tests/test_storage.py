"""The schema, the migration, and how the engine treats databases it did or did not open."""

from __future__ import annotations

import re
from pathlib import Path
from uuid import uuid4

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine as SaEngine
from sqlalchemy import create_engine, delete, insert, select, text

from ocop_cycle import Engine, SchemaNotReady, SettableClock, StorageError
from ocop_cycle._storage.database import (
    VERSION_TABLE,
    create_database_engine,
    include_name,
    upgrade,
)
from ocop_cycle._storage.schema import dossiers, metadata
from tests.scenario import Walk


def test_migration_matches_the_models(db_url: str) -> None:
    """After `db upgrade` the database has exactly the tables, columns and indexes the code uses."""
    engine = create_database_engine(db_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn,
                opts={
                    "version_table": VERSION_TABLE,
                    "include_name": include_name,
                },
            )
            diff = [
                d
                for d in compare_metadata(context, metadata)
                if not (d[0] == "remove_table" and d[1].name == VERSION_TABLE)
            ]
    finally:
        engine.dispose()
    assert diff == []


def test_sqlite_durability_settings(engine: Engine) -> None:
    """SQLite runs in WAL with synchronous=FULL (2) and foreign keys on, unless told otherwise."""
    if engine.sa_engine.dialect.name != "sqlite":
        pytest.skip("SQLite settings")
    with engine.sa_engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_empty_database_says_run_upgrade(tmp_path: Path, clock: SettableClock) -> None:
    """Commands on a database without the schema raise SchemaNotReady, a StorageError."""
    with Engine.open(f"sqlite:///{tmp_path / 'empty.db'}", clock=clock) as engine:
        with pytest.raises(SchemaNotReady, match="db upgrade"):
            engine.check_schema()
        with pytest.raises(SchemaNotReady) as caught:
            Walk(engine, clock).register()
        assert isinstance(caught.value, StorageError)
        engine.upgrade()
        engine.check_schema()
        assert Walk(engine, clock).register().version == 1


def test_host_engine_is_not_disposed(tmp_path: Path, clock: SettableClock) -> None:
    """An engine handed in by the host stays usable after the ocop engine closes."""
    host = create_engine(f"sqlite:///{tmp_path / 'host.db'}")
    with Engine(host, clock=clock) as engine:
        engine.upgrade()
        d = Walk(engine, clock).register()
    with host.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM ocop_dossiers")).scalar() == 1
    assert d.version == 1
    host.dispose()


def test_host_tables_are_left_alone(tmp_path: Path, clock: SettableClock) -> None:
    """Upgrading into a host's database touches only ocop_ tables."""
    host = create_engine(f"sqlite:///{tmp_path / 'host.db'}")
    with host.begin() as conn:
        conn.execute(text("CREATE TABLE orders (id INTEGER PRIMARY KEY)"))
        conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32))"))
        conn.execute(text("INSERT INTO alembic_version VALUES ('host-rev')"))
    Engine(host, clock=clock).upgrade()
    with host.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "host-rev"
        assert conn.execute(text("SELECT count(*) FROM orders")).scalar() == 0
    host.dispose()


def test_projection_row_survives_round_trip(engine: Engine, clock: SettableClock) -> None:
    """A command's result equals a later read, field for field (dates, decimals, zones)."""
    walk = Walk(engine, clock)
    d = walk.certified([61, 62, 64])
    assert engine.get(d.id) == d
    assert engine.get(d.id).updated_at.utcoffset() is not None
    assert str(engine.get(d.id).score) == "62.33"


def test_outbox_rows_come_with_their_event(engine: Engine, clock: SettableClock) -> None:
    """A certification writes a Vietnamese notice for the producer in the same transaction."""
    walk = Walk(engine, clock)
    d = walk.certified()
    with engine.sa_engine.connect() as conn:
        rows = conn.execute(
            text("SELECT kind, message_vi, seq FROM ocop_outbox WHERE kind = 'certified'")
        ).all()
    assert [(r.kind, r.seq) for r in rows] == [("certified", d.version)]
    assert "được công nhận 3 sao" in rows[0].message_vi


def test_partial_indexes_name_the_workflows_states() -> None:
    """The indexes' state lists are the workflow's: open successors are the non-terminal
    ones, a product's new evaluation the ``IN_EVALUATION`` ones (schema and migration)."""
    from importlib import import_module

    from ocop_cycle._storage.schema import NEW_IN_EVALUATION, OPEN_SUCCESSOR
    from ocop_cycle.workflows.states import IN_EVALUATION, TERMINAL_STATES

    def quoted(clause: object) -> set[str]:
        return set(re.findall(r"'(\w+)'", str(clause)))

    migration = import_module("ocop_cycle._storage.migrations.versions.0005_product_in_evaluation")
    assert quoted(OPEN_SUCCESSOR) == {s.value for s in TERMINAL_STATES}
    in_evaluation = {s.value for s in IN_EVALUATION}
    assert quoted(NEW_IN_EVALUATION) == in_evaluation | {"new"}
    assert quoted(migration.NEW_IN_EVALUATION) == in_evaluation | {"new"}


def test_upgrade_stops_on_products_registered_twice(db_url: str, clock: SettableClock) -> None:
    """A database from before 0005 holding a product registered twice and in evaluation is not
    indexed silently: the upgrade stops and names the product."""
    with Engine.open(db_url, clock=clock) as engine:
        first = Walk(engine, clock).register()
    sa_engine = create_database_engine(db_url)
    try:
        downgrade_to(sa_engine, "0004")
        with sa_engine.begin() as conn:
            row = dict(conn.execute(select(dossiers)).mappings().one())
            conn.execute(insert(dossiers).values({**row, "id": uuid4()}))
        with pytest.raises(RuntimeError, match=str(first.product_id)):
            upgrade(sa_engine)
    finally:  # leave the (shared PostgreSQL) database at head for the tests after this one
        with sa_engine.begin() as conn:
            conn.execute(delete(dossiers).where(dossiers.c.id != first.id))
        upgrade(sa_engine)
        sa_engine.dispose()


def downgrade_to(sa_engine: SaEngine, revision: str) -> None:
    from alembic import command

    from ocop_cycle._storage.database import _alembic_config

    with sa_engine.begin() as conn:
        command.downgrade(_alembic_config(conn), revision)
