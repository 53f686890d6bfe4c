"""The shipped plan of Lạng Giang district for 2024 (Biểu 1 and Biểu 2), as validated data.

The text is transcribed as the plan wrote it, spelling variants included (Núi Hản / Núi Hân,
Thôn Lẻ / Thôn Lê, ...); each row's ``note`` says where the two tables disagree.
"""

from __future__ import annotations

import csv
import io
from functools import cache
from importlib import resources
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ocop_cycle.errors import RuleDataInvalid
from ocop_cycle.rules.book import default_rule_book
from ocop_cycle.workflows.model import ProducerKind

__all__ = [
    "Commune",
    "PlanEntry",
    "SupportRequest",
    "lang_giang_2024",
    "lang_giang_communes",
    "with_codes",
]


class PlanEntry(BaseModel):
    """One product of Biểu 1: evaluated new, upgraded, or re-evaluated, in a round."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    section: Literal["new", "upgrade", "re_evaluation"]
    tt: str
    producer: str
    #: None when the name does not say it (to be completed before the dossier is registered).
    producer_kind: ProducerKind | None
    address: str
    village: str
    commune: str
    product: str
    #: Empty when the plan does not say it and it cannot be inferred (to be completed).
    product_group: str
    product_set: str
    #: The month of the round's council meeting, ``YYYY-MM`` ("Tháng 6/2024" is "2024-06").
    round: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")
    note: str
    #: The commune's official code on the plan's date (found from the address on import).
    commune_code: str = ""
    #: Its district's code on that date; empty after the 2025 reform (no district tier).
    district_code: str = ""

    @property
    def missing(self) -> tuple[str, ...]:
        """What must be completed before this row can become a dossier (Vietnamese labels)."""
        needed = (
            ("loại hình chủ thể", self.producer_kind is None),
            ("nhóm sản phẩm", not self.product_group),
            ("bộ sản phẩm", not self.product_set),
        )
        return tuple(label for label, absent in needed if absent)

    @property
    def ref(self) -> str:
        """How Biểu 2 and reports point at this row: ``section/tt`` (the product when no TT)."""
        return f"{self.section}/{self.tt or self.product}"

    @field_validator("product_set")
    @classmethod
    def _known_set(cls, value: str) -> str:
        book = default_rule_book()
        catalogues = [book.catalogue, *book.catalogues.values()]
        if value and all(c.group_of(value) is None for c in catalogues):
            raise ValueError(f"unknown product set {value!r}")
        return value


class SupportRequest(BaseModel):
    """One row of Biểu 2: support asked for trademark management and/or packaging and stamps."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    tt: str
    producer: str
    address: str
    product: str
    trademark: bool
    packaging_stamps: bool
    #: The Biểu 1 row of the same product (``PlanEntry.ref``); empty when Biểu 1 has none.
    plan_ref: str
    note: str


class Commune(BaseModel):
    """A commune or town of the plan with its official (GSO) codes in 2024 and its successor
    after the 2025 merger (codes read with the ``vietnamadminunits`` package when transcribed)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    commune: str
    commune_code: str
    district_code: str
    province_code: str
    successor_2025_code: str
    successor_2025_name: str


@cache
def lang_giang_communes() -> dict[str, Commune]:
    """The district's 19 communes and towns (the plan names 17), by the name the plan uses."""
    return {r["commune"]: Commune.model_validate(r) for r in _rows("communes.csv")}


def _rows(name: str) -> list[dict[str, str]]:
    node = resources.files("ocop_cycle.plan") / "data" / "lang_giang_2024" / name
    return list(csv.DictReader(io.StringIO(node.read_text(encoding="utf-8"))))


def with_codes(entry: PlanEntry) -> PlanEntry:
    """A Lạng Giang row with its commune's and district's codes (the shipped CSV names them)."""
    commune = lang_giang_communes().get(entry.commune)
    if commune is None or entry.commune_code:
        return entry
    return entry.model_copy(
        update={"commune_code": commune.commune_code, "district_code": commune.district_code}
    )


@cache
def lang_giang_2024() -> tuple[tuple[PlanEntry, ...], tuple[SupportRequest, ...]]:
    """Biểu 1 and Biểu 2 of the Lạng Giang 2024 plan, validated (loaded once, on first use)."""
    try:
        entries = tuple(with_codes(PlanEntry.model_validate(r)) for r in _rows("bieu1.csv"))
        support = tuple(SupportRequest.model_validate(r) for r in _rows("bieu2.csv"))
    except ValidationError as exc:
        raise RuleDataInvalid("lang_giang_2024", [str(exc)]) from exc
    for entry in entries:
        group = default_rule_book().catalogue.group_of(entry.product_set)
        if group is None or group.code != entry.product_group:
            raise RuleDataInvalid("lang_giang_2024", [f"{entry.product}: set not in group"])
    refs = {e.ref for e in entries}
    dangling = [s.tt for s in support if s.plan_ref and s.plan_ref not in refs]
    if dangling:
        raise RuleDataInvalid("lang_giang_2024", [f"Biểu 2 rows {dangling}: unknown plan_ref"])
    return entries, support
