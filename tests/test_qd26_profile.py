"""The profile qd26-2026 (Decision 26/2026/QĐ-TTg) takes the dossiers registered from 22/05/2026."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from ocop_cycle import (
    Actor,
    DossierState,
    Engine,
    GuardRefused,
    InvalidCommand,
    Level,
    Role,
    SettableClock,
    Sweeper,
)
from ocop_cycle.rules.book import default_rule_book
from tests.helpers_jobs import district_certificate, import_certificates
from tests.scenario import LANG_GIANG, PROVINCE_ONLY, Walk, at, snapshot

S = DossierState


def test_profile_as_data() -> None:
    """Province scores and certifies up to 4★, sends ≥ 90 to the central council, which the
    ministry certifies at 5★; certificates run 36 months."""
    profile = default_rule_book().profile("qd26-2026")
    assert (profile.decision, profile.in_force_from, profile.in_force_until) == (
        "26/2026/QĐ-TTg",
        date(2026, 5, 22),
        None,
    )
    assert [(t.level, t.certifies_up_to, t.forward_to) for t in profile.tiers] == [
        (Level.PROVINCE, 4, Level.CENTRAL),
        (Level.CENTRAL, 5, None),
    ]
    assert profile.durations.certificate_validity_months == 36
    assert default_rule_book().profile("qd1489-2025").in_force_until == date(2026, 5, 21)


def test_registered_from_22_may_2026_and_certified_by_the_province(
    engine: Engine, clock: SettableClock
) -> None:
    """A fast-food product filed on 1 June 2026 is pinned to qd26-2026, scored by the province
    council on the official sheet and certified 4★ by the province."""
    clock.set(at(2026, 6, 1))
    walk = Walk(engine, clock, place=PROVINCE_ONLY, product_set="fast_food")
    d = walk.in_round(name="Bánh mì chả cá")
    assert (d.profile_id, d.product_set) == ("qd26-2026", "fast_food")
    # The commune's proposal numbered it: province 24, xã Lạng Giang, first of 2026.
    assert d.product_code == "24-07375-001-2026"
    d = walk.score(d, [75, 76, 77], Role.PROVINCE_COUNCIL)
    assert (d.state, d.stars, d.level) == (S.PROVINCE_SCORED, 4, "province")
    d = engine.certify(d.id, actor=walk.actor(Role.PROVINCE_COMMITTEE), **walk.decision())
    assert (d.state, d.certified_stars, d.valid_until) == (
        S.CERTIFIED,
        4,
        date(2029, 6, 1),
    )  # Civil Code counting


def test_a_148_certificate_is_renewed_on_the_official_sheet(
    engine: Engine, clock: SettableClock
) -> None:
    """Eggs certified by the district in 2024 are re-evaluated in 2027 under qd26-2026: the
    dossier keeps its product set and is scored on the official sheet that replaces it."""
    clock.set(at(2024, 3, 1))
    walk = Walk(engine, clock, place=LANG_GIANG)
    d = walk.monitored()
    assert d.valid_until is not None
    # Inside the filing window: 180 to 120 days before the certificate expires.
    clock.set(at(2024, 3, 1) + (d.valid_until - date(2024, 3, 1) - timedelta(days=150)))
    new = engine.register_reevaluation(
        d.id, actor=walk.actor(Role.COMMUNE_OFFICER), kind="re_evaluation", district_code=None
    )
    assert (new.profile_id, new.product_set) == ("qd26-2026", "eggs")
    sheet = engine.rules.sheet(new.profile_id, new.product_set)
    assert (sheet.product_set, sheet.sample) == ("fresh_meat_seafood_eggs_milk", False)
    new = engine.verify_commune(new.id, actor=walk.actor(Role.COMMUNE_COMMITTEE))
    province = Walk(engine, clock, place=PROVINCE_ONLY)
    new = engine.assign_round(
        new.id, actor=province.actor(Role.PROVINCE_OFFICE), round_id=province.round_id()
    )
    new = province.score(new, [66, 65, 64], Role.PROVINCE_COUNCIL)
    engine.certify(new.id, actor=province.actor(Role.PROVINCE_COMMITTEE), **province.decision())
    assert engine.get(d.id).state is S.RENEWED


@pytest.mark.parametrize(
    ("day", "product_set", "accepted"),
    [
        (date(2026, 5, 21), "fast_food", False),  # qd1489-2025 knows only the sample sets
        (date(2026, 5, 21), "eggs", True),
        (date(2026, 5, 22), "fast_food", True),
        (date(2026, 5, 22), "eggs", True),  # replaced by fresh_meat_seafood_eggs_milk
        (date(2026, 5, 22), "fresh_meat_seafood_eggs_milk", True),
    ],
)
def test_each_profile_checks_its_own_catalogue(
    engine: Engine, clock: SettableClock, day: date, product_set: str, accepted: bool
) -> None:
    """A product set is checked against the catalogue of the profile in force on the day."""
    clock.set(at(day.year, day.month, day.day))
    walk = Walk(engine, clock, place=PROVINCE_ONLY, product_set=product_set)
    if accepted:
        assert walk.register().product_set == product_set
    else:
        with pytest.raises(InvalidCommand) as caught:
            walk.register()
        assert caught.value.fields == ("product.product_set",)


def _certificate_expiring(engine: Engine, clock: SettableClock, expires: date) -> object:
    """A district certificate imported in 2024 whose 36 months end on ``expires``."""
    clock.set(at(2024, 9, 2))
    decided = date(expires.year - 3, expires.month, expires.day)
    (found,) = import_certificates(engine, 1, decided, "window")
    d = engine.get(found)  # type: ignore[arg-type]
    assert d.valid_until == expires
    return found


def test_a_reevaluation_is_filed_inside_its_window(engine: Engine, clock: SettableClock) -> None:
    """Certificates expiring 20/06/2027: the window runs 22/12/2026 – 20/02/2027; a filing on
    its last day is accepted; one on 21/02/2027 is refused naming the window, nothing written."""
    first = _certificate_expiring(engine, clock, date(2027, 6, 20))
    (second,) = import_certificates(engine, 1, date(2024, 6, 20), "window-2")
    officer = Actor(role=Role.COMMUNE_OFFICER, jurisdiction="07375")
    clock.set(datetime(2027, 2, 20, 9, tzinfo=clock.now().tzinfo))
    new = engine.register_reevaluation(first, actor=officer, kind="re_evaluation")  # type: ignore[arg-type]
    assert new.profile_id == "qd26-2026"
    clock.set(datetime(2027, 2, 21, 9, tzinfo=clock.now().tzinfo))
    before = snapshot(engine)
    with pytest.raises(GuardRefused) as caught:
        engine.register_reevaluation(second, actor=officer, kind="re_evaluation")  # type: ignore[arg-type]
    assert caught.value.codes == ("reevaluation.outside_window",)
    assert "22/12/2026" in caught.value.reasons[0].vi
    assert "20/02/2027" in caught.value.reasons[0].vi
    assert snapshot(engine) == before


def test_an_upgrade_is_filed_outside_the_reevaluation_window(
    engine: Engine, clock: SettableClock
) -> None:
    """Art. 7.5: an upgrade follows the first evaluation's path; the 180-120-day window of
    Art. 7.6.a is the re-evaluation's at the end of the 36 months. A certificate expiring
    20/06/2027, on 01/09/2026: its upgrade is filed, its re-evaluation refused."""
    upgraded = _certificate_expiring(engine, clock, date(2027, 6, 20))
    (renewed,) = import_certificates(engine, 1, date(2024, 6, 20), "window-2")
    officer = Actor(role=Role.COMMUNE_OFFICER, jurisdiction="07375")
    clock.set(datetime(2026, 9, 1, 9, tzinfo=clock.now().tzinfo))
    new = engine.register_reevaluation(upgraded, actor=officer, kind="upgrade")  # type: ignore[arg-type]
    assert (new.profile_id, new.kind.value, new.predecessor_id) == (
        "qd26-2026",
        "upgrade",
        upgraded,
    )
    with pytest.raises(GuardRefused) as caught:
        engine.register_reevaluation(renewed, actor=officer, kind="re_evaluation")  # type: ignore[arg-type]
    assert caught.value.codes == ("reevaluation.outside_window",)


def test_a_window_closed_before_the_decision_took_effect_is_art_12_3(
    engine: Engine, clock: SettableClock
) -> None:
    """A certificate expiring 01/08/2026: its window closed on 03/04/2026, before Decision 26
    took effect (22/05/2026); its re-evaluation is accepted all the same (Art. 12.3)."""
    found = _certificate_expiring(engine, clock, date(2026, 8, 1))
    clock.set(datetime(2026, 6, 15, 9, tzinfo=clock.now().tzinfo))
    officer = Actor(role=Role.COMMUNE_OFFICER, jurisdiction="07375")
    new = engine.register_reevaluation(found, actor=officer, kind="re_evaluation")  # type: ignore[arg-type]
    assert (new.profile_id, new.predecessor_id) == ("qd26-2026", found)


@pytest.mark.parametrize("swept", [False, True])
def test_a_late_reevaluation_is_filed_at_most_180_days_after_expiry_swept_or_not(
    engine: Engine, clock: SettableClock, swept: bool
) -> None:
    """Art. 12.3 ("không quá 180 ngày tính từ ngày hết thời hạn"): certificates expiring
    01/08/2026, whose window closed before the Decision. On 27/01/2027 (day 179 after expiry)
    a re-evaluation is accepted whether or not a sweep has expired the certificate -- one that
    lapsed is held again, renewal due -- valid until 28/01/2027; on 30/01/2027 (day 182) it is
    refused, nothing written."""
    first, second = (_certificate_expiring(engine, clock, date(2026, 8, 1)) for _ in "12")
    officer = Actor(role=Role.COMMUNE_OFFICER, jurisdiction="07375")
    tz = clock.now().tzinfo
    if swept:
        clock.set(datetime(2026, 8, 1, 9, tzinfo=tz))
        Sweeper(engine).sweep(now=datetime(2026, 8, 2, 12, tzinfo=tz))
        assert {engine.get(d).state.value for d in (first, second)} == {"expired"}  # type: ignore[arg-type]
    clock.set(datetime(2027, 1, 27, 9, tzinfo=tz))
    accepted = engine.register_reevaluation(first, actor=officer, kind="re_evaluation")  # type: ignore[arg-type]
    assert accepted.predecessor_id == first
    held = engine.get(first)  # type: ignore[arg-type]
    assert held.valid_until == date(2027, 1, 28)
    assert held.state.value == ("renewal_due" if swept else "certified")
    clock.set(datetime(2027, 1, 30, 9, tzinfo=tz))
    before = snapshot(engine)
    with pytest.raises(GuardRefused) as caught:
        engine.register_reevaluation(second, actor=officer, kind="re_evaluation")  # type: ignore[arg-type]
    assert caught.value.codes == ("reevaluation.late_filing_over",)
    assert snapshot(engine) == before


def test_a_late_reevaluation_before_expiry_keeps_the_certificate_where_it_is(
    engine: Engine, clock: SettableClock
) -> None:
    """Filed before the certificate lapsed (its window closed before the Decision), the late
    re-evaluation extends it and leaves its state alone; a sweep past the old expiry day then
    expires nothing."""
    found = _certificate_expiring(engine, clock, date(2026, 8, 1))
    officer = Actor(role=Role.COMMUNE_OFFICER, jurisdiction="07375")
    tz = clock.now().tzinfo
    clock.set(datetime(2026, 7, 20, 9, tzinfo=tz))
    engine.register_reevaluation(found, actor=officer, kind="re_evaluation")  # type: ignore[arg-type]
    Sweeper(engine).sweep(now=datetime(2026, 8, 5, 12, tzinfo=tz))
    held = engine.get(found)  # type: ignore[arg-type]
    assert (held.state.value, held.valid_until) == ("certified", date(2027, 1, 28))


@pytest.mark.parametrize(
    ("swept", "code"),
    [(False, "reevaluation.certificate_lapsed"), (True, "reevaluation.no_certificate")],
)
def test_a_certificate_that_lapsed_before_the_decision_is_not_revived(
    engine: Engine, clock: SettableClock, swept: bool, code: str
) -> None:
    """Expired on 01/03/2026, before Decision 26 took effect: a re-evaluation filed under it
    on 01/06/2026 (within 180 days of that expiry) is refused, swept or not."""
    found = _certificate_expiring(engine, clock, date(2026, 3, 1))
    tz = clock.now().tzinfo
    if swept:
        clock.set(datetime(2026, 3, 1, 9, tzinfo=tz))
        Sweeper(engine).sweep(now=datetime(2026, 3, 2, 12, tzinfo=tz))
    officer = Actor(role=Role.COMMUNE_OFFICER, jurisdiction="07375")
    clock.set(datetime(2026, 6, 1, 9, tzinfo=tz))
    before = snapshot(engine)
    with pytest.raises(GuardRefused) as caught:
        engine.register_reevaluation(found, actor=officer, kind="re_evaluation")  # type: ignore[arg-type]
    assert caught.value.codes == (code,)
    assert snapshot(engine) == before


def test_a_certificate_lapsed_by_date_is_not_upgraded_though_no_sweep_expired_it(
    engine: Engine, clock: SettableClock
) -> None:
    """Expired on 20/06/2027 by its date, still ``certified`` in a store no scheduler swept:
    its upgrade on 25/06/2027 is refused, as it would be once the sweep expired it."""
    found = _certificate_expiring(engine, clock, date(2027, 6, 20))
    clock.set(datetime(2027, 6, 25, 9, tzinfo=clock.now().tzinfo))
    assert engine.get(found).state.value == "certified"  # type: ignore[arg-type]
    officer = Actor(role=Role.COMMUNE_OFFICER, jurisdiction="07375")
    with pytest.raises(GuardRefused) as caught:
        engine.register_reevaluation(found, actor=officer, kind="upgrade")  # type: ignore[arg-type]
    assert caught.value.codes == ("reevaluation.certificate_lapsed",)


@pytest.mark.parametrize("kind", ["re_evaluation", "upgrade"])
def test_a_producer_the_decision_does_not_list_cannot_be_reevaluated_under_it(
    engine: Engine, clock: SettableClock, kind: str
) -> None:
    """Art. 2.3 holds for every evaluation under Decision 26, not only a first one: an
    association's honey certified under Decision 148 is neither re-evaluated nor upgraded
    under Decision 26 (associations are OCOP producers for tourism only); nothing written."""
    clock.set(at(2024, 9, 2))
    found = district_certificate(
        engine, date(2024, 1, 10), "Hội Nuôi ong Lục Ngạn", "association"
    ).id
    clock.set(datetime(2026, 8, 1, 9, tzinfo=clock.now().tzinfo))  # inside its window
    officer = Actor(role=Role.COMMUNE_OFFICER, jurisdiction="07375")
    before = snapshot(engine)
    with pytest.raises(GuardRefused) as caught:
        engine.register_reevaluation(found, actor=officer, kind=kind)  # type: ignore[arg-type]
    assert caught.value.codes == ("producer.kind_not_eligible",)
    assert snapshot(engine) == before


@pytest.mark.parametrize(
    ("on", "kind", "group", "product_set", "accepted"),
    [
        (at(2026, 6, 1), "association", "food", "eggs", False),
        (at(2026, 6, 1), "association", "tourism", "community_tourism", True),
        (at(2026, 6, 1), "operation_centre", "tourism", "community_tourism", True),
        (at(2026, 6, 1), "operation_centre", "food", "eggs", False),
        (at(2026, 6, 1), "farm", "food", "eggs", True),
        (at(2026, 6, 1), "production_household", "food", "eggs", True),
        (at(2024, 3, 1), "association", "food", "eggs", True),  # qd148-2023: any form
    ],
)
def test_who_may_register_is_the_decisions_list(
    engine: Engine,
    clock: SettableClock,
    on: datetime,
    kind: str,
    group: str,
    product_set: str,
    accepted: bool,
) -> None:
    """Art. 2.3: cooperatives, cooperative groups, SMEs, farms, production households and
    registered household businesses; associations and operation centres for the tourism group
    only. A refusal writes nothing."""
    clock.set(on)
    walk = Walk(
        engine,
        clock,
        place=PROVINCE_ONLY if on.year >= 2026 else LANG_GIANG,
        group=group,
        product_set=product_set,
    )
    before = snapshot(engine)
    if accepted:
        walk.register(producer={"name": "Hội Nuôi ong Lục Ngạn", "kind": kind})
        return
    with pytest.raises(GuardRefused) as caught:
        walk.register(producer={"name": "Hội Nuôi ong Lục Ngạn", "kind": kind})
    assert caught.value.codes == ("producer.kind_not_eligible",)
    assert snapshot(engine) == before
