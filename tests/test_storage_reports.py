"""storage.reports: the read queries reports, the CLI and the scheduler use, on every backend."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy.exc import DBAPIError

from ocop_cycle import Engine, SchemaNotReady, SettableClock, StorageError
from ocop_cycle._storage.database import (
    HEAD,
    create_database_engine,
    safe_url,
    sqlite_path,
)
from ocop_cycle._storage.reports import (
    DistrictRecords,
    PendingDeadline,
    ReportEvent,
    ReportQueries,
    RoundDeadline,
)
from ocop_cycle.testing import Place
from ocop_cycle.workflows.model import Dossier, Round
from tests.scenario import LANG_GIANG, Walk

TYPES = ("round_assigned", "forwarded", "support_granted")
ELSEWHERE = Place(commune="07201", district="213", province="24")  # phường Thọ Xương, TP Bắc Giang


@pytest.fixture
def queries(engine: Engine) -> ReportQueries:
    """Report queries on the test engine's database."""
    return ReportQueries(engine.sa_engine)


def test_dossier_count(queries: ReportQueries, engine: Engine, clock: SettableClock) -> None:
    """dossier_count counts every dossier, 0 on a fresh database."""
    assert queries.dossier_count() == 0
    walk = Walk(engine, clock)
    walk.register("Trứng gà")
    walk.register("Mật ong")
    assert queries.dossier_count() == 2


def test_schema_revision(queries: ReportQueries) -> None:
    """A migrated database is at the head revision."""
    assert queries.schema_revision() == HEAD


def test_district_records(queries: ReportQueries, engine: Engine, clock: SettableClock) -> None:
    """district_records: the district's dossiers, chosen events, year's rounds, due deadlines."""
    walk = Walk(engine, clock)
    first = walk.in_round("Trứng gà")
    walk.later(hours=1)
    second = walk.register("Mật ong")
    Walk(engine, clock, place=ELSEWHERE).register("Chè xanh")
    district = LANG_GIANG.district
    assert district is not None

    got = queries.district_records(district, clock.now().year, TYPES)

    assert isinstance(got, DistrictRecords)
    assert all(isinstance(d, Dossier) for d in got.dossiers)
    assert [d.id for d in got.dossiers] == [first.id, second.id]
    assert got.events == (
        ReportEvent(first.id, "round_assigned", got.events[0].payload, got.events[0].occurred_at),
    )
    assert got.events[0].payload["round_id"] == str(first.round_id)
    assert all(isinstance(r, Round) for r in got.rounds)
    assert [r.id for r in got.rounds] == [first.round_id]
    assert got.pending
    assert all(isinstance(p, PendingDeadline) for p in got.pending)
    assert {p.dossier_id for p in got.pending} <= {first.id, second.id}
    assert [p.due_at for p in got.pending] == sorted(p.due_at for p in got.pending)

    other_year = queries.district_records(district, clock.now().year + 1, TYPES)
    assert other_year.rounds == ()
    assert queries.district_records(district, clock.now().year, ["forwarded"]).events == ()
    assert queries.district_records("999", clock.now().year, TYPES) == DistrictRecords(
        (), (), (), ()
    )


def test_round_deadlines(queries: ReportQueries, engine: Engine, clock: SettableClock) -> None:
    """round_deadlines lists the rounds whose scoring deadline is on or after the day given."""
    walk = Walk(engine, clock)
    round_id = walk.round_id()
    [rd] = queries.round_deadlines(clock.now().date())
    assert rd == RoundDeadline(round_id, clock.now().date() + timedelta(days=90))
    assert queries.round_deadlines(rd.scoring_deadline) == [rd]
    assert queries.round_deadlines(rd.scoring_deadline + timedelta(days=1)) == []


def test_no_schema_is_schema_not_ready(empty_url: str) -> None:
    """Without the schema, queries raise SchemaNotReady with the driver error as the cause."""
    sa_engine = create_database_engine(empty_url)
    try:
        queries = ReportQueries(sa_engine)
        assert queries.schema_revision() is None
        for call in (
            queries.dossier_count,
            lambda: queries.district_records("217", 2024, TYPES),
            lambda: queries.round_deadlines(date(2024, 1, 1)),
        ):
            with pytest.raises(SchemaNotReady, match="db upgrade") as caught:
                call()
            assert isinstance(caught.value, StorageError)
            assert isinstance(caught.value.__cause__, DBAPIError)
    finally:
        sa_engine.dispose()


def test_unreachable_database_is_storage_error() -> None:
    """A server that cannot be reached is a StorageError (not SchemaNotReady), cause chained."""
    sa_engine = create_database_engine("postgresql+psycopg://nobody@127.0.0.1:1/x")
    try:
        queries = ReportQueries(sa_engine)
        for call in (queries.dossier_count, queries.schema_revision):
            with pytest.raises(StorageError) as caught:
                call()
            assert not isinstance(caught.value, SchemaNotReady)
            assert isinstance(caught.value.__cause__, DBAPIError)
    finally:
        sa_engine.dispose()


def test_sqlite_path() -> None:
    """sqlite_path names the file of a SQLite URL, and nothing for memory or a server."""
    assert sqlite_path("sqlite:///data/ocop.db") == Path("data/ocop.db")
    assert sqlite_path("sqlite:////srv/ocop.db") == Path("/srv/ocop.db")
    assert sqlite_path("sqlite://") is None
    assert sqlite_path("sqlite:///:memory:") is None
    assert sqlite_path("postgresql+psycopg://u:p@host/db") is None


def test_safe_url_hides_the_password() -> None:
    """safe_url masks the password and keeps the rest."""
    shown = safe_url("postgresql+psycopg://ocop:s3cret@db.example/ocop")
    assert "s3cret" not in shown
    assert shown == "postgresql+psycopg://ocop:***@db.example/ocop"
