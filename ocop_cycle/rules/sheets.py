"""Scoring sheets ("phiếu đánh giá"): one per rule profile and product set, loaded as data.

A criterion is scored by choosing exactly one of its fixed levels, each worth fixed points. A
criterion may demand a minimum level for a star ("điểm liệt"): miss it and the product cannot be
ranked at that star, nor at any star above it, whatever its total (minimums are cumulative).
"""

from __future__ import annotations

from decimal import Decimal
from functools import cached_property
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from ocop_cycle.text import Name

__all__ = ["Criterion", "CriterionLevel", "ScoringSheet"]

CriterionCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]\d+[a-z]?$")]
LevelCode = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+$")]


class CriterionLevel(BaseModel):
    """One choosable level of a criterion."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: LevelCode
    points: Decimal = Field(ge=0)
    label_vi: Name
    label_en: Name


class Criterion(BaseModel):
    """A criterion of a sheet, in part A, B or C."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: CriterionCode
    part: Annotated[str, StringConstraints(pattern=r"^[A-Z]$")]
    section_vi: Name
    name_vi: Name
    name_en: Name
    levels: tuple[CriterionLevel, ...] = Field(min_length=2)
    #: star -> the least level code that star requires ("tiêu chí bắt buộc").
    minimum_for_stars: dict[int, LevelCode] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check(self) -> Criterion:
        codes = [lv.code for lv in self.levels]
        if len(set(codes)) != len(codes):
            raise ValueError(f"{self.code}: level codes repeat")
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
    criteria: tuple[Criterion, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> ScoringSheet:
        codes = [c.code for c in self.criteria]
        if len(set(codes)) != len(codes):
            raise ValueError("criterion codes repeat")
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
