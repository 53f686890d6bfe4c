"""Derived data compared as it was written, not as Python equality sees it: a score respelled
('6.0E+1' for '60.00') or a notice's number made a float (3.0 for 3) equals the original in
Python, yet is not what the write path stored, and a host reading the row sees the change."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select, text, update

from ocop_cycle import Dossier, Engine, Role, SettableClock
from ocop_cycle._storage.schema import outbox
from ocop_cycle.audit.auditor import Auditor
from tests.scenario import LANG_GIANG, Walk
from tests.test_audit_verify import tamper


@pytest.fixture
def certified(engine: Engine, clock: SettableClock) -> Dossier:
    made = Walk(engine, clock).certified(name="Sản phẩm chấm điểm")
    assert made.score is not None
    assert Auditor(engine).verify().intact
    return made


def test_a_score_respelled_in_the_projection_is_a_difference(
    db_url: str, engine: Engine, certified: Dossier
) -> None:
    """SQLite keeps the score as text: '6.0E+1' reads as a Decimal equal to 60.00."""
    if not db_url.startswith("sqlite"):
        pytest.skip("PostgreSQL keeps NUMERIC(6,2): a score cannot be respelled there")
    assert certified.score is not None
    respelled = f"{certified.score.normalize():E}"
    assert Decimal(respelled) == certified.score
    tamper(
        engine,
        text(f"UPDATE ocop_dossiers SET score = '{respelled}' WHERE id = '{certified.id.hex}'"),
    )
    report = Auditor(engine).verify()
    assert [(b.dossier_id, b.problem, b.detail) for b in report.breaks] == [
        (certified.id, "projection_differs", "score")
    ]
    assert [b.problem for b in Auditor(engine).replay().mismatches] == ["projection_differs"]


@pytest.mark.parametrize("score", ["60.5", "61", "6.15E+1"])
def test_an_imported_score_written_with_fewer_places_verifies(
    engine: Engine, clock: SettableClock, score: str
) -> None:
    """A score given with one place, none, or an exponent is stored as given on SQLite and
    with two places on PostgreSQL: each is what the write path wrote, and verifies."""
    clock.set(clock.now().replace(year=2024))
    engine.import_certificate(
        actor=LANG_GIANG.actor(Role.DISTRICT_OFFICE),
        profile_id="qd148-2023",
        producer={"name": "HTX Mật ong", "kind": "cooperative"},
        product={"name": "Mật ong", "group": "food", "product_set": "honey"},
        commune_code=LANG_GIANG.commune,
        district_code=LANG_GIANG.district,
        province_code=LANG_GIANG.province,
        stars=3,
        level="district",
        decision_number="1/QĐ-UBND",
        decision_date=date(2023, 12, 1),
        issuing_body="UBND huyện Lạng Giang",
        score=score,
    )
    assert Auditor(engine).verify().intact
    assert Auditor(engine).replay().intact


def test_a_notice_number_made_a_float_is_altered(engine: Engine, certified: Dossier) -> None:
    """An outbox row's data with an integer stored as a float (on both databases: JSON text on
    SQLite, JSONB's numeric on PostgreSQL) is not the data its event owed."""
    with engine.sa_engine.connect() as conn:
        row = conn.execute(
            select(outbox.c.id, outbox.c.seq, outbox.c.data).where(
                outbox.c.dossier_id == certified.id, outbox.c.kind == "certified"
            )
        ).first()
    assert row is not None
    name, number = next((k, v) for k, v in row.data.items() if type(v) is int)
    tamper(
        engine,
        update(outbox).where(outbox.c.id == row.id).values(data={**row.data, name: float(number)}),
    )
    report = Auditor(engine).verify()
    assert [(b.dossier_id, b.seq, b.problem, b.detail) for b in report.breaks] == [
        (certified.id, row.seq, "notice_altered", "data")
    ]
