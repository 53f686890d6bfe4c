"""The demo's scenario: what happens to each row of the Lạng Giang 2024 plan, from a seed.

Pure: no database. The branches the regulation has are fixed to plan rows, so every seed shows
them all — a product returned for supplement, one carried over to the next round, one not
recognised, the upgrade forwarded to the province, a certificate revoked after a failed
inspection. The seed chooses the councils' scores, and which other products reach 4★.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date
from typing import Literal

from ocop_cycle.plan.entries import PlanEntry

__all__ = [
    "CARRIED",
    "FORWARDED",
    "NOT_RECOGNIZED",
    "RETURNED",
    "REVOKED",
    "Fate",
    "RoundDates",
    "build_scenario",
]

#: Plan rows given the regulation's branches (``PlanEntry.ref``).
RETURNED = "new/4"  # Cơm cháy Chà bông: returned by the commune, resubmitted
CARRIED = "new/9"  # Mỳ gạo sạch Hoàng Kim: not scored in June, carried to October
NOT_RECOGNIZED = "new/7"  # Rượu Đông trùng Hạ thảo: scores under 50
FORWARDED = "upgrade/1"  # ADENCO cordyceps: 3★ → 4★, decided by the province
REVOKED = "new/6"  # Rượu nếp cái Hoa vàng: fails its 2025 inspection, revoked

#: [open] The chance that another product's council scores it in the 4★ band.
FOUR_STAR_CHANCE = 0.15


@dataclass(frozen=True, slots=True)
class RoundDates:
    """One of the plan's rounds ("Đợt 01: trước ngày 15/6/2024")."""

    number: int
    plan_round: str
    registration_deadline: date
    council_meeting_on: date
    scoring_deadline: date
    verify_on: date
    assign_on: date
    decide_on: date
    monitor_on: date


ROUNDS = (
    RoundDates(
        1,
        "2024-06",
        registration_deadline=date(2024, 5, 15),
        council_meeting_on=date(2024, 6, 5),
        scoring_deadline=date(2024, 6, 15),
        verify_on=date(2024, 3, 20),
        assign_on=date(2024, 5, 10),
        decide_on=date(2024, 6, 20),
        monitor_on=date(2024, 7, 1),
    ),
    RoundDates(
        2,
        "2024-10",
        registration_deadline=date(2024, 9, 13),
        council_meeting_on=date(2024, 10, 4),
        scoring_deadline=date(2024, 10, 15),
        verify_on=date(2024, 7, 15),
        assign_on=date(2024, 9, 10),
        decide_on=date(2024, 10, 25),
        monitor_on=date(2024, 11, 1),
    ),
)


@dataclass(frozen=True, slots=True)
class Fate:
    """What the scenario makes of one plan row."""

    ref: str
    section: str
    commune: str
    plan_round: str
    #: The round whose council scores it (the next one when carried over).
    scored_round: int
    #: ``district`` certifies 3★; ``province`` is forwarded and certified 4★ there.
    path: Literal["district", "province", "not_recognized"]
    district_score: int
    province_score: int | None
    returned: bool
    carried: bool
    revoked: bool

    @property
    def stars(self) -> int | None:
        """The stars it is certified at, or None."""
        return {"district": 3, "province": 4}.get(self.path)


def _band(rng: random.Random, low: int, high: int) -> int:
    # Members score the mean ±1, so the mean stays one point inside the band.
    return rng.randint(low + 1, high - 1)


def build_scenario(entries: tuple[PlanEntry, ...] | list[PlanEntry], seed: int) -> list[Fate]:
    """Each plan row's fate; the same seed gives the same fates."""
    rng = random.Random(seed)
    fates = []
    for e in entries:
        planned = next(r for r in ROUNDS if r.plan_round == e.round)
        carried = e.ref == CARRIED
        if e.ref == NOT_RECOGNIZED:
            path: Literal["district", "province", "not_recognized"] = "not_recognized"
        elif e.ref == FORWARDED:
            path = "province"
        elif e.ref == REVOKED or carried or e.ref == RETURNED:
            path = "district"
        else:
            path = "province" if rng.random() < FOUR_STAR_CHANCE else "district"
        district_score = {
            "not_recognized": lambda: _band(rng, 35, 49),
            "district": lambda: _band(rng, 50, 69),
            "province": lambda: _band(rng, 70, 89),
        }[path]()
        fates.append(
            Fate(
                ref=e.ref,
                section=e.section,
                commune=e.commune,
                plan_round=e.round,
                scored_round=planned.number + (1 if carried else 0),
                path=path,
                district_score=district_score,
                province_score=_band(rng, 70, 89) if path == "province" else None,
                returned=e.ref == RETURNED,
                carried=carried,
                revoked=e.ref == REVOKED,
            )
        )
    return fates
