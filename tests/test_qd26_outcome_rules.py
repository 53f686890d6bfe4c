"""Decision 26/2026's outcomes as rules and pure decisions: the machine's new edges per profile,
the diagram, what a central result below 90 allows, revocation grounds and revokers, monitoring
roles, written-opinion councils. No storage."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pydantic
import pytest

from ocop_cycle import (
    VN_TZ,
    Actor,
    CertifyOnUpperResult,
    Dossier,
    DossierKind,
    DossierState,
    Exclude,
    GuardRefused,
    InvalidCommand,
    Level,
    NotRecognize,
    Outcome,
    ProducerKind,
    ReturnToLowerTier,
    Revoke,
    Role,
    ScoreResult,
    default_rule_book,
)
from ocop_cycle.rules.profiles import RuleProfile
from ocop_cycle.rules.scoring import session_problems
from ocop_cycle.testing import session_for
from ocop_cycle.workflows.decide import Context, decide
from ocop_cycle.workflows.derive import tier_outcome
from ocop_cycle.workflows.events import Certified, Excluded, Revoked
from ocop_cycle.workflows.machine import DossierMachine, MachineRegistry
from ocop_cycle.workflows.permissions import allowed_roles

S = DossierState
BOOK = default_rule_book()
QD26 = BOOK.profile("qd26-2026")
OLDER = [BOOK.profile(p) for p in ("qd1048-2019", "qd148-2023", "qd1489-2025")]
NOW = datetime(2026, 9, 1, 9, tzinfo=VN_TZ)


def dossier(state: DossierState, **fields: Any) -> Dossier:
    """A qd26-2026 fast-food dossier of tỉnh Bắc Ninh standing in ``state``."""
    base: dict[str, Any] = {
        "id": uuid4(),
        "version": 7,
        "state": state,
        "profile_id": "qd26-2026",
        "kind": DossierKind.NEW,
        "producer_id": uuid4(),
        "producer_name": "Hợp tác xã Hồ Hồ Cao",
        "producer_kind": ProducerKind.COOPERATIVE,
        "product_id": uuid4(),
        "product_name": "Bánh mì chả cá",
        "product_group": "food",
        "product_set": "fast_food",
        "commune_code": "07375",
        "district_code": None,
        "province_code": "24",
        "registered_at": NOW - timedelta(days=90),
        "updated_at": NOW - timedelta(days=1),
        "last_hash": "0" * 64,
    }
    return Dossier(**{**base, **fields})


def context(role: Role, jurisdiction: str = "24") -> Context:
    return Context(BOOK, MachineRegistry(), Actor(role=role, jurisdiction=jurisdiction), NOW, NOW)


def result(total: str, stars: int) -> ScoreResult:
    return ScoreResult(
        total=Decimal(total),
        parts={},
        member_totals={},
        band_stars=stars,
        stars=stars,
        capped_by=(),
    )


# -- the machine and its diagram -----------------------------------------------------------------


def test_qd26_has_the_new_edges_and_older_profiles_do_not() -> None:
    """qd26-2026: exclude from the province's pending states, and the province's two ways out of
    a central result it decides on; none of these under the older profiles."""
    specs = {(s.trigger, s.source, s.dest) for s in DossierMachine(QD26).specs}
    assert {
        ("certify_on_upper_result", S.CENTRAL_SCORED, S.CERTIFIED),
        ("return_to_lower_tier", S.CENTRAL_SCORED, S.COMMUNE_VERIFIED),
    } <= specs
    excluded_from = {src for trigger, src, _ in specs if trigger == "exclude"}
    assert excluded_from == {
        S.COMMUNE_VERIFIED,
        S.PROVINCE_SCORED,
        S.FORWARDED_CENTRAL,
        S.CENTRAL_SCORED,
    }
    for profile in OLDER:
        triggers = DossierMachine(profile).triggers
        assert not {"exclude", "certify_on_upper_result", "return_to_lower_tier"} & triggers


def test_diagram_of_qd26_shows_the_new_edges() -> None:
    """`ocop-cycle diagram --profile qd26-2026` draws the excluded state and the new edges."""
    out = subprocess.run(
        [sys.executable, "-m", "ocop_cycle.cli", "diagram", "--profile", "qd26-2026"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for line in (
        "excluded : excluded (Hồ sơ bị loại)",
        "commune_verified --> excluded : exclude",
        "central_scored --> excluded : exclude",
        "central_scored --> certified : certify_on_upper_result",
        "central_scored --> commune_verified : return_to_lower_tier",
        "excluded --> [*]",
    ):
        assert f"    {line}\n" in out


# -- a central result below 90 -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "stars", "qd26", "older"),
    [
        ("95", 5, Outcome.CERTIFY, Outcome.CERTIFY),
        ("86", 4, Outcome.LOWER_TIER, Outcome.CERTIFY),
        ("92", 4, Outcome.LOWER_TIER, Outcome.CERTIFY),  # a 5★ minimum missed
        ("60", 3, Outcome.LOWER_TIER, Outcome.CERTIFY),
        ("45", 2, Outcome.LOWER_TIER, Outcome.NOT_RECOGNIZED),  # any result under 90
    ],
)
def test_what_a_central_result_allows(
    total: str, stars: int, qd26: Outcome, older: Outcome
) -> None:
    """Under qd26-2026 any central result below 90 falls to the province chair (Art. 7.4g:
    "Trường hợp sản phẩm không đạt 90 điểm"), 2★ included; under qd1489-2025 the ministry
    certifies a recognised one and does not recognise the rest, as before."""
    assert tier_outcome(QD26, QD26.tier(Level.CENTRAL), result(total, stars)) is qd26
    p1489 = BOOK.profile("qd1489-2025")
    assert tier_outcome(p1489, p1489.tier(Level.CENTRAL), result(total, stars)) is older


def test_certify_on_upper_result_is_a_provincial_certificate_capped_at_4() -> None:
    """The pure decision: the province chair's certificate on the central 86 is the province's,
    4★, on the central council's result; the ministry's role is not the one that decides."""
    d = dossier(S.CENTRAL_SCORED, level=Level.CENTRAL, score=Decimal("86"), stars=4)
    d = d.model_copy(update={"outcome": Outcome.LOWER_TIER, "scored_on": date(2026, 8, 20)})
    command = CertifyOnUpperResult(
        dossier_id=d.id,
        decision_number="9/QĐ-UBND",
        decision_date=date(2026, 9, 1),
        issuing_body="UBND tỉnh Bắc Ninh",
    )
    decision = decide(d, command, context(Role.PROVINCE_COMMITTEE))
    payload = decision.writes[0].event.payload
    assert isinstance(payload, Certified)
    assert (payload.level, payload.stars, payload.on_result_of) == ("province", 4, "central")
    assert decision.result.certified_level == "province"
    assert allowed_roles(QD26, "certify_on_upper_result", d) == (Role.PROVINCE_COMMITTEE,)
    assert allowed_roles(QD26, "return_to_lower_tier", d) == (Role.PROVINCE_COMMITTEE,)


def test_a_central_result_under_three_stars_is_evaluated_again_never_certified_on() -> None:
    """45 points at the central council: the province chair cannot certify on it (it
    recognises nothing), only take the product back to the province's own council."""
    d = dossier(S.CENTRAL_SCORED, level=Level.CENTRAL, score=Decimal("45"), stars=2)
    d = d.model_copy(update={"outcome": Outcome.LOWER_TIER, "scored_on": date(2026, 8, 20)})
    certify = CertifyOnUpperResult(
        dossier_id=d.id,
        decision_number="9/QĐ-UBND",
        decision_date=date(2026, 9, 1),
        issuing_body="UBND tỉnh Bắc Ninh",
    )
    with pytest.raises(GuardRefused) as refused:
        decide(d, certify, context(Role.PROVINCE_COMMITTEE))
    assert [r.code for r in refused.value.reasons] == ["score.upper_result_not_recognised"]
    back = decide(d, ReturnToLowerTier(dossier_id=d.id), context(Role.PROVINCE_COMMITTEE))
    assert back.result.state is S.COMMUNE_VERIFIED
    # Or the province chair ends it: not recognised (the ministry does not decide it).
    assert allowed_roles(QD26, "not_recognize", d) == (Role.PROVINCE_COMMITTEE,)
    ended = decide(d, NotRecognize(dossier_id=d.id), context(Role.PROVINCE_COMMITTEE))
    assert ended.result.state is S.NOT_RECOGNIZED


def test_a_lower_result_setting_needs_a_tier_below() -> None:
    """A tier that leaves results to a lower tier must have one forwarding to it."""
    data = QD26.model_dump(mode="json")
    data["tiers"][0]["on_lower_result"] = "certify_at_lower_tier"
    with pytest.raises(pydantic.ValidationError, match="none forwards to it"):
        RuleProfile.model_validate(data)


# -- exclusion -----------------------------------------------------------------------------------


def test_exclude_decides_the_sheets_ground_or_refuses() -> None:
    """The pure decision names the sheet's ground; a ground of no sheet is refused before
    anything is decided."""
    d = dossier(S.COMMUNE_VERIFIED)
    ok = decide(
        d,
        Exclude(dossier_id=d.id, ground="food_safety_certificate"),
        context(Role.PROVINCE_OFFICE),
    )
    payload = ok.writes[0].event.payload
    assert isinstance(payload, Excluded)
    assert (ok.result.state, payload.ground) == (S.EXCLUDED, "food_safety_certificate")
    with pytest.raises(InvalidCommand) as caught:
        decide(d, Exclude(dossier_id=d.id, ground="nope"), context(Role.PROVINCE_OFFICE))
    assert caught.value.fields == ("ground",)


def test_the_tourism_sheet_has_no_exclusion_ground() -> None:
    """Sheet 26 (community and eco tourism) prints no exclusion: nothing can be cited."""
    d = dossier(S.COMMUNE_VERIFIED, product_set="community_eco_tourism", product_group="tourism")
    with pytest.raises(InvalidCommand, match="its grounds: none"):
        decide(d, Exclude(dossier_id=d.id, ground="forged_dossier"), context(Role.PROVINCE_OFFICE))


# -- revocation ----------------------------------------------------------------------------------


def test_art_8_grounds_and_revokers_are_profile_data() -> None:
    """Six grounds (8.1.a–e, with đ), Vietnamese texts, revokers by star and 15 days; the older
    profiles keep the legacy grounds, the certifying body and no limit."""
    rules = QD26.revocation_rules
    assert [g.clause for g in rules.grounds] == [
        "8.1.a",
        "8.1.b",
        "8.1.c",
        "8.1.d",
        "8.1.đ",
        "8.1.e",
    ]
    assert rules.within_days_of_conclusion == 15
    three = dossier(S.CERTIFIED, certified_stars=3, certified_level=Level.PROVINCE)
    five = dossier(S.MONITORED, certified_stars=5, certified_level=Level.CENTRAL)
    assert allowed_roles(QD26, "revoke", three) == (Role.PROVINCE_COMMITTEE,)
    assert allowed_roles(QD26, "revoke", five) == (Role.MINISTRY,)
    for profile in OLDER:
        assert profile.revocation is None
        assert profile.revocation_rules.within_days_of_conclusion is None
        assert "expired" in {g.code for g in profile.revocation_rules.grounds}


def revoke_command(d: Dossier, code: str, concluded: date | None, decided: date) -> Revoke:
    return Revoke(
        dossier_id=d.id,
        grounds={"code": code, "details": "Kết luận thanh tra"},  # type: ignore[arg-type]
        decision_number="3/QĐ-UBND",
        decision_date=decided,
        issuing_body="UBND tỉnh Bắc Ninh",
        conclusion_date=concluded,
    )


@pytest.mark.parametrize(
    ("days", "refusal"),
    [(0, None), (15, None), (16, "revocation.too_late"), (-1, "revocation.before_conclusion")],
)
def test_revocation_within_15_days_of_the_conclusion(days: int, refusal: str | None) -> None:
    """Day 15 after the conclusion is the last one; day 16 is refused naming the limit; a
    decision before its conclusion is refused."""
    d = dossier(S.CERTIFIED, certified_stars=4, certified_level=Level.PROVINCE)
    command = revoke_command(
        d, "production_stopped", date(2026, 8, 1), date(2026, 8, 1) + timedelta(days)
    )
    if refusal is None:
        payload = decide(d, command, context(Role.PROVINCE_COMMITTEE)).writes[0].event.payload
        assert isinstance(payload, Revoked)
        assert payload.clause == "8.1.đ"
        return
    with pytest.raises(GuardRefused) as caught:
        decide(d, command, context(Role.PROVINCE_COMMITTEE))
    assert caught.value.codes == (refusal,)


def district_certificate_of_148() -> Dossier:
    """A 3★ district certificate issued under Decision 148 (xã Xương Lâm, huyện Lạng Giang)."""
    return dossier(
        S.CERTIFIED,
        profile_id="qd148-2023",
        product_set="eggs",
        district_code="217",
        commune_code="07426",
        certified_stars=3,
        certified_level=Level.DISTRICT,
    )


def test_older_profiles_refuse_art_8_codes_and_need_no_conclusion() -> None:
    """Under qd148-2023, while it applies (to 21/07/2026), a legacy code revokes without a
    conclusion date; an Art. 8 code is unknown there."""
    d = district_certificate_of_148()
    ok = revoke_command(d, "inspection_failed", None, date(2026, 7, 21))
    assert decide(d, ok, context(Role.PROVINCE_COMMITTEE)).result.state is S.REVOKED
    with pytest.raises(InvalidCommand) as caught:
        decide(
            d, revoke_command(d, "mark_misuse", None, date(2026, 7, 21)), context(Role.SYSTEM, "VN")
        )
    assert caught.value.fields == ("grounds.code",)


def test_a_certificate_of_a_ceased_decision_is_revoked_under_art_8() -> None:
    """After 21/07/2026 Decision 148's rules are gone (Art. 11.2): its certificates, still valid
    (Art. 12.1), are revoked on Art. 8's grounds, within 15 days of the conclusion."""
    d = district_certificate_of_148()
    with pytest.raises(InvalidCommand) as caught:
        decide(
            d,
            revoke_command(d, "inspection_failed", None, date(2026, 8, 1)),
            context(Role.PROVINCE_COMMITTEE),
        )
    assert caught.value.fields == ("grounds.code",)
    late = revoke_command(d, "mark_misuse", date(2026, 7, 1), date(2026, 8, 1))
    with pytest.raises(GuardRefused) as refused:
        decide(d, late, context(Role.PROVINCE_COMMITTEE))
    assert refused.value.codes == ("revocation.too_late",)
    ok = revoke_command(d, "mark_misuse", date(2026, 7, 25), date(2026, 8, 1))
    revoked = decide(d, ok, context(Role.PROVINCE_COMMITTEE))
    payload = revoked.writes[0].event.payload
    assert isinstance(payload, Revoked)
    assert (revoked.result.state, payload.clause) == (S.REVOKED, "8.1.d")


# -- monitoring ----------------------------------------------------------------------------------


def test_monitoring_roles_are_the_ocop_agencies() -> None:
    """Under qd26-2026 the province's OCOP agency and the ministry's start monitoring and record
    inspections; qd148-2023 keeps its inspectors."""
    d = dossier(S.MONITORED, certified_stars=4, certified_level=Level.PROVINCE)
    for trigger in ("start_monitoring", "record_inspection"):
        assert allowed_roles(QD26, trigger, d) == (Role.PROVINCE_OFFICE, Role.MINISTRY)
    assert Role.INSPECTOR in BOOK.profile("qd148-2023").permissions["record_inspection"]


# -- written opinions ----------------------------------------------------------------------------


def test_written_opinions_are_a_qd26_reevaluation_setting() -> None:
    """A written-opinion session is valid for a qd26-2026 re-evaluation, refused for a new
    dossier, and refused under qd1489-2025 whose councils meet."""
    sheet = BOOK.sheet("qd26-2026", "fast_food")
    base = session_for(sheet, QD26, [70, 71, 72])
    session = type(base)(**{**base.model_dump(), "kind": "written_opinions"})
    assert session_problems(session, sheet, QD26, Level.PROVINCE, "re_evaluation") == []
    [problem] = session_problems(session, sheet, QD26, Level.PROVINCE, "new")
    assert problem.field == "kind"
    p1489 = BOOK.profile("qd1489-2025")
    sheet_1489 = BOOK.sheet("qd1489-2025", "eggs")
    old = session_for(sheet_1489, p1489, [70, 71, 72])
    old = type(old)(**{**old.model_dump(), "kind": "written_opinions"})
    [problem] = session_problems(old, sheet_1489, p1489, Level.PROVINCE, "re_evaluation")
    assert problem.field == "kind"


def test_a_written_opinion_without_the_chair_is_refused() -> None:
    """The chair's written opinion is required (qd26-2026's setting)."""
    sheet = BOOK.sheet("qd26-2026", "fast_food")
    base = session_for(sheet, QD26, [70, 71, 72], council_size=3)
    session = type(base)(
        **{**base.model_dump(), "kind": "written_opinions", "chair": "Chủ tịch vắng"}
    )
    problems = session_problems(session, sheet, QD26, Level.PROVINCE, "re_evaluation")
    assert [(p.field, p.message) for p in problems] == [
        ("chair", "the chair must give a written opinion")
    ]
