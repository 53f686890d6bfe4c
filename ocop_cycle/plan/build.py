"""An office's Biểu 1 into a :class:`Plan`: places found through the administrative units of the
plan's date, what the table does not say inferred where unambiguous, every problem listed.

What cannot be inferred (a producer's legal form, a product's group and set) is not a problem:
the row is kept and reported as to be completed before scoring.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from ocop_cycle.plan.entries import PlanEntry
from ocop_cycle.plan.grid import LayoutProblem
from ocop_cycle.plan.layout import Bieu1
from ocop_cycle.plan.model import Plan, PlanCommune, PlanRound
from ocop_cycle.plan.places import CommuneFinder, Place, fold
from ocop_cycle.plan.rows import SheetRow, Withdrawn
from ocop_cycle.plan.targets import PlanTarget
from ocop_cycle.rules.book import RuleBook
from ocop_cycle.rules.units import AdminUnit, UnitLevel
from ocop_cycle.workflows.model import DossierKind, ProducerKind

__all__ = ["BuiltPlan", "build_plan", "producer_key", "producer_kind_of"]

_KINDS = (
    ("hợp tác xã", ProducerKind.COOPERATIVE),
    ("htx", ProducerKind.COOPERATIVE),
    ("hộ kd", ProducerKind.HOUSEHOLD_BUSINESS),
    ("hộ kinh doanh", ProducerKind.HOUSEHOLD_BUSINESS),
    ("công ty", ProducerKind.ENTERPRISE),
    ("cty", ProducerKind.ENTERPRISE),
    ("doanh nghiệp", ProducerKind.ENTERPRISE),
    ("dntn", ProducerKind.ENTERPRISE),
    ("tổ hợp tác", ProducerKind.COOPERATIVE_GROUP),
    ("tht", ProducerKind.COOPERATIVE_GROUP),
    ("hiệp hội", ProducerKind.ASSOCIATION),
    ("hội", ProducerKind.ASSOCIATION),
    ("trang trại", ProducerKind.FARM),
    ("hộ sản xuất", ProducerKind.PRODUCTION_HOUSEHOLD),
    ("trung tâm điều hành", ProducerKind.OPERATION_CENTRE),
)


#: A legal form's long and short spellings, folded: one producer whichever a table uses.
_SHORT = (
    (re.compile(r"\bhop tac xa\b"), "htx"),
    (re.compile(r"\bto hop tac\b"), "tht"),
    (re.compile(r"\bho (?:kinh doanh|kd)\b"), "hkd"),
    (re.compile(r"\bcong ty\b"), "cty"),
    (re.compile(r"\bdoanh nghiep tu nhan\b"), "dntn"),
    (re.compile(r"\bdoanh nghiep\b"), "dn"),
)


def producer_key(name: str) -> str:
    """``name`` folded, its legal form abbreviated: "Hợp tác xã Mật ong" and "HTX mật ong" are
    one producer (a key to compare names by, never a name to show or to store)."""
    key = " ".join(fold(name).split())
    for long, short in _SHORT:
        key = long.sub(short, key)
    return key


#: Producers named after a person ("Hộ kinh doanh Trần Văn An").
_PEOPLE = (ProducerKind.HOUSEHOLD_BUSINESS, ProducerKind.PRODUCTION_HOUSEHOLD)


def producer_kind_of(name: str) -> ProducerKind | None:
    """The legal form a producer's name starts with ("HTX …" → cooperative), if it says."""
    folded = fold(name)
    for prefix, kind in _KINDS:
        if folded.startswith(fold(prefix)) and (
            len(folded) == len(fold(prefix)) or not folded[len(fold(prefix))].isalnum()
        ):
            return kind
    return None


@dataclass
class BuiltPlan:
    """The plan (None when any problem), its problems, and per-line notices."""

    plan: Plan | None = None
    problems: list[LayoutProblem] = field(default_factory=list)
    #: (line, text): places taken from an old name or the producer's name, inferred sets.
    notices: list[tuple[int, str]] = field(default_factory=list)
    #: The line of the file each entry was read from, by ``PlanEntry.ref``.
    lines: dict[str, int] = field(default_factory=dict)
    #: Product rows the table marks withdrawn: not rows of the plan.
    withdrawn: list[Withdrawn] = field(default_factory=list)


def _phrases(name_vi: str) -> list[str]:
    parts = re.split(r",|\bvà\b|\bvà các\b", name_vi)
    return [fold(p) for p in parts if len(fold(p).strip()) >= 2]


def _infer_set(
    rules: RuleBook, profile_id: str, product: str, within: str = ""
) -> tuple[str, str] | None:
    """(group, set) when exactly one set's name -- of the group ``within``, if given -- begins
    the product's ("Mật ong …" → honey)."""
    name = fold(product)
    hits: set[tuple[str, str]] = set()
    for group in rules.catalogue_for(profile_id).groups:
        if within and group.code != within:
            continue
        for s in group.sets:
            for phrase in _phrases(s.name_vi):
                p = phrase.strip()
                if name == p or name.startswith(p + " "):
                    hits.add((group.code, s.code))
    return next(iter(hits)) if len(hits) == 1 else None


def _given_set(rules: RuleBook, profile_id: str, row: SheetRow) -> tuple[str, str] | str | None:
    """The (group, set) the row's optional columns give, by code or Vietnamese name; a message
    when they name none or disagree; None when they are blank."""
    if not row.group and not row.product_set:
        return None
    groups = rules.catalogue_for(profile_id).groups
    group = None
    if row.group:
        group = next(
            (g for g in groups if row.group == g.code or fold(row.group) == fold(g.name_vi)), None
        )
        if group is None:
            return f"unknown product group {row.group!r}"
    if not row.product_set:
        return (group.code, "") if group is not None else None
    for g in groups:
        for s in g.sets:
            if row.product_set == s.code or fold(row.product_set) == fold(s.name_vi):
                if group is not None and group.code != g.code:
                    return f"product set {row.product_set!r} is not of group {row.group!r}"
                return g.code, s.code
    return f"unknown product set {row.product_set!r}"


def _targets(rows: list[PlanEntry], titles: dict[str, str]) -> tuple[PlanTarget, ...]:
    """The plan's counts as targets: each section's rows recognised in the year."""
    counts = {
        k: sum(1 for e in rows if e.section == k) for k in ("new", "upgrade", "re_evaluation")
    }
    stars = re.search(r"(\d)\s*sao", titles.get("upgrade", "").split("lên")[-1])
    specs = (
        ("new", "new_products_3_star", "Sản phẩm mới đạt 3 sao trở lên", "New products at 3★+", 3),
        (
            "re_evaluation",
            "re_evaluated",
            "Sản phẩm đánh giá lại được công nhận",
            "Products re-evaluated and recognised again",
            3,
        ),
        (
            "upgrade",
            "upgraded",
            "Sản phẩm nâng hạng sao",
            "Products upgraded",
            int(stars.group(1)) if stars and 3 <= int(stars.group(1)) <= 5 else 3,
        ),
    )
    return tuple(
        PlanTarget(
            id=tid,
            label_vi=label_vi,
            label_en=label_en,
            measure="products",
            kinds=(DossierKind(kind),),
            min_stars=min_stars,
            target=counts[kind],
            source=f"Biểu 1: {titles.get(kind, kind)}",
        )
        for kind, tid, label_vi, label_en, min_stars in specs
        if counts[kind]
    )


def _lower_kind(unit: AdminUnit) -> str:
    full = unit.full_name
    return full[0].lower() + full[1:]


def build_plan(
    table: Bieu1,
    *,
    unit: AdminUnit,
    year: int,
    dated: date,
    rules: RuleBook,
) -> BuiltPlan:
    """Check every row of ``table`` and make the plan (all rows, or none with the problems)."""
    out = BuiltPlan(
        problems=list(table.problems),
        notices=list(table.notices),
        withdrawn=list(table.withdrawn),
    )
    finder = CommuneFinder(rules.units, unit, dated)
    profile = rules.profile_in_force(dated)
    entries: list[PlanEntry] = []
    seen: dict[tuple[str, str], int] = {}
    titles: dict[str, str] = {}
    for row in table.rows:
        titles.setdefault(row.section, row.section_title)
        entry = _entry(row, finder, rules, profile.id, out)
        key = (producer_key(row.producer), fold(row.product))
        if key in seen:
            out.problems.append(
                LayoutProblem(row.line, f"duplicated product {row.product!r} (line {seen[key]})")
            )
            continue
        seen[key] = row.line
        if entry is not None:
            entries.append(entry)
            out.lines[entry.ref] = row.line
    for round_key, _ in table.rounds:
        if not round_key.startswith(str(year)):
            out.notices.append((0, f"round {round_key} is outside the plan's year {year}"))
    if out.problems:
        out.problems.sort(key=lambda p: p.line)
        return out
    province = unit if unit.level is UnitLevel.PROVINCE else rules.units.parent(unit)
    out.plan = Plan(
        year=year,
        unit_code=unit.code,
        unit_level="province" if unit.level is UnitLevel.PROVINCE else "district",
        unit_name=unit.full_name,
        province_code=province.code if province is not None else unit.code,
        plan_vi=f"Kế hoạch OCOP năm {year} — {unit.full_name}",
        dated=dated,
        rounds=tuple(PlanRound(key=k, label_vi=label) for k, label in table.rounds),
        targets=_targets(entries, titles),
        communes=tuple(PlanCommune(code=c.code, name=_lower_kind(c)) for c in finder.communes),
        entries=tuple(entries),
    )
    return out


def _entry(
    row: SheetRow, finder: CommuneFinder, rules: RuleBook, profile_id: str, out: BuiltPlan
) -> PlanEntry | None:
    place, said = _place(row, finder, out)
    if isinstance(place, str):
        out.problems.append(LayoutProblem(row.line, place))
        return None
    if place.note:
        out.notices.append((row.line, place.note))
    address = row.address
    if said and fold(said) not in fold(address):  # the address with the commune it is in
        address = f"{address}, {said}" if address else said
    given = _given_set(rules, profile_id, row)
    if isinstance(given, str):
        out.problems.append(LayoutProblem(row.line, given))
        return None
    group, product_set = given or ("", "")
    if not product_set:  # a group given alone narrows the inference, it does not replace it
        inferred = _infer_set(rules, profile_id, row.product, within=group)
        if inferred is not None:
            group, product_set = inferred
            out.notices.append((row.line, f"bộ sản phẩm suy ra từ tên: {product_set}"))
    district = next(
        (
            a.code
            for a in rules.units.ancestors(place.unit.code, on=finder.on)
            if a.level is UnitLevel.DISTRICT
        ),
        "",
    )
    village = address.split(",")[0].strip() if "," in address else ""
    return PlanEntry(
        section=row.section,
        tt=row.tt,
        producer=row.producer,
        producer_kind=producer_kind_of(row.producer),
        address=address,
        village=village,
        commune=_lower_kind(place.unit),
        product=row.product,
        product_group=group,
        product_set=product_set,
        round=row.rounds[0],
        note=row.note,
        commune_code=place.unit.code,
        district_code=district,
    )


def _place(row: SheetRow, finder: CommuneFinder, out: BuiltPlan) -> tuple[Place | str, str]:
    """A row's commune, and the commune column's or heading's text when it came from one: the
    commune column's; else the address's; else the commune heading's it stands under; else,
    only an organisation's (a household's is a person's), its name's. An address naming another
    commune than its heading is said."""
    if row.commune:
        return finder.named(row.commune), row.commune
    kind = producer_kind_of(row.producer)
    fallback = row.producer if kind is not None and kind not in _PEOPLE else ""
    if not row.place:
        return finder.resolve(row.address, fallback=fallback), ""
    heading = finder.named(row.place)
    found = finder.resolve(row.address) if row.address else None
    if not isinstance(found, Place):
        return heading, row.place
    if isinstance(heading, Place) and heading.unit.code != found.unit.code:
        out.notices.append(
            (
                row.line,
                f"địa chỉ ghi {found.unit.full_name}, dòng tiêu đề ghi {row.place!r}: theo địa "
                "chỉ (the address names another commune than its heading: the address's)",
            )
        )
    return found, ""
