"""Alembic environment: always run on the connection ocop-cycle hands over."""

from __future__ import annotations

from alembic import context

from ocop_cycle._storage.database import VERSION_TABLE, include_name
from ocop_cycle._storage.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reachable from a hand-written alembic call
    raise RuntimeError("run migrations through `ocop-cycle db upgrade`")

context.configure(
    connection=connection,
    target_metadata=metadata,
    version_table=VERSION_TABLE,
    render_as_batch=connection.dialect.name == "sqlite",
    # Only our tables; APScheduler creates and owns its ocop_scheduler_jobs_* tables itself.
    include_name=include_name,
)
with context.begin_transaction():
    context.run_migrations()
