"""The plan store: one document per (year, unit), saved once per digest; errors translated."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest
from sqlalchemy.exc import DBAPIError

from ocop_cycle import VN_TZ, SchemaNotReady, StorageError
from ocop_cycle._storage.database import create_database_engine
from ocop_cycle._storage.plans import PlanStore

AT = datetime(2024, 3, 1, 9, tzinfo=VN_TZ)


@pytest.fixture
def store(db_url: str) -> Iterator[PlanStore]:
    """A plan store on a fresh database of each backend."""
    engine = create_database_engine(db_url)
    yield PlanStore(engine)
    engine.dispose()


def test_saved_once_per_digest(store: PlanStore) -> None:
    """The first save creates, the same digest again writes nothing, another digest replaces;
    plans of other units and years stay apart."""
    doc = {"year": 2024, "entries": ["Chè Shan tuyết"]}
    assert store.save(2024, "122", "a" * 64, doc, AT) == "created"
    assert store.save(2024, "122", "a" * 64, {"ignored": True}, AT) == "unchanged"
    assert store.save(2024, "217", "b" * 64, {"year": 2024}, AT) == "created"
    assert store.save(2025, "122", "c" * 64, {"year": 2025}, AT) == "created"
    found = store.get(2024, "122")
    assert found is not None
    assert (found.digest, found.document, found.imported_at) == ("a" * 64, doc, AT)
    assert store.save(2024, "122", "d" * 64, {"year": 2024, "entries": []}, AT) == "replaced"
    found = store.get(2024, "122")
    assert found is not None
    assert (found.digest, found.document) == ("d" * 64, {"year": 2024, "entries": []})
    assert store.of_year(2024) == ["122", "217"]
    assert store.get(2023, "122") is None


def test_recorded_keys_are_the_idempotency_keys_already_used(store: PlanStore) -> None:
    """Only keys of commands already done are reported (none in a fresh store)."""
    assert store.recorded_keys([f"plan:k{i}" for i in range(1200)]) == {}


def test_no_schema_is_schema_not_ready(empty_url: str) -> None:
    """Before ``db upgrade`` the store says so, the driver's error chained."""
    engine = create_database_engine(empty_url)
    try:
        with pytest.raises(SchemaNotReady) as caught:
            PlanStore(engine).of_year(2024)
        assert isinstance(caught.value, StorageError)
        assert isinstance(caught.value.__cause__, DBAPIError)
    finally:
        engine.dispose()
