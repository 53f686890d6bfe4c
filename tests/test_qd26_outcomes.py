"""Decision 26/2026's outcomes on a real store (SQLite and PostgreSQL): exclusion on a sheet's
ground, the province certifying on a central result below 90 (or evaluating again), revocation on
coded grounds within 15 days, monitoring by the OCOP agencies, written-opinion councils."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from ocop_cycle import (
    Actor,
    Dossier,
    DossierKind,
    DossierState,
    Engine,
    GuardRefused,
    InvalidCommand,
    InvalidTransition,
    PermissionDenied,
    Role,
    SettableClock,
    Sweeper,
)
from ocop_cycle.workflows.events import Certified, Excluded, ReturnedToLowerTier, Revoked
from tests.helpers_jobs import import_certificates
from tests.scenario import PROVINCE_ONLY, Walk, at, refuses

S = DossierState
OTHER_PROVINCE = "01"  # Hà Nội


@pytest.fixture
def walk(engine: Engine, clock: SettableClock) -> Walk:
    """Fast food filed at xã Lạng Giang (tỉnh Bắc Ninh 24) on 1 June 2026, under qd26-2026."""
    clock.set(at(2026, 6, 1))
    return Walk(engine, clock, place=PROVINCE_ONLY, product_set="fast_food")


def central_scored(walk: Walk, central: list[int], name: str = "Bánh mì chả cá") -> Dossier:
    """Scored ≥ 90 by the province, forwarded, scored by the central council."""
    e = walk.engine
    d = walk.entry_scored([92, 93, 94], name)
    assert (d.state, d.outcome) == (S.PROVINCE_SCORED, "forward")
    d = e.forward(d.id, actor=walk.actor(Role.PROVINCE_OFFICE))
    d = e.assign_round(d.id, actor=walk.actor(Role.MINISTRY), round_id=walk.round_id("VN"))
    walk.later(days=60)
    return walk.score(d, central, Role.CENTRAL_COUNCIL)


# -- 1. exclusion ("Hồ sơ bị loại khi …") --------------------------------------------------------


def test_the_province_excludes_a_dossier_on_its_sheets_ground(engine: Engine, walk: Walk) -> None:
    """A proposed dossier excluded for a forged dossier ends in ``excluded`` ("Hồ sơ bị loại");
    the event names the sheet's ground and its text; replay agrees; the producer is told."""
    d = walk.in_round()
    d = engine.exclude(
        d.id, actor=walk.actor(Role.PROVINCE_OFFICE), ground="forged_dossier", details="Giả mạo"
    )
    assert (d.state, d.state_label_vi) == (S.EXCLUDED, "Hồ sơ bị loại")
    last = engine.history(d.id)[-1]
    assert isinstance(last.payload, Excluded)
    assert (last.payload.ground, last.payload.ground_vi, last.payload.sheet) == (
        "forged_dossier",
        "Giả mạo hồ sơ",
        "fast_food",
    )
    assert engine.replay(d.id) == engine.get(d.id)
    told = [n for n in engine.notifications() if n.kind == "excluded"]
    assert [n.message_vi for n in told] == [
        "Hồ sơ sản phẩm «Trứng gà núi Hương Sơn» bị loại: Giả mạo hồ sơ."
    ]


def test_a_criterions_exclusion_names_the_criterion(engine: Engine, walk: Walk) -> None:
    """A ground stated under a criterion (A2.1: a copy of another maker's product) is recorded
    with that criterion, after the council scored."""
    d = walk.entry_scored([75, 76, 77])
    d = engine.exclude(d.id, actor=walk.actor(Role.PROVINCE_COUNCIL), ground="copied_product")
    payload = engine.history(d.id)[-1].payload
    assert isinstance(payload, Excluded)
    assert (d.state, payload.criterion) == (S.EXCLUDED, "A2.1")


def test_an_unknown_exclusion_ground_is_refused_and_writes_nothing(
    engine: Engine, walk: Walk
) -> None:
    """A ground the dossier's sheet does not list (another sheet's) is a typed refusal naming
    the field and the sheet's grounds."""
    d = walk.in_round()
    error = refuses(
        engine,
        InvalidCommand,
        lambda: engine.exclude(
            d.id, actor=walk.actor(Role.PROVINCE_OFFICE), ground="imported_or_unknown_materials"
        ),
    )
    assert error.fields == ("ground",)
    assert "forged_dossier" in str(error)
    assert engine.get(d.id).state is S.COMMUNE_VERIFIED


def test_exclusion_is_the_provinces_and_only_before_a_decision(engine: Engine, walk: Walk) -> None:
    """The commune cannot exclude, nor another province; a dossier not yet proposed or
    already certified cannot be excluded. Each refusal writes nothing."""
    proposed = walk.in_round("Chả cá")
    commune = walk.actor(Role.COMMUNE_OFFICER)
    other = Actor(role=Role.PROVINCE_OFFICE, jurisdiction=OTHER_PROVINCE)
    for actor in (commune, other):
        refuses(
            engine,
            PermissionDenied,
            lambda a=actor: engine.exclude(proposed.id, actor=a, ground="forged_dossier"),
        )
    office = walk.actor(Role.PROVINCE_OFFICE)
    registered = walk.register("Nem chua")
    certified = walk.certified(name="Bánh đa")
    for d in (registered, certified):
        refuses(
            engine,
            InvalidTransition,
            lambda d=d: engine.exclude(d.id, actor=office, ground="forged_dossier"),
        )


def test_an_excluded_product_may_be_registered_again(engine: Engine, walk: Walk) -> None:
    """Exclusion ends the dossier: the product is no longer in evaluation."""
    d = walk.in_round()
    engine.exclude(d.id, actor=walk.actor(Role.PROVINCE_OFFICE), ground="registration_dossier")
    again = walk.register()
    assert (again.product_id, again.state) == (d.product_id, S.REGISTERED)


def reevaluation(engine: Engine, clock: SettableClock) -> tuple[object, Dossier, Walk]:
    """A 3★ certificate of 01/02/2024 (valid to 01/02/2027) and its re-evaluation filed on
    01/09/2026, inside the window, proposed by the commune and placed in a province round."""
    clock.set(at(2026, 6, 1))
    (old,) = import_certificates(engine, 1, date(2024, 2, 1), "re")
    clock.set(at(2026, 9, 1))
    walk = Walk(engine, clock, place=PROVINCE_ONLY)
    new = engine.register_reevaluation(
        old,  # type: ignore[arg-type]
        actor=walk.actor(Role.COMMUNE_OFFICER),
        kind="re_evaluation",
    )
    new = engine.verify_commune(new.id, actor=walk.actor(Role.COMMUNE_COMMITTEE))
    new = engine.assign_round(
        new.id, actor=walk.actor(Role.PROVINCE_OFFICE), round_id=walk.round_id()
    )
    assert (new.profile_id, new.kind) == ("qd26-2026", DossierKind.RE_EVALUATION)
    return old, new, walk


def test_an_excluded_reevaluation_frees_its_certificate(
    engine: Engine, clock: SettableClock
) -> None:
    """An excluded re-evaluation is closed: another re-evaluation of the same certificate may
    be filed (the database's open-successor index leaves ``excluded`` out)."""
    old, first, walk = reevaluation(engine, clock)
    engine.exclude(first.id, actor=walk.actor(Role.PROVINCE_OFFICE), ground="forged_dossier")
    second = engine.register_reevaluation(
        old,  # type: ignore[arg-type]
        actor=walk.actor(Role.COMMUNE_OFFICER),
        kind="re_evaluation",
    )
    assert (second.predecessor_id, second.state) == (old, S.REGISTERED)


# -- 2. a central result below 90 (Art. 7.4g) ----------------------------------------------------


def test_below_90_at_the_centre_the_province_certifies_on_its_result(
    engine: Engine, walk: Walk
) -> None:
    """Central council 86: the ministry does not certify it; the province chair certifies 4★
    on the central result, a provincial certificate (revoked by the province later)."""
    d = central_scored(walk, [85, 86, 87])
    assert (d.state, d.stars, d.outcome) == (S.CENTRAL_SCORED, 4, "lower_tier")
    ministry = walk.actor(Role.MINISTRY)
    error = refuses(
        engine, GuardRefused, lambda: engine.certify(d.id, actor=ministry, **walk.decision())
    )
    assert error.codes == ("score.lower_tier_decides",)
    refuses(
        engine,
        PermissionDenied,
        lambda: engine.certify_on_upper_result(d.id, actor=ministry, **walk.decision()),
    )
    d = engine.certify_on_upper_result(
        d.id, actor=walk.actor(Role.PROVINCE_COMMITTEE), **walk.decision()
    )
    assert (d.state, d.certified_stars, d.certified_level) == (S.CERTIFIED, 4, "province")
    payload = engine.history(d.id)[-1].payload
    assert isinstance(payload, Certified)
    assert (payload.level, payload.on_result_of) == ("province", "central")
    assert engine.replay(d.id) == engine.get(d.id)


def test_the_province_is_told_of_a_central_result_under_90(engine: Engine, walk: Walk) -> None:
    """Art. 7.4.g: the ministry tells the province the result; its chair decides on it."""
    d = central_scored(walk, [85, 86, 87])
    (told,) = [
        n
        for n in engine.notifications(limit=1000)
        if n.dossier_id == d.id
        and n.kind == "scored"
        and n.recipient_role == Role.PROVINCE_COMMITTEE
    ]
    assert told.recipient_jurisdiction == "24"
    assert told.message_vi == (
        "Sản phẩm «Bánh mì chả cá» đạt 86 điểm (4 sao) tại Hội đồng cấp trên, dưới ngưỡng "
        "công nhận của cấp đó: đề nghị xem xét công nhận theo kết quả này hoặc tổ chức đánh "
        "giá, phân hạng lại theo thẩm quyền."
    )


def test_the_province_may_evaluate_it_again_instead(engine: Engine, walk: Walk) -> None:
    """Or the province takes it back: the dossier stands before the province council again,
    needs a new round, and is scored and certified by the province."""
    d = central_scored(walk, [72, 73, 74])
    d = engine.return_to_lower_tier(d.id, actor=walk.actor(Role.PROVINCE_COMMITTEE))
    assert (d.state, d.level, d.round_id, d.outcome) == (
        S.COMMUNE_VERIFIED,
        "province",
        None,
        None,
    )
    payload = engine.history(d.id)[-1].payload
    assert isinstance(payload, ReturnedToLowerTier)
    assert (payload.from_level, payload.to_level, str(payload.score)) == (
        "central",
        "province",
        "73.00",
    )
    council = walk.actor(Role.PROVINCE_COUNCIL)
    error = refuses(
        engine,
        GuardRefused,
        lambda: engine.score(d.id, actor=council, session=walk.session(d, [80, 80, 80])),
    )
    assert error.codes == ("round.not_assigned",)
    d = engine.assign_round(d.id, actor=walk.actor(Role.PROVINCE_OFFICE), round_id=walk.round_id())
    d = walk.score(d, [80, 81, 82], Role.PROVINCE_COUNCIL)
    d = engine.certify(d.id, actor=walk.actor(Role.PROVINCE_COMMITTEE), **walk.decision())
    assert (d.state, d.certified_stars, d.certified_level) == (S.CERTIFIED, 4, "province")
    assert engine.replay(d.id) == engine.get(d.id)


def test_at_90_the_ministry_certifies_and_the_province_cannot(engine: Engine, walk: Walk) -> None:
    """A central 5★ stays the ministry's: the province's edge refuses it, writing nothing."""
    d = central_scored(walk, [95, 95, 96])
    assert d.outcome == "certify"
    committee = walk.actor(Role.PROVINCE_COMMITTEE)
    attempts: list[tuple[Any, dict[str, Any]]] = [
        (engine.certify_on_upper_result, walk.decision()),
        (engine.return_to_lower_tier, {}),
    ]
    for call, kw in attempts:
        error = refuses(engine, GuardRefused, lambda c=call, k=kw: c(d.id, actor=committee, **k))
        assert error.codes[0] == "score.not_lower_tier"
    d = engine.certify(d.id, actor=walk.actor(Role.MINISTRY), **walk.decision())
    assert (d.certified_stars, d.certified_level) == (5, "central")


# -- 3. revocation (Art. 8) ----------------------------------------------------------------------


def revoke(engine: Engine, walk: Walk, d: Dossier, actor: Actor, **kw: Any) -> Dossier:
    fields: dict[str, Any] = {
        "grounds": {"code": "law_violation", "details": "Vi phạm an toàn thực phẩm"},
        "decision_number": "7/QĐ-UBND",
        "decision_date": walk.clock.now().date(),
        "issuing_body": "UBND tỉnh Bắc Ninh",
        "conclusion_date": walk.clock.now().date() - timedelta(days=10),
    }
    fields.update(kw)
    return engine.revoke(d.id, actor=actor, **fields)


def test_revocation_cites_a_coded_ground_within_15_days(engine: Engine, walk: Walk) -> None:
    """The province chair revokes a 3★ certificate on ground 8.1.c, 15 days after the
    conclusion (the last day allowed); the event records the clause, text and conclusion."""
    d = walk.certified()
    concluded = walk.clock.now().date() - timedelta(days=15)
    d = revoke(engine, walk, d, walk.actor(Role.PROVINCE_COMMITTEE), conclusion_date=concluded)
    assert d.state is S.REVOKED
    payload = engine.history(d.id)[-1].payload
    assert isinstance(payload, Revoked)
    assert (payload.clause, payload.conclusion_date) == ("8.1.c", concluded)
    assert payload.ground_vi.startswith("Sản phẩm OCOP vi phạm quy định pháp luật")


def test_a_revocation_16_days_after_the_conclusion_is_refused(engine: Engine, walk: Walk) -> None:
    """Sixteen days after the conclusion: refused, naming the 15-day limit; nothing written."""
    d = walk.certified()
    chair = walk.actor(Role.PROVINCE_COMMITTEE)
    late = walk.clock.now().date() - timedelta(days=16)
    error = refuses(
        engine, GuardRefused, lambda: revoke(engine, walk, d, chair, conclusion_date=late)
    )
    assert error.codes == ("revocation.too_late",)
    assert "15 ngày" in error.reasons[0].vi
    assert "15 days" in error.reasons[0].en


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"grounds": {"code": "inspection_failed", "details": "x"}}, "grounds.code"),
        ({"grounds": {"code": "bogus", "details": "x"}}, "grounds.code"),
        ({"conclusion_date": None}, "conclusion_date"),
    ],
    ids=["older-profiles-code", "unknown-code", "no-conclusion-date"],
)
def test_a_revocation_without_a_known_ground_or_its_conclusion_is_refused(
    engine: Engine, walk: Walk, change: dict[str, Any], field: str
) -> None:
    """Under qd26-2026 the ground is one of Art. 8.1's codes and the conclusion's date is
    given: otherwise a typed refusal naming the field, nothing written."""
    d = walk.certified()
    chair = walk.actor(Role.PROVINCE_COMMITTEE)
    error = refuses(engine, InvalidCommand, lambda: revoke(engine, walk, d, chair, **change))
    assert error.fields == (field,)


def test_the_province_chair_revokes_3_and_4_stars_the_minister_5(
    engine: Engine, walk: Walk
) -> None:
    """Revokers by star (Art. 8.2): the ministry may not revoke a provincial 3★, the province
    office neither; the province chair may not revoke a 5★, the minister does."""
    three = walk.certified(name="Bánh chưng")
    for role in (Role.MINISTRY, Role.PROVINCE_OFFICE):
        refuses(
            engine,
            PermissionDenied,
            lambda r=role: revoke(engine, walk, three, walk.actor(r)),
        )
    five = central_scored(walk, [95, 95, 96], name="Bánh mì")
    five = engine.certify(five.id, actor=walk.actor(Role.MINISTRY), **walk.decision())
    refuses(
        engine,
        PermissionDenied,
        lambda: revoke(engine, walk, five, walk.actor(Role.PROVINCE_COMMITTEE)),
    )
    assert revoke(engine, walk, five, walk.actor(Role.MINISTRY)).state is S.REVOKED


# -- 4. monitoring (Art. 9) ----------------------------------------------------------------------


def test_the_provinces_agency_monitors_products_in_its_territory(
    engine: Engine, walk: Walk
) -> None:
    """The province's OCOP agency starts monitoring and records inspections of its own
    products; another province's agency, the commune and an inspection team may not."""
    d = walk.certified()
    others = [
        Actor(role=Role.PROVINCE_OFFICE, jurisdiction=OTHER_PROVINCE),
        walk.actor(Role.COMMUNE_OFFICER),
        walk.actor(Role.PROVINCE_COMMITTEE),
    ]
    for actor in others:
        refuses(engine, PermissionDenied, lambda a=actor: engine.start_monitoring(d.id, actor=a))
    d = engine.start_monitoring(d.id, actor=walk.actor(Role.PROVINCE_OFFICE))
    today = walk.clock.now().date()
    for actor in [*others, Actor(role=Role.INSPECTOR, jurisdiction="24")]:
        refuses(
            engine,
            PermissionDenied,
            lambda a=actor: engine.record_inspection(
                d.id, actor=a, inspected_on=today, passed=True
            ),
        )
    d = engine.record_inspection(
        d.id, actor=walk.actor(Role.PROVINCE_OFFICE), inspected_on=today, passed=True
    )
    assert (d.state, d.last_inspection_passed) == (S.MONITORED, True)


def test_the_ministry_monitors_5_stars_and_others_when_needed(engine: Engine, walk: Walk) -> None:
    """The ministry's agency starts monitoring and inspects a 5★ product, and a 3★ one."""
    five = central_scored(walk, [95, 95, 96], name="Bánh mì")
    five = engine.certify(five.id, actor=walk.actor(Role.MINISTRY), **walk.decision())
    three = walk.certified(name="Bánh chưng")
    ministry = walk.actor(Role.MINISTRY)
    for d in (five, three):
        d = engine.start_monitoring(d.id, actor=ministry)
        d = engine.record_inspection(
            d.id, actor=ministry, inspected_on=walk.clock.now().date(), passed=False
        )
        assert (d.state, d.last_inspection_passed) == (S.MONITORED, False)


# -- 5. written opinions (Art. 7.6d) -------------------------------------------------------------


def written(walk: Walk, d: Dossier, totals: list[int], **change: Any) -> Any:
    session = walk.session(d, totals)
    fields = {**session.model_dump(), "kind": "written_opinions", **change}
    return type(session)(**fields)


def test_a_reevaluation_is_decided_by_written_opinions(
    engine: Engine, clock: SettableClock
) -> None:
    """The province council re-evaluates by written opinions, no meeting: the event records the
    session's kind; the province certifies on it and the old certificate is renewed."""
    old, d, walk = reevaluation(engine, clock)
    d = engine.score(
        d.id, actor=walk.actor(Role.PROVINCE_COUNCIL), session=written(walk, d, [66, 67, 68])
    )
    assert (d.state, d.stars) == (S.PROVINCE_SCORED, 3)
    payload = engine.history(d.id)[-1].payload
    assert payload.session.kind == "written_opinions"  # type: ignore[union-attr]
    engine.certify(d.id, actor=walk.actor(Role.PROVINCE_COMMITTEE), **walk.decision())
    assert engine.get(old).state is S.RENEWED  # type: ignore[arg-type]


def test_written_opinions_that_diverge_or_fall_short_are_refused(
    engine: Engine, clock: SettableClock
) -> None:
    """Opinions 15 points apart call for a meeting; two opinions of four members miss the
    quorum. Typed refusals naming the session's fields, nothing written."""
    _, d, walk = reevaluation(engine, clock)
    council = walk.actor(Role.PROVINCE_COUNCIL)
    error = refuses(
        engine,
        InvalidCommand,
        lambda: engine.score(d.id, actor=council, session=written(walk, d, [60, 66, 75])),
    )
    assert error.fields == ("session.sheets",)
    assert "hold a meeting" in str(error)
    error = refuses(
        engine,
        InvalidCommand,
        lambda: engine.score(
            d.id, actor=council, session=written(walk, d, [66, 67], council_size=4)
        ),
    )
    assert "session.present" in error.fields


def test_a_first_evaluation_is_never_decided_by_written_opinions(
    engine: Engine, walk: Walk
) -> None:
    """Art. 7.6 is for re-evaluations: a new dossier's council meets."""
    d = walk.in_round()
    error = refuses(
        engine,
        InvalidCommand,
        lambda: engine.score(
            d.id,
            actor=walk.actor(Role.PROVINCE_COUNCIL),
            session=written(walk, d, [75, 76, 77]),
        ),
    )
    assert error.fields == ("session.kind",)


# -- an upgrade that does not raise its certificate (Art. 7.5, 7.6.a) ----------------------------


def upgrade_scored(walk: Walk, totals: list[int]) -> tuple[Dossier, Dossier]:
    """A 3★ certificate of June 2026, and its upgrade ("nâng hạng") scored by the province."""
    e = walk.engine
    held = walk.certified([60, 61, 62], name="Bánh mì chả cá")
    walk.later(days=20)
    up = e.register_reevaluation(held.id, actor=walk.actor(Role.COMMUNE_OFFICER), kind="upgrade")
    up = e.verify_commune(up.id, actor=walk.actor(Role.COMMUNE_COMMITTEE))
    up = e.assign_round(up.id, actor=walk.actor(Role.PROVINCE_OFFICE), round_id=walk.round_id())
    walk.later(days=10)
    return held, walk.score(up, totals, Role.PROVINCE_COUNCIL)


def test_an_upgrade_scoring_its_own_stars_again_is_not_certified_and_the_certificate_stands(
    engine: Engine, walk: Walk
) -> None:
    """A 3★ product's upgrade scores 3★ again: certifying it would be a new 36 months outside
    the re-evaluation window. Refused, writing nothing; the upgrade ends not recognised, the
    3★ certificate as issued, the producer told it was not upgraded."""
    held, up = upgrade_scored(walk, [63, 64, 65])
    chair = walk.actor(Role.PROVINCE_COMMITTEE)
    error = refuses(
        engine, GuardRefused, lambda: engine.certify(up.id, actor=chair, **walk.decision())
    )
    assert error.codes == ("upgrade.not_higher",)

    up = engine.not_recognize(up.id, actor=chair)

    assert up.state is S.NOT_RECOGNIZED
    after = engine.get(held.id)
    assert (after.state, after.certified_stars, after.valid_until) == (
        S.CERTIFIED,
        3,
        held.valid_until,
    )
    told = [n.message_vi for n in engine.notifications() if n.dossier_id == up.id]
    assert told[-1] == (
        "Sản phẩm «Bánh mì chả cá» không được nâng hạng; giấy chứng nhận OCOP đã cấp không "
        "thay đổi."
    )


def test_an_upgrade_that_raises_its_certificate_replaces_it(engine: Engine, walk: Walk) -> None:
    held, up = upgrade_scored(walk, [72, 73, 74])
    chair = walk.actor(Role.PROVINCE_COMMITTEE)
    refuses(engine, GuardRefused, lambda: engine.not_recognize(up.id, actor=chair))

    up = engine.certify(up.id, actor=chair, **walk.decision())

    assert (up.state, up.certified_stars) == (S.CERTIFIED, 4)
    assert engine.get(held.id).state is S.RENEWED


def test_a_dossier_at_the_central_council_is_excluded_by_the_ministry_not_the_province(
    engine: Engine, walk: Walk
) -> None:
    """Forwarded to the ministry, the dossier is the central council's to exclude on its
    sheet's grounds; the province that sent it no longer can. The refusal writes nothing."""
    d = central_scored(walk, [88, 89, 90])
    refuses(
        engine,
        PermissionDenied,
        lambda: engine.exclude(
            d.id, actor=walk.actor(Role.PROVINCE_OFFICE), ground="forged_dossier"
        ),
    )
    d = engine.exclude(d.id, actor=walk.actor(Role.MINISTRY), ground="forged_dossier")
    assert d.state is S.EXCLUDED


# -- a 5★ re-evaluation goes to the central council (Art. 6.3.b, 7.6.e) -------------------------


def five_star_reevaluation(engine: Engine, walk: Walk) -> Dossier:
    """A ministry's 5★ certificate of 20/06/2024 (valid to 20/06/2027), its re-evaluation filed
    on 10/01/2027, inside the window, and proposed by the commune."""
    walk.clock.set(at(2026, 6, 1))
    held = engine.import_certificate(
        actor=walk.actor(Role.PROVINCE_OFFICE),
        profile_id="qd148-2023",
        producer={"name": "HTX Mật ong Lục Ngạn", "kind": "cooperative"},
        product={"name": "Mật ong hoa vải", "group": "food", "product_set": "honey"},
        commune_code="07426",
        district_code="217",
        province_code="24",
        stars=5,
        level="central",
        decision_number="1/QĐ-BNN",
        decision_date=date(2024, 6, 20),
        issuing_body="Bộ Nông nghiệp và Phát triển nông thôn",
    )
    walk.clock.set(at(2027, 1, 10))
    d = engine.register_reevaluation(
        held.id, actor=walk.actor(Role.COMMUNE_OFFICER), kind="re_evaluation"
    )
    return engine.verify_commune(d.id, actor=walk.actor(Role.COMMUNE_COMMITTEE))


def test_a_five_star_reevaluation_goes_from_the_province_to_the_central_council(
    engine: Engine, walk: Walk
) -> None:
    """The province sends it to the ministry unscored; the central council scores it and the
    minister certifies 5★ again, replacing the old certificate."""
    d = five_star_reevaluation(engine, walk)
    d = engine.forward(d.id, actor=walk.actor(Role.PROVINCE_OFFICE))
    assert (d.state, d.level) == (S.FORWARDED_CENTRAL, "central")
    d = engine.assign_round(d.id, actor=walk.actor(Role.MINISTRY), round_id=walk.round_id("VN"))
    walk.later(days=30)
    d = walk.score(d, [92, 93, 94], Role.CENTRAL_COUNCIL)
    d = engine.certify(d.id, actor=walk.actor(Role.MINISTRY), **walk.decision("2/QĐ-BNNMT"))
    assert (d.state, d.certified_stars, d.certified_level) == (S.CERTIFIED, 5, "central")
    assert engine.get(d.predecessor_id).state is S.RENEWED  # type: ignore[arg-type]


def test_only_a_top_certificates_reevaluation_goes_up_unscored(engine: Engine, walk: Walk) -> None:
    """A new product proposed by the commune is scored by the province first: sending it up
    unscored is refused, nothing written."""
    d = walk.verified("Chả cá Lạng Giang")
    error = refuses(
        engine, GuardRefused, lambda: engine.forward(d.id, actor=walk.actor(Role.PROVINCE_OFFICE))
    )
    assert error.codes == ("forward.not_top_reevaluation",)


def test_the_province_does_not_score_a_five_star_reevaluation_unless_sent_back(
    engine: Engine, walk: Walk
) -> None:
    """Placed in the province's round, it is refused (it goes up); sent back by the central
    council's result under 90, it is the province's to evaluate, and not to send up unscored
    again."""
    d = five_star_reevaluation(engine, walk)
    office = walk.actor(Role.PROVINCE_OFFICE)
    error = refuses(
        engine,
        GuardRefused,
        lambda: engine.assign_round(d.id, actor=office, round_id=walk.round_id()),
    )
    assert error.codes == ("reevaluation.goes_to_upper_tier",)
    d = engine.forward(d.id, actor=office)
    d = engine.assign_round(d.id, actor=walk.actor(Role.MINISTRY), round_id=walk.round_id("VN"))
    walk.later(days=30)
    d = walk.score(d, [85, 86, 87], Role.CENTRAL_COUNCIL)
    d = engine.return_to_lower_tier(d.id, actor=walk.actor(Role.PROVINCE_COMMITTEE))
    again = refuses(engine, GuardRefused, lambda: engine.forward(d.id, actor=office))
    assert again.codes == ("forward.not_top_reevaluation",)
    d = engine.assign_round(d.id, actor=office, round_id=walk.round_id())
    assert d.round_id is not None


def test_a_five_star_reevaluation_counts_its_45_days_from_the_provinces_request(
    engine: Engine, walk: Walk
) -> None:
    """Art. 7.6.g: 45 days from the request of the commune or of the province. Proposed by
    the commune on 10/01/2027, sent up by the province on 20/01/2027: nothing is escalated
    45 days after the proposal; 45 days after the request (06/03/2027) the province's office
    and the ministry, which holds it, are told, once."""
    d = five_star_reevaluation(engine, walk)
    walk.later(days=10)
    engine.forward(d.id, actor=walk.actor(Role.PROVINCE_OFFICE))

    early = Sweeper(engine).sweep(now=at(2027, 3, 6, 23))
    late = Sweeper(engine).sweep(now=at(2027, 3, 7, 8))

    assert [
        a.outcome.split(":")[0] for a in early.applied if a.kind == "reevaluation_decision"
    ] == ["skipped"]
    assert [(a.kind, a.outcome) for a in late.applied] == [
        ("reevaluation_decision", "escalate_overdue -> forwarded_central")
    ]
    told = {
        (n.recipient_role, n.recipient_jurisdiction)
        for n in engine.notifications(limit=1000)
        if n.dossier_id == d.id and n.kind == "overdue_escalated"
    }
    assert told == {("province_office", "24"), ("ministry", "VN")}
