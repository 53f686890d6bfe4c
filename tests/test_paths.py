"""The regulation's paths end to end, on every backend."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID

import pytest

from ocop_cycle import (
    DossierKind,
    DossierState,
    Engine,
    Event,
    GuardRefused,
    Level,
    Role,
    SettableClock,
)
from tests.scenario import LANG_GIANG, PROVINCE_ONLY, Walk, at

S = DossierState


def test_three_star_path_to_renewed_under_qd148(engine: Engine, clock: SettableClock) -> None:
    """registered → verified → scored → certified 3★ → monitored → renewed by a re-evaluation."""
    walk = Walk(engine, clock)
    d = walk.register()
    assert (d.state, d.profile_id) == (S.REGISTERED, "qd148-2023")
    d = engine.verify_commune(d.id, actor=walk.actor(Role.COMMUNE_COMMITTEE))
    assert d.state is S.COMMUNE_VERIFIED
    d = engine.assign_round(d.id, actor=walk.actor(Role.DISTRICT_OFFICE), round_id=walk.round_id())
    walk.later(days=40)
    d = walk.score(d, [61, 62, 64], Role.DISTRICT_COUNCIL)
    assert (d.state, d.score, d.stars, d.level) == (
        S.DISTRICT_SCORED,
        Decimal("62.33"),
        3,
        "district",
    )
    d = engine.certify(d.id, actor=walk.actor(Role.DISTRICT_COMMITTEE), **walk.decision())
    assert (d.state, d.certified_stars, d.certified_level) == (S.CERTIFIED, 3, Level.DISTRICT)
    assert d.valid_until == date(2026, 4, 10)  # 36 months from the 10/04/2023 decision (Civil Code)
    d = engine.start_monitoring(d.id, actor=walk.actor(Role.DISTRICT_OFFICE))
    assert d.state is S.MONITORED

    walk.later(days=700)  # early 2025: still under qd148-2023
    new = engine.register_reevaluation(
        d.id, actor=walk.actor(Role.COMMUNE_OFFICER), kind="re_evaluation"
    )
    assert (new.kind, new.predecessor_id, new.profile_id) == (
        DossierKind.RE_EVALUATION,
        d.id,
        "qd148-2023",
    )
    new = engine.verify_commune(new.id, actor=walk.actor(Role.COMMUNE_COMMITTEE))
    new = engine.assign_round(
        new.id, actor=walk.actor(Role.DISTRICT_OFFICE), round_id=walk.round_id()
    )
    new = walk.score(new, [60, 60, 60], Role.DISTRICT_COUNCIL)
    new = engine.certify(new.id, actor=walk.actor(Role.DISTRICT_COMMITTEE), **walk.decision())
    old = engine.get(d.id)
    assert (old.state, old.successor_id) == (S.RENEWED, new.id)
    assert _certified_event(engine, new.id).payload.wire()["result"] == "kept"
    assert engine.replay(old.id) == old
    assert engine.replay(new.id) == new


def test_seventy_points_go_to_the_province_and_certify_four_stars(
    engine: Engine, clock: SettableClock
) -> None:
    """A district mean ≥ 70 is forwarded; the province council and committee certify 4★."""
    walk = Walk(engine, clock)
    d = walk.entry_scored([72, 74, 73])
    assert (d.stars, d.outcome) == (4, "forward")
    with pytest.raises(GuardRefused) as refused:
        engine.certify(d.id, actor=walk.actor(Role.DISTRICT_COMMITTEE), **walk.decision())
    assert refused.value.codes == ("authority.above_tier_cap",)
    d = engine.forward(d.id, actor=walk.actor(Role.DISTRICT_OFFICE))
    assert (d.state, d.level) == (S.FORWARDED_PROVINCE, Level.PROVINCE)
    d = walk.score(d, [76, 75, 77], Role.PROVINCE_COUNCIL)
    assert (d.state, d.score, d.stars, d.outcome) == (
        S.PROVINCE_SCORED,
        Decimal("76.00"),
        4,
        "certify",
    )
    d = engine.certify(d.id, actor=walk.actor(Role.PROVINCE_COMMITTEE), **walk.decision())
    assert (d.state, d.certified_stars, d.certified_level) == (S.CERTIFIED, 4, Level.PROVINCE)


def test_ninety_points_go_to_the_ministry(engine: Engine, clock: SettableClock) -> None:
    """≥ 90 goes district → province → central council; the ministry certifies 5★."""
    walk = Walk(engine, clock)
    d = walk.entry_scored([91, 92, 93])
    d = engine.forward(d.id, actor=walk.actor(Role.DISTRICT_COMMITTEE))
    d = walk.score(d, [92, 91, 90], Role.PROVINCE_COUNCIL)
    assert (d.stars, d.outcome) == (5, "forward")
    with pytest.raises(GuardRefused, match=r"authority\.above_tier_cap"):
        engine.certify(d.id, actor=walk.actor(Role.PROVINCE_COMMITTEE), **walk.decision())
    d = engine.forward(d.id, actor=walk.actor(Role.PROVINCE_OFFICE))
    assert (d.state, d.level) == (S.FORWARDED_CENTRAL, Level.CENTRAL)
    d = walk.score(d, [94, 93, 95], Role.CENTRAL_COUNCIL)
    assert (d.state, d.stars) == (S.CENTRAL_SCORED, 5)
    d = engine.certify(d.id, actor=walk.actor(Role.MINISTRY), **walk.decision("01/QĐ-BNN"))
    assert (d.state, d.certified_stars, d.certified_level) == (S.CERTIFIED, 5, Level.CENTRAL)


def test_below_fifty_is_not_recognised(engine: Engine, clock: SettableClock) -> None:
    """A mean under 50 cannot be certified; the committee records 'not recognised'."""
    walk = Walk(engine, clock)
    d = walk.entry_scored([45, 46, 47])
    assert (d.stars, d.outcome) == (2, "not_recognized")
    with pytest.raises(GuardRefused, match=r"score\.not_recognised"):
        engine.certify(d.id, actor=walk.actor(Role.DISTRICT_COMMITTEE), **walk.decision())
    d = engine.not_recognize(d.id, actor=walk.actor(Role.DISTRICT_COMMITTEE))
    assert d.state is S.NOT_RECOGNIZED


def test_under_qd1048_the_district_closes_a_result_below_fifty(db_url: str) -> None:
    """Under qd1048-2019 the district pre-scores and certifies nothing, yet a result below 50
    must be closed there: the district People's Committee records 'not recognised'."""
    clock = SettableClock(at(2020, 3, 2))
    with Engine.open(db_url, clock=clock) as engine:
        walk = Walk(engine, clock)
        d = walk.entry_scored([45, 46, 47])
        assert (d.profile_id, d.state, d.outcome) == (
            "qd1048-2019",
            S.DISTRICT_SCORED,
            "not_recognized",
        )
        d = engine.not_recognize(d.id, actor=walk.actor(Role.DISTRICT_COMMITTEE))
        assert (d.state, d.level) == (S.NOT_RECOGNIZED, Level.DISTRICT)


def test_qd1489_path_has_no_district(engine: Engine, clock: SettableClock) -> None:
    """Under qd1489-2025: commune pre-check, then the province council and committee."""
    clock.set(at(2025, 8, 1))
    walk = Walk(engine, clock, place=PROVINCE_ONLY)
    d = walk.register()
    assert (d.profile_id, d.district_code) == ("qd1489-2025", None)
    d = engine.verify_commune(d.id, actor=walk.actor(Role.COMMUNE_COMMITTEE))
    d = engine.assign_round(d.id, actor=walk.actor(Role.PROVINCE_OFFICE), round_id=walk.round_id())
    d = walk.score(d, [74, 75, 76], Role.PROVINCE_COUNCIL)
    assert (d.state, d.stars, d.outcome) == (S.PROVINCE_SCORED, 4, "certify")
    d = engine.certify(d.id, actor=walk.actor(Role.PROVINCE_COMMITTEE), **walk.decision())
    assert (d.state, d.certified_stars, d.certified_level) == (S.CERTIFIED, 4, Level.PROVINCE)
    assert "district_scored" not in engine.machine("qd1489-2025").mermaid()


def test_2021_certificate_reevaluated_under_qd148(engine: Engine, clock: SettableClock) -> None:
    """A 1048-era certificate comes in as history and is re-evaluated under qd148-2023."""
    walk = Walk(engine, clock, product_set="processed_meat")
    old = engine.import_certificate(
        actor=walk.actor(Role.DISTRICT_OFFICE),
        profile_id="qd1048-2019",
        producer={"name": "HTX kinh doanh Thao Thanh", "kind": "cooperative"},
        product={"name": "Giò lụa", "group": "food", "product_set": "processed_meat"},
        commune_code="07426",
        district_code="217",
        province_code="24",
        stars=3,
        level="province",
        decision_number="1234/QĐ-UBND",
        decision_date=date(2021, 9, 15),
        issuing_body="UBND tỉnh Bắc Giang",
    )
    assert (old.state, old.kind, old.profile_id) == (S.CERTIFIED, "imported", "qd1048-2019")
    assert old.valid_until == date(2024, 9, 15)
    new = engine.register_reevaluation(
        old.id, actor=walk.actor(Role.COMMUNE_OFFICER), kind="re_evaluation"
    )
    assert new.profile_id == "qd148-2023"
    new = engine.verify_commune(new.id, actor=walk.actor(Role.COMMUNE_COMMITTEE))
    new = engine.assign_round(
        new.id, actor=walk.actor(Role.DISTRICT_OFFICE), round_id=walk.round_id()
    )
    new = walk.score(new, [58, 59, 60], Role.DISTRICT_COUNCIL)
    new = engine.certify(new.id, actor=walk.actor(Role.DISTRICT_COMMITTEE), **walk.decision())
    assert (new.certified_stars, engine.get(old.id).state) == (3, S.RENEWED)
    assert engine.history(old.id)[-1].profile_id == "qd1048-2019"


def test_renewal_due_then_reevaluated_under_the_new_profile(
    engine: Engine, clock: SettableClock
) -> None:
    """A 2023 certificate reaches renewal_due in 2026 and is renewed under qd1489-2025."""
    walk = Walk(engine, clock, place=LANG_GIANG)
    d = walk.monitored()
    with pytest.raises(GuardRefused, match=r"renewal\.too_early"):
        engine.mark_renewal_due(d.id, actor=walk.actor(Role.SYSTEM))
    assert d.valid_until is not None
    clock.set(at(d.valid_until.year, d.valid_until.month, 1))
    d = engine.mark_renewal_due(d.id, actor=walk.actor(Role.SYSTEM))
    assert d.state is S.RENEWAL_DUE
    new = engine.register_reevaluation(
        d.id, actor=walk.actor(Role.COMMUNE_OFFICER), kind="re_evaluation", district_code=None
    )
    assert new.profile_id == "qd1489-2025"
    new = engine.verify_commune(new.id, actor=walk.actor(Role.COMMUNE_COMMITTEE))
    walk = Walk(engine, clock, place=LANG_GIANG.__class__("07426", None, "24"))
    new = engine.assign_round(
        new.id, actor=walk.actor(Role.PROVINCE_OFFICE), round_id=walk.round_id()
    )
    new = walk.score(new, [66, 65, 64], Role.PROVINCE_COUNCIL)
    new = engine.certify(new.id, actor=walk.actor(Role.PROVINCE_COMMITTEE), **walk.decision())
    assert engine.get(d.id).state is S.RENEWED


def test_upgrade_from_three_to_four_stars(engine: Engine, clock: SettableClock) -> None:
    """An upgrade ("nâng hạng") dossier certified at 4★ supersedes the 3★ certificate."""
    walk = Walk(engine, clock, product_set="cordyceps", group="herbal")
    d = walk.monitored(name="Đông trùng hạ thảo sấy thăng hoa")
    up = engine.register_reevaluation(d.id, actor=walk.actor(Role.COMMUNE_OFFICER), kind="upgrade")
    assert up.kind is DossierKind.UPGRADE
    up = engine.verify_commune(up.id, actor=walk.actor(Role.COMMUNE_COMMITTEE))
    up = engine.assign_round(
        up.id, actor=walk.actor(Role.DISTRICT_OFFICE), round_id=walk.round_id()
    )
    up = walk.score(up, [71, 72, 73], Role.DISTRICT_COUNCIL)
    up = engine.forward(up.id, actor=walk.actor(Role.DISTRICT_OFFICE))
    up = walk.score(up, [72, 71, 73], Role.PROVINCE_COUNCIL)
    up = engine.certify(up.id, actor=walk.actor(Role.PROVINCE_COMMITTEE), **walk.decision())
    assert up.certified_stars == 4
    assert _certified_event(engine, up.id).payload.wire()["result"] == "upgraded"
    assert engine.get(d.id).state is S.RENEWED


def _certified_event(engine: Engine, dossier_id: UUID) -> Event:
    return next(e for e in engine.history(dossier_id) if e.type == "certified")
