"""Scoring sheets ("phiếu đánh giá"): one per rule profile and product set, loaded as data.

A criterion is scored by choosing exactly one of its fixed levels, each worth fixed points. A
criterion may demand a minimum level for a star ("điểm liệt"): miss it and the product cannot be
ranked at that star, nor at any star above it, whatever its total (minimums are cumulative).

An official sheet (Decision 26/2026) also carries what the decision prints around the options:
the notes under a criterion, the alternative cases some criteria offer ("trường hợp": a member
picks an option of one case), and the conditions that exclude a dossier ("Hồ sơ bị loại khi").
"""

from __future__ import annotations

from decimal import Decimal
from functools import cached_property
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from ocop_cycle.text import Name, nfc, refuse_control_characters

__all__ = ["Criterion", "CriterionCase", "CriterionLevel", "Exclusion", "ScoringSheet"]

#: A part letter and a number, the official dotted number included: ``A1``, ``A1.1``, ``C6.2.1``.
CriterionCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]\d+(?:\.\d+)*[a-z]?$")]
LevelCode = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+$")]
#: Text as a decision prints it (an option, a note): one line like a name, but may be long.
PrintedText = Annotated[
    str,
    AfterValidator(refuse_control_characters),
    AfterValidator(nfc),
    StringConstraints(min_length=1, max_length=2000),
]


class CriterionLevel(BaseModel):
    """One choosable level of a criterion."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: LevelCode
    points: Decimal = Field(ge=0)
    label_vi: PrintedText
    label_en: Name | None = None
    #: The criterion's case this option belongs to, where the criterion offers cases.
    case: LevelCode | None = None


class CriterionCase(BaseModel):
    """One of the alternative cases a criterion offers ("trường hợp"); choosing an option
    chooses its case (Decision 26's tourism sheet: a service run by the community or by an
    organisation)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: LevelCode
    label_vi: PrintedText


class Exclusion(BaseModel):
    """A condition that excludes a dossier from evaluation ("Hồ sơ bị loại khi …")."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]
    text_vi: PrintedText
    #: The criterion whose note states the condition; None for the sheet's own conditions.
    criterion: CriterionCode | None = None


class Criterion(BaseModel):
    """A criterion of a sheet, in part A, B or C."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: CriterionCode
    part: Annotated[str, StringConstraints(pattern=r"^[A-Z]$")]
    section_vi: Name
    name_vi: Name
    name_en: Name | None = None
    levels: tuple[CriterionLevel, ...] = Field(min_length=2)
    #: star -> the least level code that star requires ("tiêu chí bắt buộc").
    minimum_for_stars: dict[int, LevelCode] = Field(default_factory=dict)
    #: The alternative cases, when the criterion offers some; every level then names one.
    cases: tuple[CriterionCase, ...] = ()
    #: What the decision prints under the criterion: requirements, notes ("Yêu cầu", "Ghi chú").
    notes_vi: tuple[PrintedText, ...] = ()

    @model_validator(mode="after")
    def _check(self) -> Criterion:
        codes = [lv.code for lv in self.levels]
        if len(set(codes)) != len(codes):
            raise ValueError(f"{self.code}: level codes repeat")
        cases = [c.code for c in self.cases]
        if len(set(cases)) != len(cases):
            raise ValueError(f"{self.code}: case codes repeat")
        for lv in self.levels:
            if (lv.case is None) != (not cases) or (lv.case is not None and lv.case not in cases):
                raise ValueError(f"{self.code}: level {lv.code!r} must name one of {cases}")
        if any(all(lv.case != case for lv in self.levels) for case in cases):
            raise ValueError(f"{self.code}: a case has no level")
        for stars, level in self.minimum_for_stars.items():
            if not 1 <= stars <= 5:
                raise ValueError(f"{self.code}: minimum for {stars}★ is not a star")
            if level not in codes:
                raise ValueError(f"{self.code}: minimum level {level!r} is not a level")
        # Minimums are cumulative (a star needs the minimums of the stars below it too), so a
        # higher star's minimum below a lower star's would never bind: a transcription error.
        previous: tuple[int, Decimal] | None = None
        for stars in sorted(self.minimum_for_stars):
            required = self.level(self.minimum_for_stars[stars])
            assert required is not None
            if previous is not None and required.points < previous[1]:
                raise ValueError(
                    f"{self.code}: minimum for {stars}★ is below the minimum for {previous[0]}★"
                )
            previous = (stars, required.points)
        return self

    @property
    def max_points(self) -> Decimal:
        """The most this criterion can give."""
        return max(lv.points for lv in self.levels)

    def level(self, code: str) -> CriterionLevel | None:
        """The level with this code, if the criterion has it."""
        return next((lv for lv in self.levels if lv.code == code), None)


class ScoringSheet(BaseModel):
    """A complete sheet for one profile and product set."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    profile: str
    product_set: str
    #: True where the official sheet was not available and this one follows its shape only.
    sample: bool
    source: str
    #: The sheet's number in the decision's annex, and its heading as printed.
    number: int | None = Field(default=None, ge=1)
    title_vi: PrintedText | None = None
    #: Conditions that exclude a dossier whatever its score, the sheet's then its criteria's.
    exclusions: tuple[Exclusion, ...] = ()
    criteria: tuple[Criterion, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> ScoringSheet:
        codes = [c.code for c in self.criteria]
        if len(set(codes)) != len(codes):
            raise ValueError("criterion codes repeat")
        exclusions = [e.code for e in self.exclusions]
        if len(set(exclusions)) != len(exclusions):
            raise ValueError("exclusion codes repeat")
        for e in self.exclusions:
            if e.criterion is not None and e.criterion not in codes:
                raise ValueError(f"exclusion {e.code!r} names no criterion of this sheet")
        return self

    def criterion(self, code: str) -> Criterion | None:
        """The criterion with this code, if any."""
        return self.by_code.get(code)

    @cached_property
    def by_code(self) -> dict[str, Criterion]:
        """Criteria keyed by code, in sheet order."""
        return {c.code: c for c in self.criteria}

    def part_maxima(self) -> dict[str, Decimal]:
        """The most each part can give on this sheet."""
        out: dict[str, Decimal] = {}
        for c in self.criteria:
            out[c.part] = out.get(c.part, Decimal(0)) + c.max_points
        return out

    def problems_against(self, part_maxima: dict[str, int]) -> list[str]:
        """Where this sheet breaks its profile's part maxima (an empty list when it does not)."""
        problems = []
        for part, total in self.part_maxima().items():
            if part not in part_maxima:
                problems.append(f"part {part} is not a part of {self.profile}")
            elif total > part_maxima[part]:
                problems.append(f"part {part} can reach {total} > maximum {part_maxima[part]}")
        return problems
