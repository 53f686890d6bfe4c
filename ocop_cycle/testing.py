"""Helpers for hosts' tests and demos: actors of one place, council sessions with a given score.

Importing this module does nothing; nothing here touches a database.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

from ocop_cycle.rules.authority import CENTRAL, Actor, Role
from ocop_cycle.rules.profiles import RuleProfile
from ocop_cycle.rules.scoring import CouncilSession, MemberSheet
from ocop_cycle.rules.sheets import ScoringSheet

__all__ = ["Place", "levels_for", "seeded_ids", "session_for"]


@dataclass(frozen=True)
class Place:
    """A commune, its district (if any) and province: hands out actors acting for them."""

    commune: str = "07426"  # xã Xương Lâm
    district: str | None = "217"  # huyện Lạng Giang
    province: str = "24"  # tỉnh Bắc Giang

    def actor(self, role: Role, id: str | None = None) -> Actor:
        """An actor of ``role`` acting for this place's matching tier."""
        code = {
            Role.PRODUCER: self.commune,
            Role.COMMUNE_OFFICER: self.commune,
            Role.COMMUNE_COMMITTEE: self.commune,
            Role.DISTRICT_OFFICE: self.district,
            Role.DISTRICT_COUNCIL: self.district,
            Role.DISTRICT_COMMITTEE: self.district,
            Role.PROVINCE_OFFICE: self.province,
            Role.PROVINCE_COUNCIL: self.province,
            Role.PROVINCE_COMMITTEE: self.province,
            Role.INSPECTOR: self.district or self.province,
        }.get(role, CENTRAL)
        if code is None:
            raise ValueError(f"{role} needs a district and this place has none")
        return Actor(role=role, jurisdiction=code, id=id)


def levels_for(
    sheet: ScoringSheet, profile: RuleProfile, target: Decimal | int, miss: tuple[str, ...] = ()
) -> dict[str, str]:
    """Levels (criterion -> level code) whose points total ``target`` on ``sheet``.

    Mandatory minimums for the target's star are met unless the criterion is listed in
    ``miss``, which is held at its lowest level (to test the star cap).
    """
    target = Decimal(target)
    stars = profile.stars_for(target)
    chosen: dict[str, int] = {}
    for c in sheet.criteria:
        floor = 0
        if c.code not in miss:
            needed = [lv for s, lv in c.minimum_for_stars.items() if s <= stars]
            for code in needed:
                floor = max(floor, next(i for i, lv in enumerate(c.levels) if lv.code == code))
        chosen[c.code] = floor

    def total() -> Decimal:
        return sum((c.levels[chosen[c.code]].points for c in sheet.criteria), Decimal(0))

    if total() > target:
        raise ValueError(f"{target} is below what the sheet's minimums give ({total()})")
    for c in sheet.criteria:
        if c.code in miss:
            continue
        while chosen[c.code] + 1 < len(c.levels):
            step = c.levels[chosen[c.code] + 1].points - c.levels[chosen[c.code]].points
            if total() + step > target:
                break
            chosen[c.code] += 1
    if total() != target:
        raise ValueError(f"cannot reach exactly {target} on this sheet (got {total()})")
    return {c.code: c.levels[chosen[c.code]].code for c in sheet.criteria}


def session_for(
    sheet: ScoringSheet,
    profile: RuleProfile,
    totals: list[Decimal | int],
    miss: tuple[str, ...] = (),
    council_size: int | None = None,
) -> CouncilSession:
    """A valid session whose members' totals are ``totals`` (the first member chairs)."""
    members = [f"Thành viên {i + 1}" for i in range(len(totals))]
    return CouncilSession(
        council_size=council_size or len(totals),
        chair=members[0],
        present=tuple(members),
        sheets=tuple(
            MemberSheet(member=m, levels=levels_for(sheet, profile, t, miss))
            for m, t in zip(members, totals, strict=True)
        ),
    )


def seeded_ids(seed: int | str) -> Callable[[], UUID]:
    """An id factory for ``Engine(..., ids=...)``: the same seed gives the same sequence of
    version-4 UUIDs, so a run repeated from the same seed writes the same ids (and hashes).
    Safe to share between threads (the sequence is then in call order)."""
    generator = random.Random(f"ocop-cycle ids|{seed}")
    lock = threading.Lock()

    def next_id() -> UUID:
        with lock:
            return UUID(int=generator.getrandbits(128), version=4)

    return next_id
