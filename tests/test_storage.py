"""The schema, the migration, and how the engine treats databases it did or did not open."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from uuid import UUID, uuid4

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine as SaEngine
from sqlalchemy import create_engine, delete, insert, inspect, select, text

from ocop_cycle import Engine, Role, SchemaNotReady, SettableClock, StorageError
from ocop_cycle._storage.database import (
    HEAD,
    VERSION_TABLE,
    create_database_engine,
    current_revision,
    include_name,
    upgrade,
)
from ocop_cycle._storage.schema import OPEN_SUCCESSOR, SUCCESSOR_CLOSED_STATES, dossiers, metadata
from ocop_cycle._storage.store import Store
from ocop_cycle.cli import main
from ocop_cycle.workflows.states import TERMINAL_STATES
from tests.conftest import BACKENDS, drop_ocop_tables, reset_postgres
from tests.helpers_jobs import import_certificates
from tests.scenario import LANG_GIANG, Walk


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


# -- one open re-evaluation per certificate: the partial unique index -------------------------


def test_open_successor_states_are_the_terminal_states() -> None:
    """The states the partial unique index leaves out are exactly the workflow's terminal ones."""
    assert len(set(SUCCESSOR_CLOSED_STATES)) == len(SUCCESSOR_CLOSED_STATES)
    assert set(SUCCESSOR_CLOSED_STATES) == {s.value for s in TERMINAL_STATES}
    listed = re.findall(r"'([a-z_]+)'", str(OPEN_SUCCESSOR))
    assert listed == list(SUCCESSOR_CLOSED_STATES)


def test_migrated_open_successor_index_leaves_out_the_terminal_states(db_url: str) -> None:
    """The index a migrated database really has (as the database reports it) leaves out the
    terminal states and no other: the migrations kept up with ``TERMINAL_STATES``."""
    engine = create_database_engine(db_url)
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                sql = "SELECT sql FROM sqlite_master WHERE name = :name"
            else:
                sql = "SELECT indexdef FROM pg_indexes WHERE indexname = :name"
            definition = conn.execute(
                text(sql), {"name": "uq_ocop_dossiers_open_successor"}
            ).scalar_one()
    finally:
        engine.dispose()
    where = definition.split("WHERE", 1)[1]
    assert set(re.findall(r"'([a-z_]+)'", where)) == {s.value for s in TERMINAL_STATES}
    assert "predecessor_id" in where


@pytest.fixture(params=BACKENDS)
def url_at_0003(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database migrated to revision 0003 only (PostgreSQL: put back at head afterwards)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'at-0003.db'}"
    else:
        url = request.getfixturevalue("postgres_ready")
        drop_ocop_tables(url)
    engine = create_database_engine(url)
    try:
        upgrade(engine, "0003")
    finally:
        engine.dispose()
    yield url
    if request.param == "postgresql":
        reset_postgres(url)


def _duplicates_at_0003(
    url_at_0003: str, tmp_path: Path, clock: SettableClock, monkeypatch: pytest.MonkeyPatch
) -> tuple[UUID, UUID, UUID]:
    """Two open re-evaluations of one certificate, as the old racy code could leave them: written
    by today's engine on a scratch store without the index, then copied into the 0003 database
    (only the columns 0003 has), so the test does not depend on what later revisions add."""
    scratch = f"sqlite:///{tmp_path / 'scratch.db'}"
    with Engine.open(scratch, clock=clock) as engine:
        engine.upgrade()
        with engine.sa_engine.begin() as conn:
            conn.execute(text("DROP INDEX uq_ocop_dossiers_open_successor"))
        (old,) = import_certificates(engine, 1, date(2022, 6, 1), "dup")
        assert isinstance(old, UUID)
        officer = LANG_GIANG.actor(Role.COMMUNE_OFFICER)
        first = engine.register_reevaluation(old, actor=officer, kind="re_evaluation")
        clock.advance(timedelta(minutes=1))  # listed in the order they were registered
        with monkeypatch.context() as patched:
            patched.setattr(Store, "open_successor", lambda self, tx, dossier_id: None)
            second = engine.register_reevaluation(old, actor=officer, kind="re_evaluation")
        source = engine.sa_engine
        target = create_database_engine(url_at_0003)
        try:
            with source.connect() as read, target.begin() as write:
                for table in metadata.sorted_tables:
                    if not inspect(target).has_table(table.name):
                        continue
                    kept = {c["name"] for c in inspect(target).get_columns(table.name)}
                    rows = [
                        {k: v for k, v in row.items() if k in kept}
                        for row in read.execute(table.select()).mappings()
                    ]
                    if rows:
                        write.execute(table.insert(), rows)
        finally:
            target.dispose()
    return old, first.id, second.id


def test_upgrade_refuses_duplicate_open_successors_and_changes_nothing(
    url_at_0003: str, tmp_path: Path, clock: SettableClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two open re-evaluations of one certificate, written by the old racy code: the upgrade to
    0004 refuses with a message naming the certificate and both re-evaluations and what to do,
    and leaves the schema at 0003. Once all but one are withdrawn, the upgrade goes through."""
    old, first_id, second_id = _duplicates_at_0003(url_at_0003, tmp_path, clock, monkeypatch)
    with Engine.open(url_at_0003, clock=clock) as engine:
        with pytest.raises(StorageError) as caught:
            engine.upgrade()
        message = str(caught.value)
        assert f"certificate {old}: open re-evaluations {first_id}, {second_id}" in message
        assert "Nothing was changed" in message
        assert "Withdraw all but one" in message
        assert caught.value.context["predecessor_ids"] == [str(old)]
        assert current_revision(engine.sa_engine) == "0003"
        columns = {c["name"] for c in inspect(engine.sa_engine).get_columns("ocop_idempotency")}
        assert "base_version" not in columns
        indexes = {i["name"] for i in inspect(engine.sa_engine).get_indexes("ocop_dossiers")}
        assert "uq_ocop_dossiers_open_successor" not in indexes

        # The way out the message names: the release at 0003 withdraws the extra one (as its
        # projection records it), then the upgrade goes through.
        with engine.sa_engine.begin() as conn:
            conn.execute(
                text("UPDATE ocop_dossiers SET state = 'withdrawn' WHERE id = :id"),
                {"id": second_id.hex if engine.sa_engine.dialect.name == "sqlite" else second_id},
            )
        engine.upgrade()
        assert current_revision(engine.sa_engine) == HEAD
        engine.check_schema()


def test_cli_upgrade_with_duplicate_open_successors_exits_1(
    url_at_0003: str,
    tmp_path: Path,
    clock: SettableClock,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`ocop-cycle db upgrade` says why, without a traceback, and exits 1."""
    old, _, _ = _duplicates_at_0003(url_at_0003, tmp_path, clock, monkeypatch)
    capsys.readouterr()
    assert main(["--db", url_at_0003, "db", "upgrade"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("ocop-cycle: cannot upgrade to schema 0004")
    assert str(old) in err
    assert "Traceback" not in err


def test_partial_indexes_name_the_workflows_states() -> None:
    """The indexes' state lists are the workflow's: open successors are the non-terminal
    ones, a product's new evaluation the ``IN_EVALUATION`` ones (schema and migration)."""
    from importlib import import_module

    from ocop_cycle._storage.schema import NEW_IN_EVALUATION, OPEN_SUCCESSOR
    from ocop_cycle.workflows.states import IN_EVALUATION, TERMINAL_STATES

    def quoted(clause: object) -> set[str]:
        return set(re.findall(r"'(\w+)'", str(clause)))

    migration = import_module("ocop_cycle._storage.migrations.versions.0006_product_in_evaluation")
    assert quoted(OPEN_SUCCESSOR) == {s.value for s in TERMINAL_STATES}
    in_evaluation = {s.value for s in IN_EVALUATION}
    assert quoted(NEW_IN_EVALUATION) == in_evaluation | {"new"}
    assert quoted(migration.NEW_IN_EVALUATION) == in_evaluation | {"new"}


def test_upgrade_stops_on_products_registered_twice(db_url: str, clock: SettableClock) -> None:
    """A database from before 0006 holding a product registered twice and in evaluation is not
    indexed silently: the upgrade stops and names the product."""
    with Engine.open(db_url, clock=clock) as engine:
        first = Walk(engine, clock).register()
    sa_engine = create_database_engine(db_url)
    try:
        downgrade_to(sa_engine, "0005")
        with sa_engine.begin() as conn:
            row = dict(conn.execute(select(dossiers)).mappings().one())
            conn.execute(insert(dossiers).values({**row, "id": uuid4()}))
        with pytest.raises(StorageError, match=str(first.product_id)):
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


@pytest.mark.parametrize(
    ("table", "edit"),
    [
        ("ocop_dossiers", "state = 'bogus'"),
        ("ocop_events", "actor_role = 'boss'"),
        ("ocop_events", "payload = '{\"bogus\": 1}'"),
    ],
)
def test_a_row_altered_behind_the_engine_is_a_storage_error_naming_it(
    engine: Engine, db_url: str, clock: SettableClock, table: str, edit: str
) -> None:
    """A projection or event row edited outside the engine (an unknown state or role, a payload
    that is not its type's): reading it or acting on it raises ``StorageError`` naming the
    dossier, never pydantic's or Python's errors, and the command writes nothing."""
    walk = Walk(engine, clock)
    d = walk.verified()
    with engine.sa_engine.begin() as conn:
        conn.execute(text(f"UPDATE {table} SET {edit}"))
    reads = [lambda: engine.history(d.id), lambda: engine.replay(d.id)]
    if table == "ocop_dossiers":
        reads = [lambda: engine.get(d.id), lambda: engine.dossiers()]
    for read in reads:
        with pytest.raises(StorageError, match=str(d.id)):
            read()
    if table == "ocop_dossiers":
        # Another process (no projection of its own in memory) acting on it reads the row.
        with (
            Engine.open(db_url, clock=clock) as other,
            pytest.raises(StorageError, match=str(d.id)),
        ):
            other.reject(d.id, actor=walk.actor(Role.COMMUNE_COMMITTEE), grounds="Thiếu hồ sơ")
