"""A quiet library: an unconfigured host sees nothing; a host that configures logging is obeyed."""

from __future__ import annotations

import io
import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from uuid import UUID

import pytest
import structlog
from sqlalchemy import func, select

from ocop_cycle import ConcurrencyConflict, Engine, Role, SettableClock
from ocop_cycle._handlers import log as handlers_log
from ocop_cycle._storage.database import create_database_engine
from ocop_cycle._storage.schema import events
from tests.conftest import START
from tests.scenario import LANG_GIANG, Walk

ROOT = Path(__file__).resolve().parents[1]

#: A host service: the library embedded, one dossier driven to a certificate; prints nothing.
HOST = """
import logging, sys
from datetime import date, datetime
from ocop_cycle import VN_TZ, Engine, Role, SettableClock
from ocop_cycle.jobs.sweep import Sweeper
from ocop_cycle.testing import Place, session_for

SETUP = sys.argv[2]
if SETUP == "stdlib":
    logging.basicConfig(level=logging.INFO, format="%(name)s|%(levelname)s|%(message)s")

clock = SettableClock(datetime(2024, 3, 1, 9, tzinfo=VN_TZ))
place = Place(commune="07426", district="217", province="24")
with Engine.open(sys.argv[1], clock=clock) as engine:
    engine.upgrade()
    d = engine.register(
        actor=place.actor(Role.COMMUNE_OFFICER),
        producer={"name": "HTX Núi Hản", "kind": "cooperative"},
        product={"name": "Bò một nắng", "group": "food", "product_set": "processed_meat"},
        commune_code="07426", district_code="217", province_code="24",
    )
    engine.verify_commune(d.id, actor=place.actor(Role.COMMUNE_COMMITTEE))
    r = engine.create_round(
        actor=place.actor(Role.DISTRICT_OFFICE), year=2024, number=1, jurisdiction_code="217",
        name="Đợt 1 năm 2024", registration_deadline=date(2024, 5, 15),
        council_meeting_on=date(2024, 6, 5), scoring_deadline=date(2024, 6, 15),
    )
    engine.assign_round(d.id, actor=place.actor(Role.DISTRICT_OFFICE), round_id=r.id)
    clock.set(datetime(2024, 6, 5, 9, tzinfo=VN_TZ))
    profile = engine.rules.profile(d.profile_id)
    sheet = engine.rules.sheet(profile.id, "processed_meat")
    engine.score(d.id, actor=place.actor(Role.DISTRICT_COUNCIL),
                 session=session_for(sheet, profile, [63, 65, 64, 66]))
    clock.set(datetime(2024, 6, 20, 9, tzinfo=VN_TZ))
    done = engine.certify(
        d.id, actor=place.actor(Role.DISTRICT_COMMITTEE), decision_number="1520/QĐ-UBND",
        decision_date=date(2024, 6, 20), issuing_body="UBND huyện Lạng Giang",
    )
    Sweeper(engine).sweep()
    assert done.certified_stars == 3, done
"""


def _host(tmp_path: Path, setup: str) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "host.py"
    script.write_text(HOST, encoding="utf-8")
    return subprocess.run(
        [sys.executable, str(script), f"sqlite:///{tmp_path / 'host.db'}", setup],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )


def test_unconfigured_host_sees_nothing(tmp_path: Path) -> None:
    """A host that configures no logging drives a dossier to a certificate: stdout, stderr empty."""
    result = _host(tmp_path, "none")
    assert result.returncode == 0, result.stderr
    assert (result.stdout, result.stderr) == ("", "")


def test_host_with_stdlib_logging_gets_the_records(tmp_path: Path) -> None:
    """A host that configured `logging` at INFO receives the library's records, named ocop_cycle."""
    result = _host(tmp_path, "stdlib")
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    created = [ln for ln in lines if "dossier.created" in ln]
    assert len(created) == 1
    assert created[0].startswith("ocop_cycle|INFO|dossier.created ")
    assert "actor=commune_officer@07426" in created[0]
    assert any("event_type=certified" in ln for ln in lines)
    assert result.stdout == ""


def test_host_with_structlog_gets_the_events(tmp_path: Path) -> None:
    """A host that configured structlog gets the events through its own configuration."""
    clock = SettableClock(START)
    engine = Engine.open(f"sqlite:///{tmp_path / 'x.db'}", clock=clock)
    try:
        engine.upgrade()
        with structlog.testing.capture_logs() as logs:
            Walk(engine, clock).register()
    finally:
        engine.close()
    assert [e["event"] for e in logs] == ["dossier.created"]
    assert logs[0]["log_level"] == "info"


@pytest.fixture
def structlog_reset() -> Iterator[None]:
    """Whatever a test configures in structlog is undone after it."""
    try:
        yield
    finally:
        structlog.reset_defaults()


def _walk(tmp_path: Path) -> None:
    clock = SettableClock(START)
    engine = Engine.open(f"sqlite:///{tmp_path / 'x.db'}", clock=clock)
    try:
        engine.upgrade()
        Walk(engine, clock).verified()  # registered, then verified by the commune
    finally:
        engine.close()


def test_info_filtered_out_by_the_host_builds_no_record(
    tmp_path: Path, structlog_reset: None
) -> None:
    """A host whose structlog logger drops info (a filtering bound logger at WARNING): the write
    path asks first and builds no record; commands still run."""
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    assert handlers_log.at(logging.INFO) is None
    assert handlers_log.at(logging.WARNING) is not None
    _walk(tmp_path)


def test_a_host_that_lowers_its_filtering_level_later_gets_info(
    tmp_path: Path, structlog_reset: None
) -> None:
    """The answer for one filtering level is remembered, never for the next configuration: a
    host that reconfigures structlog from WARNING to DEBUG gets the info events from then on."""
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    assert handlers_log.at(logging.INFO) is None
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.DEBUG))
    assert handlers_log.at(logging.INFO) is not None
    with structlog.testing.capture_logs() as logs:
        _walk(tmp_path)
    assert [e["event"] for e in logs] == ["dossier.created", "dossier.transition"]


def test_unconfigured_library_asks_the_standard_logger(structlog_reset: None) -> None:
    """Unconfigured, records go to the standard library's ``ocop_cycle`` logger: below its level
    none is built; a host that lowers it gets them."""
    structlog.reset_defaults()
    stdlib_logger = logging.getLogger("ocop_cycle")
    try:
        stdlib_logger.setLevel(logging.WARNING)
        assert handlers_log.at(logging.INFO) is None
        stdlib_logger.setLevel(logging.INFO)
        assert handlers_log.at(logging.INFO) is not None
    finally:
        stdlib_logger.setLevel(logging.NOTSET)


def test_processors_see_info_when_nothing_filters_by_level(
    tmp_path: Path, structlog_reset: None
) -> None:
    """A host on the standard library's wrapper whose processors want every record (here
    ``capture_logs``, as an error tracker would): the standard logger's WARNING level does not
    hide the library's info events from them, since no ``filter_by_level`` runs."""
    structlog.configure(
        wrapper_class=structlog.stdlib.BoundLogger,
        logger_factory=structlog.stdlib.LoggerFactory(),
    )
    logging.getLogger("ocop_cycle").setLevel(logging.WARNING)
    try:
        with structlog.testing.capture_logs() as logs:
            _walk(tmp_path)
    finally:
        logging.getLogger("ocop_cycle").setLevel(logging.NOTSET)
    assert [e["event"] for e in logs] == ["dossier.created", "dossier.transition"]


def test_a_logger_without_levels_still_gets_the_records(
    tmp_path: Path, structlog_reset: None
) -> None:
    """The standard library's wrapper around a logger that has no levels (a PrintLogger): the
    library cannot ask it, so it logs, and commands run as before."""
    out = io.StringIO()
    structlog.configure(
        wrapper_class=structlog.stdlib.BoundLogger,
        logger_factory=structlog.PrintLoggerFactory(file=out),
        processors=[structlog.processors.KeyValueRenderer(key_order=["event"])],
    )
    _walk(tmp_path)
    lines = out.getvalue().splitlines()
    assert [ln.split()[0] for ln in lines] == [
        "event='dossier.created'",
        "event='dossier.transition'",
    ]


def test_a_command_is_logged_once_committed(
    db_url: str, clock: SettableClock, structlog_reset: None
) -> None:
    """The log hears of a command after its transaction committed: another connection already
    sees the event it tells of (a log that blocks, a full pipe, then holds no lock), and a
    refused command is not logged at all."""
    other = create_database_engine(db_url)
    told: list[tuple[str, int]] = []

    def count_committed(_: object, __: str, event: dict[str, object]) -> dict[str, object]:
        if str(event["event"]).startswith("dossier."):
            with other.connect() as conn:
                stored = select(func.count()).select_from(events)
                dossier = UUID(str(event["dossier_id"]))
                told.append(
                    (
                        str(event["event"]),
                        conn.execute(stored.where(events.c.dossier_id == dossier)).scalar_one(),
                    )
                )
        raise structlog.DropEvent

    structlog.configure(processors=[count_committed])
    try:
        with Engine.open(db_url, clock=clock) as engine:
            dossier = Walk(engine, clock).verified()
            with pytest.raises(ConcurrencyConflict):
                engine.return_for_supplement(
                    dossier.id,
                    actor=LANG_GIANG.actor(Role.COMMUNE_OFFICER),
                    guidance="Bổ sung",
                    expected_version=1,
                )
    finally:
        other.dispose()
    assert told == [("dossier.created", 1), ("dossier.transition", 2)]


def test_commands_on_a_hosts_connection_are_logged_when_the_host_commits(
    db_url: str, clock: SettableClock, structlog_reset: None
) -> None:
    """Inside a host's transaction (and so in ``unit_of_work`` and ``import-plan``) a command
    is not done until the host commits: it is logged then, and never if the host rolls back."""
    told: list[str] = []

    def collect(_: object, __: str, event: dict[str, object]) -> dict[str, object]:
        told.append(str(event["event"]))
        raise structlog.DropEvent

    structlog.configure(processors=[collect])
    host = create_database_engine(db_url)
    try:
        with host.connect() as conn:
            engine = Engine(conn, clock=clock)
            with conn.begin():
                Walk(engine, clock).register("Chè xanh")
                assert told == []  # written, not yet committed
            assert told == ["dossier.created"]
            told.clear()
            rolled_back = conn.begin()
            Walk(engine, clock).register("Mật ong")
            rolled_back.rollback()
        with Engine.open(db_url, clock=clock) as own:

            def failing_unit() -> None:
                with own.unit_of_work() as unit:
                    Walk(unit, clock).register("Miến dong")
                    raise RuntimeError("the unit fails after its writes")

            with pytest.raises(RuntimeError):
                failing_unit()
            assert told == []
            with own.unit_of_work() as unit:
                Walk(unit, clock).register("Gạo nếp")
            assert told == ["dossier.created"]
    finally:
        host.dispose()
