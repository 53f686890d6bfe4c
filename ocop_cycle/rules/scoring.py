"""Council scoring: validate a session's member sheets, average them, rank stars.

Pure functions over rule data; no storage, no clock. Scores are ``Decimal`` with two places.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from ocop_cycle._validation import InputModel
from ocop_cycle.errors import FieldProblem
from ocop_cycle.rules.authority import Level
from ocop_cycle.rules.profiles import CouncilRules, RuleProfile, WrittenOpinionRules
from ocop_cycle.rules.sheets import ScoringSheet
from ocop_cycle.text import Name

__all__ = [
    "CouncilSession",
    "MemberSheet",
    "Outcome",
    "ScoreResult",
    "evaluate_session",
    "session_problems",
]

CENT = Decimal("0.01")


class MemberSheet(InputModel):
    """One present council member's filled sheet: criterion code -> chosen level code."""

    member: Name
    levels: dict[
        Annotated[str, StringConstraints(min_length=1)],
        Annotated[str, StringConstraints(min_length=1)],
    ]


class CouncilSession(InputModel):
    """A council session: who sits on the council, who came, and each present member's sheet.

    ``kind`` says how the council decided: in a ``meeting`` (``present`` are those who came), or
    by ``written_opinions`` without one (Decision 26/2026, Art. 7.6d: ``present`` are the
    members whose written opinion, their filled sheet, came back), where the profile allows it.
    """

    kind: Literal["meeting", "written_opinions"] = "meeting"
    council_size: int = Field(ge=1, le=50)
    chair: Name
    present: tuple[Name, ...] = Field(min_length=1)
    sheets: tuple[MemberSheet, ...] = Field(min_length=1)


class Outcome(StrEnum):
    """What a tier's result allows next."""

    CERTIFY = "certify"  # certify here at ``stars``
    FORWARD = "forward"  # send up a tier
    NOT_RECOGNIZED = "not_recognized"  # below the recognised minimum
    #: recognised, but below what this tier certifies: the tier that forwarded it decides
    #: (Decision 26/2026, Art. 7.4g, ``TierRules.on_lower_result``)
    LOWER_TIER = "lower_tier"


class ScoreResult(BaseModel):
    """The council's result: the mean, part totals, member totals and the stars it earns."""

    model_config = ConfigDict(frozen=True)

    total: Decimal
    parts: dict[str, Decimal]
    member_totals: dict[str, Decimal]
    band_stars: int
    stars: int
    #: criterion codes whose minimum for a star up to the band's was missed (stars capped below
    #: the lowest such star), in sheet order
    capped_by: tuple[str, ...]


def session_problems(
    session: CouncilSession,
    sheet: ScoringSheet,
    profile: RuleProfile,
    level: Level | None = None,
    dossier_kind: str | None = None,
) -> list[FieldProblem]:
    """Everything wrong with a session of the council of tier ``level`` (its council rules:
    quorum, chair, spread; for written opinions, the rules the council has for them and the
    dossier kinds they may decide), each naming its field; empty when the session is valid."""
    problems: list[FieldProblem] = []
    council = profile.council_for(level)
    rules: CouncilRules | WrittenOpinionRules = council
    if session.kind == "written_opinions":
        written = council.written_opinions
        if written is None:
            return [FieldProblem("kind", f"the council under {profile.id} decides in a meeting")]
        if dossier_kind is not None and dossier_kind not in written.dossier_kinds:
            return [
                FieldProblem(
                    "kind",
                    f"written opinions decide only {', '.join(written.dossier_kinds)} dossiers, "
                    f"not {dossier_kind}: hold a meeting",
                )
            ]
        rules = written
    present = list(session.present)
    if len(set(present)) != len(present):
        problems.append(FieldProblem("present", "a member is listed twice"))
    if len(present) > session.council_size:
        problems.append(FieldProblem("present", "more members present than the council has"))
    quorum = max(rules.min_members, math.ceil(rules.quorum_fraction * session.council_size))
    if len(set(present)) < quorum:
        problems.append(
            FieldProblem("present", f"quorum not met: {len(set(present))} of {quorum} needed")
        )
    if rules.chair_required and session.chair not in present:
        needed = "give a written opinion" if session.kind == "written_opinions" else "be present"
        problems.append(FieldProblem("chair", f"the chair must {needed}"))
    by_member: dict[str, int] = {}
    for i, member_sheet in enumerate(session.sheets):
        if member_sheet.member in by_member:
            problems.append(FieldProblem(f"sheets.{i}.member", "this member has two sheets"))
        by_member[member_sheet.member] = i
        if member_sheet.member not in present:
            problems.append(FieldProblem(f"sheets.{i}.member", "member is not listed as present"))
        for code, chosen in member_sheet.levels.items():
            criterion = sheet.criterion(code)
            if criterion is None:
                problems.append(
                    FieldProblem(f"sheets.{i}.levels.{code}", "unknown criterion for this sheet")
                )
            elif criterion.level(chosen) is None:
                problems.append(
                    FieldProblem(
                        f"sheets.{i}.levels.{code}",
                        f"level {chosen!r} is not a level of {code}",
                    )
                )
        missing = [c.code for c in sheet.criteria if c.code not in member_sheet.levels]
        if missing:
            problems.append(
                FieldProblem(f"sheets.{i}.levels", f"criteria not scored: {', '.join(missing)}")
            )
    for member in present:
        if member not in by_member:
            problems.append(FieldProblem("sheets", f"no sheet from present member {member!r}"))
    if not problems and rules.max_spread is not None:
        totals = [_member_total(s, sheet) for s in session.sheets]
        spread = max(totals) - min(totals)
        if spread > rules.max_spread:
            # Written opinions that diverge are settled in a meeting (Art. 7.6d).
            then = "hold a meeting" if session.kind == "written_opinions" else "re-score"
            problems.append(
                FieldProblem(
                    "sheets",
                    f"members' totals differ by {spread} > {rules.max_spread}: {then}",
                )
            )
    return problems


def _member_total(member_sheet: MemberSheet, sheet: ScoringSheet) -> Decimal:
    total = Decimal(0)
    for code, level in member_sheet.levels.items():
        chosen = sheet.by_code[code].level(level)
        assert chosen is not None  # session_problems ran first
        total += chosen.points
    return total


def evaluate_session(
    session: CouncilSession, sheet: ScoringSheet, profile: RuleProfile, level: Level | None = None
) -> ScoreResult:
    """The result of a session of tier ``level``'s council that ``session_problems`` found valid.

    The score is the arithmetic mean of the members' totals, no trimming, rounded half-up to two
    places. The stars are the band's, capped below the lowest star whose mandatory minimum is
    missed (minimums are cumulative). Whether a criterion's minimum for a star is met follows
    the tier's council rule ``minimum_met_when`` [open]: by the members' mean points on it (the
    default), by every member, or by a majority.
    """
    n = Decimal(len(session.sheets))
    member_totals: dict[str, Decimal] = {}
    parts: dict[str, Decimal] = {}
    criterion_points: dict[str, list[Decimal]] = {}
    for member_sheet in session.sheets:
        total = Decimal(0)
        for code, level_code in member_sheet.levels.items():
            criterion = sheet.by_code[code]
            chosen = criterion.level(level_code)
            assert chosen is not None
            total += chosen.points
            parts[criterion.part] = parts.get(criterion.part, Decimal(0)) + chosen.points
            criterion_points.setdefault(code, []).append(chosen.points)
        member_totals[member_sheet.member] = total
    mean = (sum(member_totals.values(), Decimal(0)) / n).quantize(CENT, ROUND_HALF_UP)
    band = profile.stars_for(mean)
    rule = profile.council_for(level).minimum_met_when
    # Minimums are cumulative (Decision 26/2026's sheets: the starred options are the minimum
    # for 3★, 4★, 5★): a product holds a star only when it meets the minimums of that star and
    # of every star below it. The lowest star whose minimum is missed caps it one below.
    missed_at: dict[int, list[str]] = {}
    for c in sheet.criteria:
        for star, level_code in c.minimum_for_stars.items():
            required = _points(c.level(level_code))
            if star <= band and not _minimum_met(criterion_points[c.code], required, rule):
                missed_at.setdefault(star, []).append(c.code)
    stars = min([band, *(star - 1 for star in missed_at)])
    missed = {code for codes in missed_at.values() for code in codes}
    capped = [c.code for c in sheet.criteria if c.code in missed]
    return ScoreResult(
        total=mean,
        parts={k: (v / n).quantize(CENT, ROUND_HALF_UP) for k, v in sorted(parts.items())},
        member_totals=member_totals,
        band_stars=band,
        stars=stars,
        capped_by=tuple(capped),
    )


def _minimum_met(points: list[Decimal], required: Decimal, rule: str) -> bool:
    if rule == "every_member":
        return all(p >= required for p in points)
    if rule == "majority":
        return 2 * sum(p >= required for p in points) > len(points)
    return sum(points, Decimal(0)) / len(points) >= required


def _points(level: object) -> Decimal:
    points = getattr(level, "points", None)
    assert isinstance(points, Decimal)
    return points
