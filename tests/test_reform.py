"""The 2025 reform: places checked on the command's date, abolished units refused with their
successor named, successor units acting for their predecessors, the district's authority
handed to the province, and reading by today's unit finding yesterday's dossiers."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from ocop_cycle import (
    Actor,
    Engine,
    PermissionDenied,
    PlaceRefused,
    Role,
    SettableClock,
    UnitNotFound,
)
from ocop_cycle.cli import main
from ocop_cycle.clock import VN_TZ
from ocop_cycle.jobs.simulation import run_until
from tests.scenario import Walk, snapshot

PRODUCER = {"name": "HTX Nông sản Xương Lâm", "kind": "cooperative"}
PRODUCT = {"name": "Gà đồi", "group": "food", "product_set": "eggs"}


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 9, tzinfo=VN_TZ)


def _register(engine: Engine, actor: Actor, commune: str, district: str | None, province: str):  # type: ignore[no-untyped-def]
    return engine.register(
        actor=actor,
        producer=PRODUCER,
        product=PRODUCT,
        commune_code=commune,
        district_code=district,
        province_code=province,
    )


def test_a_commune_outside_its_district_and_province_is_refused(
    engine: Engine, clock: SettableClock
) -> None:
    """Xương Lâm (07426) filed under district 001 and province 01 (Hà Nội): refused, naming the
    mismatch; nothing written."""
    clock.set(_at(date(2024, 3, 4)))
    before = snapshot(engine)
    with pytest.raises(PlaceRefused) as caught:
        _register(
            engine, Actor(role=Role.COMMUNE_OFFICER, jurisdiction="07426"), "07426", "001", "01"
        )
    assert set(caught.value.codes) == {"unit.outside"}
    assert "07426" in str(caught.value)
    assert "001" in str(caught.value)
    assert snapshot(engine) == before


def test_abolished_units_are_refused_with_their_successor_named(
    engine: Engine, clock: SettableClock
) -> None:
    """Under qd1489-2025 a registration with district 217 and commune 07426 is refused: both
    ended on 30/06/2025, and the reasons name xã Lạng Giang (07375) and tỉnh Bắc Ninh (24)."""
    clock.set(_at(date(2025, 8, 1)))
    before = snapshot(engine)
    actor = Actor(role=Role.COMMUNE_OFFICER, jurisdiction="07375")
    with pytest.raises(PlaceRefused) as caught:
        _register(engine, actor, "07426", "217", "24")
    reasons = {r.code: r for r in caught.value.reasons}
    assert set(reasons) == {"unit.ended"}
    text = " ".join(r.vi for r in caught.value.reasons)
    assert "Xã Lạng Giang (07375)" in text
    assert "Tỉnh Bắc Ninh (24)" in text
    assert snapshot(engine) == before
    d = _register(engine, actor, "07375", None, "24")
    assert (d.profile_id, d.commune_code, d.district_code) == ("qd1489-2025", "07375", None)


def test_an_abolished_district_no_longer_acts_and_the_province_does(
    engine: Engine, clock: SettableClock
) -> None:
    """A qd148 dossier scored by district 217 in 2025: on 31/08/2025 the district's committee
    is refused (naming tỉnh Bắc Ninh); the province's committee, which took over, certifies."""
    clock.set(_at(date(2025, 3, 3)))
    walk = Walk(engine, clock)
    scored = walk.entry_scored([60, 61, 62])
    clock.set(_at(date(2025, 8, 31)))
    decision = {
        "decision_number": "9/QĐ-UBND",
        "decision_date": date(2025, 8, 31),
        "issuing_body": "UBND tỉnh Bắc Ninh",
    }
    with pytest.raises(PermissionDenied) as caught:
        engine.certify(
            scored.id, actor=Actor(role=Role.DISTRICT_COMMITTEE, jurisdiction="217"), **decision
        )
    assert caught.value.reason.code == "unit.ended"
    assert "Tỉnh Bắc Ninh (24)" in caught.value.reason.vi
    certified = engine.certify(
        scored.id, actor=Actor(role=Role.PROVINCE_COMMITTEE, jurisdiction="24"), **decision
    )
    assert certified.state == "certified"
    assert certified.certified_stars == 3


def test_the_successor_commune_acts_for_its_predecessors_from_the_reform(
    engine: Engine, clock: SettableClock
) -> None:
    """07375 was thị trấn Vôi until 30/06/2025 (not Xương Lâm's commune); from 01/07/2025 it is
    xã Lạng Giang, which took Xương Lâm in: only then may it act on Xương Lâm's dossier."""
    clock.set(_at(date(2025, 6, 2)))
    d = Walk(engine, clock).register()
    successor = Actor(role=Role.COMMUNE_OFFICER, jurisdiction="07375")
    clock.set(_at(date(2025, 6, 30)))
    with pytest.raises(PermissionDenied) as caught:
        engine.return_for_supplement(d.id, actor=successor, guidance="Bổ sung")
    assert caught.value.reason.code == "permission.jurisdiction"
    clock.set(_at(date(2025, 7, 2)))
    assert engine.return_for_supplement(d.id, actor=successor, guidance="Bổ sung").state == (
        "returned"
    )


def test_a_district_certificate_is_revoked_by_the_province_after_the_reform(
    engine: Engine, clock: SettableClock
) -> None:
    """A 3★ certificate issued by district 217 in 2024: in 2026 its revocation falls to the
    province's committee (the handover in qd148-2023's data), not the abolished district's."""
    clock.set(_at(date(2024, 3, 4)))
    d = Walk(engine, clock).certified()
    assert d.certified_level == "district"
    clock.set(_at(date(2026, 3, 2)))
    grounds = {"code": "inspection_failed", "details": "Không đạt"}
    decision = {
        "decision_number": "1/QĐ-UBND",
        "decision_date": date(2026, 3, 2),
        "issuing_body": "UBND tỉnh Bắc Ninh",
    }
    with pytest.raises(PermissionDenied) as caught:
        engine.revoke(
            d.id,
            actor=Actor(role=Role.DISTRICT_COMMITTEE, jurisdiction="217"),
            grounds=grounds,
            **decision,
        )
    assert caught.value.reason.code == "unit.ended"
    revoked = engine.revoke(
        d.id,
        actor=Actor(role=Role.PROVINCE_COMMITTEE, jurisdiction="24"),
        grounds=grounds,
        **decision,
    )
    assert revoked.state == "revoked"


def test_reevaluation_only_by_actors_holding_or_succeeding_the_certificate(
    engine: Engine, clock: SettableClock
) -> None:
    """A Hà Nội officer cannot open a re-evaluation of a Bắc Giang certificate; xã Lạng Giang's
    officer can, and the new dossier is filed under today's units."""
    clock.set(_at(date(2024, 3, 4)))
    d = Walk(engine, clock).certified()
    clock.set(_at(date(2026, 10, 1)))  # inside the filing window (180 to 120 days before expiry)
    with pytest.raises(PermissionDenied) as caught:
        engine.register_reevaluation(
            d.id, kind="re_evaluation", actor=Actor(role=Role.PROVINCE_OFFICE, jurisdiction="01")
        )
    assert caught.value.reason.code == "permission.jurisdiction"
    new = engine.register_reevaluation(
        d.id, kind="re_evaluation", actor=Actor(role=Role.COMMUNE_OFFICER, jurisdiction="07375")
    )
    assert (new.commune_code, new.district_code, new.province_code) == ("07375", None, "24")
    assert new.predecessor_id == d.id


def test_reading_by_todays_unit_finds_dossiers_filed_under_its_predecessors(
    engine: Engine, clock: SettableClock
) -> None:
    """Today's xã Lạng Giang and tỉnh Bắc Ninh find a 2024 dossier of xã Xương Lâm, Bắc Giang;
    Hà Nội does not; a code that names nothing today is UnitNotFound."""
    clock.set(_at(date(2024, 3, 4)))
    d = Walk(engine, clock).register()
    clock.set(_at(date(2026, 1, 5)))
    assert [x.id for x in engine.dossiers(unit="07375")] == [d.id]
    assert [x.id for x in engine.dossiers(unit="24")] == [d.id]
    assert engine.dossiers(unit="01") == []
    with pytest.raises(UnitNotFound):
        engine.dossiers(unit="217")


@pytest.mark.slow
def test_deadline_notices_after_the_reform_reach_the_bodies_that_exist(
    engine: Engine, clock: SettableClock
) -> None:
    """A district certificate of 2024 run to 2027: the inspection escalations and the request
    to revoke the lapsed certificate go to tỉnh Bắc Ninh (24), the producer's notices through
    xã Lạng Giang (07375); nothing after 30/06/2025 is addressed to district 217 or 07426."""
    clock.set(_at(date(2024, 9, 2)))  # first inspection due in September 2025
    walk = Walk(engine, clock)
    d = walk.monitored()
    run_until(engine, _at(date(2027, 10, 1)))
    after = [
        n
        for n in engine.notifications(limit=10_000, include_acked=True)
        if n.dossier_id == d.id and n.created_at.date() >= date(2025, 7, 1)
    ]
    assert after
    addressed = {(n.kind, n.recipient_role, n.recipient_jurisdiction) for n in after}
    assert ("inspection_overdue", "inspector", "24") in addressed
    assert ("expired", "province_committee", "24") in addressed
    assert {j for _, _, j in addressed} <= {"24", "07375"}


def test_cli_lists_dossiers_by_todays_unit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`dossier list --unit 07375` shows a 2024 dossier of xã Xương Lâm; a code that names no
    unit today is one line on stderr and exit 1."""
    url = f"sqlite:///{tmp_path / 'units.db'}"
    clock = SettableClock(_at(date(2024, 3, 4)))
    with Engine.open(url, clock=clock) as engine:
        engine.upgrade()
        d = Walk(engine, clock).register()
    capsys.readouterr()
    assert main(["--db", url, "dossier", "list", "--unit", "07375"]) == 0
    out = capsys.readouterr().out
    assert str(d.id) in out
    assert "07426/217/24" in out
    assert main(["--db", url, "dossier", "list", "--unit", "217"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "217" in err
