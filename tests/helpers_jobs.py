"""Setting up many due deadlines quickly, for the scheduler tests."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

from ocop_cycle import Dossier, Engine, Role
from ocop_cycle.rules.units import REFORM_DATE
from tests.scenario import LANG_GIANG, PROVINCE_ONLY


def import_certificates(
    engine: Engine, count: int, decision: date, tag: str, threads: int = 1, batch: int = 1
) -> list[object]:
    """``count`` certificates issued on ``decision`` under the profile then in force; with
    ``batch``, that many to a transaction (``unit_of_work``: one commit for many, where a
    test needs thousands as its setting, not as what it checks)."""
    profile = engine.rules.profile_in_force(decision)
    level = next(t.level for t in profile.tiers if t.certifies_up_to >= 3)

    # Imports are made today: after the 2025 reform the province holds the district's authority.
    today = engine.clock.now().date()
    office = (
        LANG_GIANG.actor(Role.DISTRICT_OFFICE)
        if today < REFORM_DATE
        else PROVINCE_ONLY.actor(Role.PROVINCE_OFFICE)
    )

    # The certificate's codes are those in force when it was issued.
    place = LANG_GIANG if decision < REFORM_DATE else PROVINCE_ONLY

    def one(i: int, on: Engine = engine) -> object:
        return on.import_certificate(
            actor=office,
            profile_id=profile.id,
            producer={"name": f"Chủ thể {tag} {i}", "kind": "cooperative"},
            product={"name": f"Sản phẩm {tag} {i}", "group": "food", "product_set": "honey"},
            commune_code=place.commune,
            district_code=place.district,
            province_code=place.province,
            stars=3,
            level=level,
            decision_number=f"{i}/QĐ-{tag}",
            decision_date=decision,
            issuing_body="UBND huyện Lạng Giang",
        ).id

    def chunk(start: int) -> list[object]:
        with engine.unit_of_work() as uow:
            return [one(i, uow) for i in range(start, min(start + batch, count))]

    if batch > 1:
        starts = range(0, count, batch)
        if threads == 1:
            return [found for start in starts for found in chunk(start)]
        with ThreadPoolExecutor(threads) as pool:
            return [found for done in pool.map(chunk, starts) for found in done]
    if threads == 1:
        return [one(i) for i in range(count)]
    with ThreadPoolExecutor(threads) as pool:  # PostgreSQL: group commit across connections
        return list(pool.map(one, range(count)))


def decision_with_only_first_notice_due(today: date, profile_days: int = 36) -> date:
    """A decision date whose certificate's 90-day notice is due today but not the 60-day one."""
    valid_until = today + timedelta(days=75)
    return valid_until - relativedelta(months=profile_days)  # the Civil Code's counting


def district_certificate(
    engine: Engine, decision: date, producer_name: str, producer_kind: str = "cooperative"
) -> Dossier:
    """One 3★ honey certificate issued by huyện Lạng Giang on ``decision`` under Decision
    148, imported by the district office (the clock must be before the 2025 reform)."""
    return engine.import_certificate(
        actor=LANG_GIANG.actor(Role.DISTRICT_OFFICE),
        profile_id="qd148-2023",
        producer={"name": producer_name, "kind": producer_kind},
        product={"name": f"Mật ong của {producer_name}", "group": "food", "product_set": "honey"},
        commune_code=LANG_GIANG.commune,
        district_code=LANG_GIANG.district,
        province_code=LANG_GIANG.province,
        stars=3,
        level="district",
        decision_number=f"{decision:%d%m}/QĐ-UBND",
        decision_date=decision,
        issuing_body="UBND huyện Lạng Giang",
    )
