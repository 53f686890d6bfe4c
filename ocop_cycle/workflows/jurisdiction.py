"""Places and who acts for them, on a date: the 2025 reform made codes meaningful only with one.

Three questions, all pure (the administrative units are data, ``rules.units``):

- Is (commune, district, province) one place on the command's date? Each code must name a unit
  of its tier that day, the commune inside the others. A unit that no longer exists is refused
  with a reason naming its successor.
- Does an actor's jurisdiction exist on the day it acts? District actors after 30/06/2025 do
  not: the refusal names the unit that took over.
- Does an actor act for a dossier's unit? Its own unit, or — from the successor's start — the
  unit that succeeded it: xã Lạng Giang (07375) acts, from 01/07/2025, for a 2024 dossier of xã
  Xương Lâm (07426); tỉnh Bắc Ninh "24" for one of tỉnh Bắc Giang "24".
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

from ocop_cycle.errors import PlaceRefused, Reason, UnitNotFound
from ocop_cycle.rules.authority import CENTRAL, Level, Role, role_level
from ocop_cycle.rules.profiles import RuleProfile
from ocop_cycle.rules.units import AdminUnit, UnitLevel, UnitRegistry
from ocop_cycle.workflows.model import Dossier, DossierKind

__all__ = [
    "acts_for",
    "addressee",
    "carriers",
    "place_problems",
    "proposing_place",
    "recorded_on",
    "refiled_place",
    "successor_codes",
    "territory",
    "unit_refusal",
]

_TIER_VI = {
    UnitLevel.COMMUNE: "cấp xã",
    UnitLevel.DISTRICT: "cấp huyện",
    UnitLevel.PROVINCE: "cấp tỉnh",
}


def _names(units: tuple[AdminUnit, ...]) -> str:
    return ", ".join(f"{u.full_name} ({u.code})" for u in units)


def unit_refusal(
    units: UnitRegistry, code: str, on: date, field: str = "jurisdiction"
) -> Reason | None:
    """Why ``code`` names no unit on ``on`` (its successor named when it ended), or None."""
    if code == CENTRAL or units.unit(code, on=on) is not None:
        return None
    records = units.records(code)
    ended = [r for r in records if r.valid_until is not None and r.valid_until < on]
    if ended:
        last = ended[-1]
        after = units.successor_on(code, on, recorded_on=last.valid_until)
        assert last.valid_until is not None
        since = (last.valid_until + timedelta(days=1)).strftime("%d/%m/%Y")
        return Reason(
            "unit.ended",
            f"{last.full_name} ({code}) không còn từ ngày {since}; đơn vị kế thừa: "
            f"{_names(after) or 'không có'}",
            f"{field} {code} ({last.full_name}) ended on {last.valid_until}; succeeded by "
            f"{', '.join(u.code for u in after) or 'nothing'}",
        )
    if records:
        return Reason(
            "unit.not_yet",
            f"Mã {code} chưa có hiệu lực vào ngày {on.strftime('%d/%m/%Y')}",
            f"{field} {code} names no unit yet on {on.isoformat()}",
        )
    return Reason(
        "unit.unknown",
        f"Mã {code} không phải mã đơn vị hành chính",
        f"{field} {code} names no administrative unit",
    )


def place_problems(
    units: UnitRegistry,
    commune: str | None,
    district: str | None,
    province: str,
    on: date,
) -> list[Reason]:
    """Why (commune, district, province) is not one place on ``on``; empty when it is."""
    problems: list[Reason] = []
    given = [
        ("commune_code", commune, UnitLevel.COMMUNE),
        ("district_code", district, UnitLevel.DISTRICT),
        ("province_code", province, UnitLevel.PROVINCE),
    ]
    valid: dict[UnitLevel, str] = {}
    for field, code, level in given:
        if code is None:
            continue
        if code == CENTRAL:  # the country is an actor's jurisdiction, never a dossier's place
            problems.append(
                Reason(
                    "unit.wrong_tier",
                    f"{CENTRAL} là cả nước, không phải đơn vị {_TIER_VI[level]}",
                    f"{field} {code} is the whole country, not a {level.value}",
                )
            )
            continue
        refusal = unit_refusal(units, code, on, field)
        if refusal is not None:
            problems.append(refusal)
            continue
        unit = units.unit(code, on=on)
        assert unit is not None
        if unit.level is not level:
            problems.append(
                Reason(
                    "unit.wrong_tier",
                    f"{unit.full_name} ({code}) không phải đơn vị {_TIER_VI[level]}",
                    f"{field} {code} is a {unit.level.value}, not a {level.value}",
                )
            )
            continue
        valid[level] = code
    inner = valid.get(UnitLevel.COMMUNE) or valid.get(UnitLevel.DISTRICT)
    for outer_level in (UnitLevel.DISTRICT, UnitLevel.PROVINCE):
        outer = valid.get(outer_level)
        if inner is None or outer is None or inner == outer:
            continue
        if not units.contains(outer, inner, on=on):
            inner_unit = units.unit(inner, on=on)
            outer_unit = units.unit(outer, on=on)
            assert inner_unit is not None
            assert outer_unit is not None
            problems.append(
                Reason(
                    "unit.outside",
                    f"{inner_unit.full_name} ({inner}) không thuộc {outer_unit.full_name} "
                    f"({outer}) vào ngày {on.strftime('%d/%m/%Y')}",
                    f"{inner} does not lie in {outer} on {on.isoformat()}",
                )
            )
    return problems


def carriers(units: UnitRegistry, code: str, on: date, recorded_on: date) -> tuple[AdminUnit, ...]:
    """The units that, on ``on``, carry ``code`` as it was on ``recorded_on`` (itself while it
    exists; its successors after). Empty for a code the data does not know."""
    return _carriers(units, code, on, recorded_on)


# Asked for every notice and authorisation, with few distinct answers (one per place and day);
# a registry never changes once built. Bounded: a long-running service sees new days.
@lru_cache(maxsize=4096)
def _carriers(units: UnitRegistry, code: str, on: date, recorded_on: date) -> tuple[AdminUnit, ...]:
    try:
        return units.successor_on(code, on, recorded_on=recorded_on)
    except UnitNotFound:
        return ()


def successor_codes(
    units: UnitRegistry, code: str | None, on: date, recorded_on: date
) -> tuple[str, ...]:
    """The codes carrying ``code`` on ``on`` (the default first for a split commune)."""
    if code is None:
        return ()
    found = carriers(units, code, on, recorded_on)
    return tuple(u.code for u in found) if found else (code,)


def acts_for(
    units: UnitRegistry, actor_code: str, dossier_code: str | None, on: date, recorded_on: date
) -> bool:
    """Whether an actor of ``actor_code`` acts, on ``on``, for ``dossier_code`` as recorded on
    ``recorded_on``: the same unit, or the unit (or one containing it) that succeeded it."""
    return _acts_for(units, actor_code, dossier_code, on, recorded_on)


@lru_cache(maxsize=4096)  # as ``_carriers``
def _acts_for(
    units: UnitRegistry, actor_code: str, dossier_code: str | None, on: date, recorded_on: date
) -> bool:
    if dossier_code is None:
        return False
    found = carriers(units, dossier_code, on, recorded_on)
    if not found:  # a code the data does not know: only itself
        return actor_code == dossier_code
    return any(u.code == actor_code or units.contains(actor_code, u.code, on=on) for u in found)


def recorded_on(dossier: Dossier) -> date:
    """The day a dossier's codes were read on: its registration, or for an imported
    certificate the decision that issued it."""
    if dossier.kind is DossierKind.IMPORTED and dossier.certified_on is not None:
        return dossier.certified_on
    return dossier.registered_at.date()


def refiled_place(
    units: UnitRegistry,
    certificate: Dossier,
    given: tuple[str | None, str | None, str | None],
    on: date,
    *,
    has_district_tier: bool,
) -> tuple[str | None, str | None, str]:
    """Where a re-evaluation of ``certificate`` is filed on ``on``: the codes given, else the
    units that carry the certificate's that day (a commune split by the reform must be named).
    A district is kept only where the profile has a district tier and the district exists."""
    commune, district, province = given
    since = recorded_on(certificate)
    if commune is None and certificate.commune_code is not None:
        options = successor_codes(units, certificate.commune_code, on, since)
        if len(options) > 1:
            raise PlaceRefused(
                "register_reevaluation",
                [
                    Reason(
                        "unit.split",
                        f"Xã {certificate.commune_code} đã được chia cho nhiều đơn vị "
                        f"({', '.join(options)}): phải ghi rõ mã xã",
                        f"commune {certificate.commune_code} was split into {options}: name "
                        "the commune_code",
                    )
                ],
            )
        commune = options[0]
    kept = certificate.district_code
    if district is None and has_district_tier and kept is not None and units.unit(kept, on=on):
        district = kept
    if province is None:
        province = successor_codes(units, certificate.province_code, on, since)[0]
    return commune, district, province


_UNIT_LEVEL = {
    Level.COMMUNE: UnitLevel.COMMUNE,
    Level.DISTRICT: UnitLevel.DISTRICT,
    Level.PROVINCE: UnitLevel.PROVINCE,
}


def addressee(
    units: UnitRegistry,
    profile: RuleProfile,
    role: Role,
    code: str,
    on: date,
    recorded_on: date,
) -> tuple[Role, str]:
    """Who receives, on ``on``, what the rules address to ``role`` of ``code`` (as recorded on
    ``recorded_on``): after a handover, the role that took over, in the unit that carries the
    old one (a notice for district 217's committee in 2026 goes to tỉnh Bắc Ninh's)."""
    acting = profile.acting_roles((role,), on)[0]
    if code == CENTRAL or (acting is role and units.unit(code, on=on) is not None):
        return acting, code
    level = role_level(acting)
    for unit in carriers(units, code, on, recorded_on):
        if level is None or level is Level.CENTRAL:
            return acting, unit.code
        wanted = _UNIT_LEVEL[level]
        if unit.level is wanted:
            return acting, unit.code
        for above in units.ancestors(unit.code, on=on):
            if above.level is wanted:
                return acting, above.code
    return acting, code


def territory(units: UnitRegistry, code: str, on: date) -> set[str]:
    """``code`` as it is on ``on`` and every unit it succeeded, transitively: the codes a
    dossier of its territory may have been filed under. ``UnitNotFound`` when ``code`` names
    nothing that day."""
    if units.unit(code, on=on) is None:
        raise UnitNotFound(code, on)
    found = {code}
    frontier = list(units.predecessors(code, on=on))
    while frontier:
        unit = frontier.pop()
        if unit.code in found and unit.valid_until is None:
            continue
        found.add(unit.code)
        if unit.valid_from is not None:
            frontier.extend(
                p for p in units.predecessors(unit.code, on=unit.valid_from) if p.code not in found
            )
    return found


def proposing_place(units: UnitRegistry, dossier: Dossier, on: date) -> tuple[str, str]:
    """(province, commune) that propose ``dossier`` on ``on``: its own, or the units that carry
    them after the reform. A product code is numbered in this commune."""
    since = recorded_on(dossier)
    commune = dossier.commune_code or dossier.province_code
    return (
        successor_codes(units, dossier.province_code, on, since)[0],
        successor_codes(units, commune, on, since)[0],
    )
