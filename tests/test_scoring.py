"""Council scoring as pure functions: mean, stars, mandatory minimums, session validity."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ocop_cycle import CouncilSession, Level, MemberSheet
from ocop_cycle.rules.book import default_rule_book
from ocop_cycle.rules.scoring import evaluate_session, session_problems
from ocop_cycle.rules.sheets import Criterion
from ocop_cycle.testing import levels_for, session_for
from ocop_cycle.workflows.derive import tier_outcome

BOOK = default_rule_book()
P148 = BOOK.profile("qd148-2023")
EGGS = BOOK.sheet("qd148-2023", "eggs")


def test_mean_of_totals_is_exact_to_two_places() -> None:
    """Three members 61, 62, 64 give 62.33 as a Decimal, no float anywhere."""
    result = evaluate_session(session_for(EGGS, P148, [61, 62, 64]), EGGS, P148)
    assert result.total == Decimal("62.33")
    assert isinstance(result.total, Decimal)
    assert result.member_totals == {
        "Thành viên 1": Decimal(61),
        "Thành viên 2": Decimal(62),
        "Thành viên 3": Decimal(64),
    }
    assert sum(result.parts.values()) == pytest.approx(result.total, abs=Decimal("0.02"))


def test_half_cent_rounds_up() -> None:
    """60 and 61 average to 60.50; 60, 60, 61 to 60.33; 61, 61, 60 … to 60.67."""
    assert evaluate_session(session_for(EGGS, P148, [60, 61]), EGGS, P148).total == Decimal("60.50")
    assert evaluate_session(session_for(EGGS, P148, [61, 61, 60]), EGGS, P148).total == Decimal(
        "60.67"
    )


def test_missed_mandatory_minimum_caps_the_stars() -> None:
    """75 points but no periodic safety tests (C6 at its lowest): not 4★, and not even 3★."""
    session = session_for(EGGS, P148, [75, 75, 75], miss=("C6",))
    result = evaluate_session(session, EGGS, P148)
    assert (result.total, result.band_stars, result.stars) == (Decimal(75), 4, 2)
    assert result.capped_by == ("C6",)
    assert tier_outcome(P148, P148.tiers[0], result).value == "not_recognized"


def _session_with(levels: dict[str, str], members: int = 3) -> CouncilSession:
    sheets = tuple(
        MemberSheet(member=f"Thành viên {i}", levels=levels) for i in range(1, members + 1)
    )
    return CouncilSession(
        council_size=members,
        chair="Thành viên 1",
        present=tuple(s.member for s in sheets),
        sheets=sheets,
    )


def test_a_missed_three_star_minimum_is_not_recognised_whatever_the_total() -> None:
    """Minimums are cumulative: 92 points (the 5★ band) with the 3★ minimum of C6 missed is not
    a 5★ (the sheet has no 5★ minimum to miss): it is not recognised at all."""
    result = evaluate_session(session_for(EGGS, P148, [92] * 3, miss=("C6",)), EGGS, P148)
    assert (result.total, result.band_stars, result.stars) == (Decimal(92), 5, 2)
    assert result.capped_by == ("C6",)
    assert tier_outcome(P148, P148.tiers[0], result).value == "not_recognized"


def test_a_missed_four_star_minimum_holds_the_product_at_three_stars() -> None:
    """3★ minimum met, 4★ minimum missed: at most 3★, even from the 5★ band."""
    levels = {**levels_for(EGGS, P148, 92, miss=("C6",)), "C6": "b"}  # b: the 3★ minimum only
    result = evaluate_session(_session_with(levels), EGGS, P148)
    assert (result.total, result.band_stars, result.stars) == (Decimal(93), 5, 3)
    assert result.capped_by == ("C6",)
    assert tier_outcome(P148, P148.tiers[0], result).value == "certify"


def test_a_five_star_minimum_caps_at_four_when_lower_ones_are_met() -> None:
    """A sheet with a 5★ minimum: missing only that one gives 4★."""
    c6 = EGGS.by_code["C6"]
    sheet = EGGS.model_copy(
        update={
            "criteria": tuple(
                c.model_copy(update={"minimum_for_stars": {3: "b", 4: "c", 5: "d"}})
                if c is c6
                else c
                for c in EGGS.criteria
            )
        }
    )
    levels = {**levels_for(EGGS, P148, 92, miss=("C6",)), "C6": "c"}
    result = evaluate_session(_session_with(levels), sheet, P148)
    assert (result.band_stars, result.stars, result.capped_by) == (5, 4, ("C6",))


def test_a_sheet_whose_minimum_for_a_higher_star_is_lower_is_refused() -> None:
    """Minimums are cumulative, so a criterion's minimum for 4★ cannot be below its 3★ one."""
    data = EGGS.by_code["C6"].model_dump()
    data["minimum_for_stars"] = {3: "c", 4: "b"}
    with pytest.raises(ValueError, match="minimum for 4★ is below"):
        Criterion.model_validate(data)


def _split_on_c6() -> CouncilSession:
    """Three members at 75 points, two rating C6 "d" (3 points), one "a" (0): the mean on C6
    (2 points) meets the 4★ minimum ("c"); one member does not."""
    base = levels_for(EGGS, P148, 75)
    sheets = tuple(
        MemberSheet(member=f"Thành viên {i}", levels={**base, "C6": level})
        for i, level in enumerate(["d", "d", "a"], start=1)
    )
    return CouncilSession(
        council_size=3, chair="Thành viên 1", present=tuple(s.member for s in sheets), sheets=sheets
    )


@pytest.mark.parametrize(
    ("rule", "stars", "capped"),
    [("mean", 4, ()), ("majority", 4, ()), ("every_member", 2, ("C6",))],
)
def test_when_a_minimum_counts_as_met_is_a_setting(
    rule: str, stars: int, capped: tuple[str, ...]
) -> None:
    """[open] By the mean (default), a majority, or every member: the same sheets, three rules."""
    profile = P148.model_copy(
        update={"council": P148.council.model_copy(update={"minimum_met_when": rule})}
    )
    result = evaluate_session(_split_on_c6(), EGGS, profile)
    assert (result.band_stars, result.stars, result.capped_by) == (4, stars, capped)


BANDS = st.sampled_from([(31, 49), (50, 69), (70, 89), (90, 97)])


@given(BANDS.flatmap(lambda b: st.lists(st.integers(*b), min_size=3, max_size=7)))
def test_stars_follow_bands_when_minimums_are_met(totals: list[int]) -> None:
    """Members in one band meeting its minimums: stars = band of the mean, within the totals."""
    spread_ok = max(totals) - min(totals) <= 10
    session = session_for(EGGS, P148, totals)
    problems = session_problems(session, EGGS, P148)
    assert (problems == []) == spread_ok
    result = evaluate_session(session, EGGS, P148)
    assert min(totals) <= result.total <= max(totals)
    assert result.stars == P148.stars_for(result.total)


@pytest.mark.parametrize(
    ("total", "outcome"),
    [(45, "not_recognized"), (50, "certify"), (69, "certify"), (70, "forward"), (95, "forward")],
)
def test_district_outcomes_under_148(total: int, outcome: str) -> None:
    """At the district: <50 not recognised, 50–69.99 certify 3★, ≥70 forward to the province."""
    result = evaluate_session(session_for(EGGS, P148, [total] * 3), EGGS, P148)
    assert tier_outcome(P148, P148.tiers[0], result).value == outcome


def test_district_of_1048_certifies_nothing() -> None:
    """Under 1048 the district pre-scores: 55 points is forwarded to the province."""
    p = BOOK.profile("qd1048-2019")
    sheet = BOOK.sheet(p.id, "eggs")
    result = evaluate_session(session_for(sheet, p, [55] * 3), sheet, p)
    assert tier_outcome(p, p.tiers[0], result).value == "forward"


def test_quorum_is_the_tiers() -> None:
    """A three-member session is valid for the district council; the same session before a
    central council whose tier asks 5 members is refused for quorum."""
    central = P148.tier(Level.CENTRAL)
    strict = central.model_copy(
        update={"council": P148.council.model_copy(update={"min_members": 5})}
    )
    profile = P148.model_copy(
        update={"tiers": tuple(strict if t is central else t for t in P148.tiers)}
    )
    session = session_for(EGGS, profile, [92, 93, 94])
    assert session_problems(session, EGGS, profile, Level.DISTRICT) == []
    problems = session_problems(session, EGGS, profile, Level.CENTRAL)
    assert [(p.field, p.message) for p in problems] == [
        ("present", "quorum not met: 3 of 5 needed")
    ]


def test_how_a_minimum_counts_as_met_is_the_tiers() -> None:
    """The same sheets: the district (mean, the default) gives 4★; a province council whose tier
    asks every member to meet the minimum gives 2★."""
    province = P148.tier(Level.PROVINCE)
    strict = province.model_copy(
        update={"council": P148.council.model_copy(update={"minimum_met_when": "every_member"})}
    )
    profile = P148.model_copy(
        update={"tiers": tuple(strict if t is province else t for t in P148.tiers)}
    )
    assert evaluate_session(_split_on_c6(), EGGS, profile, Level.DISTRICT).stars == 4
    assert evaluate_session(_split_on_c6(), EGGS, profile, Level.PROVINCE).stars == 2


def test_session_problems_name_fields() -> None:
    """Quorum, chair, duplicate members and strangers are each reported with a field."""
    good = session_for(EGGS, P148, [60, 60, 60, 60])
    levels = good.sheets[0].levels
    bad = CouncilSession(
        council_size=7,
        chair="Chủ tịch",
        present=("A", "A", "B"),
        sheets=(
            MemberSheet(member="A", levels=levels),
            MemberSheet(member="A", levels=levels),
            MemberSheet(member="C", levels=levels),
        ),
    )
    fields = [p.field for p in session_problems(bad, EGGS, P148)]
    assert fields == [
        "present",
        "present",
        "chair",
        "sheets.1.member",
        "sheets.2.member",
        "sheets",
    ]
