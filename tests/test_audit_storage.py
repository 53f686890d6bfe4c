"""The audit reaches the database only through storage's ``AuditLog``: the import wall holds,
streams are lazy and ordered, and database errors come out as ocop-cycle's, cause chained."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from ocop_cycle import Dossier, Engine, SettableClock
from ocop_cycle._storage.auditlog import AuditLog
from ocop_cycle.audit.auditor import Auditor
from ocop_cycle.errors import SchemaNotReady, StorageError
from tests.scenario import Walk

AUDIT = Path(__file__).parent.parent / "ocop_cycle" / "audit"
FORBIDDEN = ("sqlalchemy", "ocop_cycle._storage.schema", "ocop_cycle._storage.fastpath")


def imported_modules(path: Path) -> Iterator[str]:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module


@pytest.mark.parametrize("path", sorted(AUDIT.glob("*.py")), ids=lambda p: p.name)
def test_audit_imports_no_sqlalchemy_and_no_tables(path: Path) -> None:
    """No module of ocop_cycle.audit imports SQLAlchemy, the tables or the compiled statements."""
    bad = [
        name
        for name in imported_modules(path)
        if any(name == f or name.startswith(f + ".") for f in FORBIDDEN)
    ]
    assert bad == []


def test_event_stream_is_lazy_and_ordered(engine: Engine, clock: SettableClock) -> None:
    """Events stream in (dossier, seq) order; closing a stream early releases it."""
    walk = Walk(engine, clock)
    made: list[Dossier] = [walk.verified(f"Sản phẩm {i}") for i in range(3)]
    log = AuditLog(engine.sa_engine)
    rows = log.event_rows()
    first = next(rows)
    rows.close()
    keys = [(r["dossier_id"], r["seq"]) for r in log.event_rows()]
    assert keys == sorted(keys)
    assert first == next(log.event_rows())
    assert len(keys) == sum(d.version for d in made)
    assert [p["id"] for p in log.projections()] == sorted(d.id for d in made)


def test_missing_tables_are_schema_not_ready(empty_url: str) -> None:
    """Verify, checkpoint and list checkpoints on a store with no tables raise SchemaNotReady
    with the driver's error as the cause."""
    with Engine.open(empty_url) as engine:
        auditor = Auditor(engine)
        for attempt in (auditor.verify, auditor.checkpoint, auditor.checkpoints):
            with pytest.raises(SchemaNotReady, match="db upgrade") as caught:
                attempt()
            assert caught.value.__cause__ is not None


def test_other_database_errors_are_storage_errors(empty_url: str) -> None:
    """A table of the wrong shape is a StorageError (not SchemaNotReady), cause chained."""
    with Engine.open(empty_url) as engine:
        with engine.sa_engine.begin() as conn:
            conn.execute(text("CREATE TABLE ocop_events (id INTEGER PRIMARY KEY)"))
        with pytest.raises(StorageError) as caught:
            list(AuditLog(engine.sa_engine).event_rows())
        assert not isinstance(caught.value, SchemaNotReady)
        assert caught.value.__cause__ is not None
        assert "dossier_id" in str(caught.value)
