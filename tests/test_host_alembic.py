"""A host's own Alembic autogenerate, with ocop-cycle's filter, proposes nothing for our tables."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Column, Integer, MetaData, String, Table

import ocop_cycle
from ocop_cycle import Engine

ENV = """
from alembic import context
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine

import ocop_cycle

# The host's own models: one table already in its database, one it has just added.
metadata = MetaData()
Table("orders", metadata, Column("id", Integer, primary_key=True), Column("note", String(50)))
Table("invoices", metadata, Column("id", Integer, primary_key=True))

hook = context.config.get_main_option("ocop_hook")
hooks = {
    "name": {"include_name": ocop_cycle.alembic_include_name},
    "object": {"include_object": ocop_cycle.alembic_include_object},
    "none": {},
}[hook]
engine = create_engine(context.config.get_main_option("sqlalchemy.url"))
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=metadata, **hooks)
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
"""


def _host_database(url: str) -> None:
    """ocop-cycle's tables (a scheduler's job table too) next to the host's `orders`."""
    with Engine.open(url) as engine:
        engine.upgrade()
        host = MetaData()
        Table("orders", host, Column("id", Integer, primary_key=True), Column("note", String(50)))
        Table("ocop_scheduler_jobs_default", host, Column("id", String(191), primary_key=True))
        host.create_all(engine.sa_engine)


def _autogenerate(tmp_path: Path, url: str, hook: str) -> str:
    project = tmp_path / f"host-{hook}"
    project.mkdir()
    config = Config(str(project / "alembic.ini"), stdout=io.StringIO())
    command.init(config, str(project / "migrations"))
    config.set_main_option("script_location", str(project / "migrations"))
    (project / "migrations" / "env.py").write_text(ENV, encoding="utf-8")
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.set_main_option("ocop_hook", hook)
    script = command.revision(config, message="host change", autogenerate=True)
    assert script is not None
    assert not isinstance(script, list)
    return Path(script.path).read_text(encoding="utf-8")


@pytest.mark.parametrize("hook", ["name", "object"])
def test_host_autogenerate_leaves_ocop_tables_alone(
    empty_url: str, tmp_path: Path, hook: str
) -> None:
    """With alembic_include_name (or _object) the host's revision only creates its new table."""
    _host_database(empty_url)
    revision = _autogenerate(tmp_path, empty_url, hook)
    upgrade, downgrade = revision.split("def downgrade")
    assert "ocop_" not in revision
    assert "op.create_table('invoices'" in upgrade
    assert "drop_" not in upgrade
    assert "alter_" not in upgrade
    assert "op.drop_table('invoices')" in downgrade


def test_host_autogenerate_without_filter_drops_ocop_tables(empty_url: str, tmp_path: Path) -> None:
    """Without the filter the same host project is offered a drop of every ocop_ table."""
    _host_database(empty_url)
    revision = _autogenerate(tmp_path, empty_url, "none")
    assert "op.drop_table('ocop_events')" in revision
    assert "op.drop_table('ocop_alembic_version')" in revision
    assert "op.drop_table('ocop_scheduler_jobs_default')" in revision


def test_filters_are_exported() -> None:
    """The filters come from the front door and judge by the ocop_ prefix."""
    assert not ocop_cycle.alembic_include_name("ocop_events", "table", {})
    assert not ocop_cycle.alembic_include_name("ix_x", "index", {"table_name": "ocop_outbox"})
    assert ocop_cycle.alembic_include_name("orders", "table", {})
    assert ocop_cycle.alembic_include_name("public", "schema", {})
