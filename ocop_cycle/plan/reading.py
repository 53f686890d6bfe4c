"""``read_plan``: a plan file read and checked into a :class:`Plan`, every problem of every row
with its line, or none.

Two layouts are read: Biểu 1 as offices publish it (title rows, a two-row header, sections,
continuation rows, repeated headers — see :mod:`ocop_cycle.plan.layout`), for any district or
province, with Biểu 2 under it, on a sheet of its own or in a file of its own; and the machine
layout of the shipped Lạng Giang plan (``section, tt, producer, …`` on row 1). The issuing unit
and the year are the title's unless given.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from pydantic import ValidationError

from ocop_cycle.plan.bieu2 import is_bieu2_start, read_bieu2
from ocop_cycle.plan.build import build_plan, producer_kind_of
from ocop_cycle.plan.entries import PlanEntry, lang_giang_communes, with_codes
from ocop_cycle.plan.files import read_file, read_grid
from ocop_cycle.plan.grid import CellMarks, Grid, LayoutProblem, PlanFile
from ocop_cycle.plan.layout import read_bieu1
from ocop_cycle.plan.model import Plan, shipped_plan_with
from ocop_cycle.plan.places import fold
from ocop_cycle.plan.rows import Withdrawn
from ocop_cycle.rules.book import RuleBook, default_rule_book
from ocop_cycle.rules.units import AdminUnit, UnitLevel

__all__ = ["REQUIRED", "PlanProblem", "PlanRead", "read_plan", "read_plan_csv"]

#: A bad row: its line in the file and what is wrong.
PlanProblem = LayoutProblem

REQUIRED = [
    "section",
    "producer",
    "address",
    "commune",
    "product",
    "product_group",
    "product_set",
    "round",
]


@dataclass
class PlanRead:
    """A file read: the plan (None with problems), the problems, and notices by line."""

    plan: Plan | None = None
    problems: list[LayoutProblem] = field(default_factory=list)
    notices: list[tuple[int, str]] = field(default_factory=list)
    #: The line of the file each entry was read from, by ``PlanEntry.ref`` (for ``import_plan``
    #: to name the line of a row the engine refuses).
    lines: dict[str, int] = field(default_factory=dict)
    #: Product rows the table marks withdrawn (for ``import_plan`` to say what becomes of
    #: their dossiers).
    withdrawn: list[Withdrawn] = field(default_factory=list)


def _legacy(grid: Grid) -> tuple[list[PlanEntry], list[LayoutProblem]]:
    """The shipped machine layout (English headers on row 1, the Lạng Giang communes)."""
    header = [h.strip() for h in grid[0][1]]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        return [], [LayoutProblem(grid[0][0], f"missing columns: {', '.join(missing)}")]
    communes = lang_giang_communes()
    entries: list[PlanEntry] = []
    problems: list[LayoutProblem] = []
    seen: dict[tuple[str, str], int] = {}
    for line, cells in grid[1:]:
        if not any(c.strip() for c in cells):
            continue
        values = {k: v.strip() for k, v in zip(header, cells, strict=False)}
        for optional in ("tt", "village", "note", "producer_kind"):
            values.setdefault(optional, "")
        kind = values.pop("producer_kind") or producer_kind_of(values.get("producer", ""))
        row_problems: list[str] = []
        if not values.get("producer"):
            row_problems.append("empty producer")
        if not values.get("round"):
            row_problems.append("missing round (2024-06 or 2024-10)")
        if values.get("commune") not in communes:
            row_problems.append(f"unknown commune {values.get('commune', '')!r}")
        key = (values.get("producer", "").casefold(), values.get("product", "").casefold())
        if all(key) and key in seen:
            row_problems.append(f"duplicated product {values['product']!r} (line {seen[key]})")
        elif all(key):
            seen[key] = line
        if not row_problems:
            try:
                entries.append(
                    with_codes(PlanEntry.model_validate({**values, "producer_kind": kind}))
                )
            except ValidationError as exc:
                row_problems.append(
                    "; ".join(
                        f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
                    )
                )
        problems.extend(LayoutProblem(line, p) for p in row_problems)
    return entries, problems


def _is_legacy(grid: Grid) -> bool:
    first = next((cells for _, cells in grid if any(c.strip() for c in cells)), [])
    return {"section", "product_set"} <= {c.strip() for c in first}


def read_plan_csv(path: Path | str) -> tuple[list[PlanEntry], list[LayoutProblem]]:
    """The rows of a plan in the shipped machine layout (CSV or .xlsx), and its problems; the
    entries are usable only when there are no problems."""
    grid = read_grid(Path(path))
    if isinstance(grid, LayoutProblem):
        return [], [grid]
    if not grid:
        return [], [LayoutProblem(1, "the file is empty")]
    return _legacy(grid)


_TITLE_UNIT = re.compile(
    r"\b(?:ubnd|uy ban nhan dan)\s+(huyen|quan|thi xa|thanh pho|tinh)\s+"
    r"([^*()|\n]+?)\s*(?:\*|$|\(|\||cong hoa xa hoi)"
)


def _unit_from_titles(
    titles: list[str], on: date, rules: RuleBook
) -> AdminUnit | LayoutProblem | None:
    for title in titles:
        found = _TITLE_UNIT.search(fold(title))
        if found is None:
            continue
        hits = _units_named(rules, on, found.group(1), found.group(2).strip())
        if len(hits) == 1:
            return hits[0]
        named = ", ".join(f"{u.full_name} ({u.code})" for u in hits) or "no unit"
        return LayoutProblem(
            0, f"the title names {found.group(0).strip()!r}: {named} on {on:%d/%m/%Y}; use --unit"
        )
    return None


def _units_named(rules: RuleBook, on: date, kind: str, name: str) -> list[AdminUnit]:
    """The provinces or districts called ``name`` on ``on``; "thành phố" is a centrally-run
    city (a province: Hà Nội) or a provincial city (a district), and its kind tells them
    apart when both carry the name."""
    levels = {"tinh": (UnitLevel.PROVINCE,), "thanh pho": (UnitLevel.PROVINCE, UnitLevel.DISTRICT)}
    hits = [
        u
        for level in levels.get(kind, (UnitLevel.DISTRICT,))
        for u in rules.units.units(on=on, level=level)
        if fold(u.name) == name
    ]
    of_kind = [u for u in hits if fold(u.type.label_vi) == kind]
    return of_kind if len(hits) > 1 and of_kind else hits


def _year_of(titles: list[str], rounds: list[tuple[str, str]]) -> int | LayoutProblem | None:
    """The plan's year: the title's ("… năm 2026"), the one its rounds are held in when it
    names several ("đánh giá lại (công nhận năm 2023), nâng hạng năm 2026"); the rounds' when
    the title names none. A title and rounds naming different years are not guessed between."""
    said = sorted({int(y) for t in titles for y in re.findall(r"năm\s+(20\d\d)", t.casefold())})
    held = sorted({int(key[:4]) for key, _ in rounds})
    if not said:
        return held[0] if len(held) == 1 else None
    both = [y for y in said if y in held]  # a last round may fall in the next year
    if len(both) == 1:
        return both[0]
    years = ", ".join(map(str, said))
    rounds_years = ", ".join(map(str, held))
    return LayoutProblem(
        0,
        f"năm trong tiêu đề ({years}) khác năm tổ chức các đợt ({rounds_years}): dùng --year "
        f"(the title's year {years} and the rounds' year {rounds_years} disagree: give --year)",
    )


def read_plan(
    path: Path | str,
    *,
    unit: str | None = None,
    year: int | None = None,
    on: date | None = None,
    rules: RuleBook | None = None,
    bieu2: Path | str | None = None,
    sheet: str | None = None,
) -> PlanRead:
    """Read and check a plan file: Biểu 1 as offices publish it for ``unit`` (a district or
    province code; by default the one the title names) and ``year`` (by default the title's or
    the rounds'), communes read on ``on`` (by default 1 March of the year); Biểu 2 from below
    Biểu 1 on the same sheet or from the ``bieu2`` file; or the shipped machine layout. A
    workbook is read from ``sheet`` if given, else from the visible sheet holding Biểu 1, and a
    notice says which. Every problem of every row is listed; the plan is set only without
    any."""
    rules = rules or default_rule_book()
    file = read_file(Path(path), sheet)
    if isinstance(file, LayoutProblem):
        return PlanRead(problems=[file])
    read = _read_grid(file, unit, year, on, rules, bieu2)
    read.notices[:0] = _file_notices(file)
    return read


def _file_notices(file: PlanFile) -> list[tuple[int, str]]:
    """What the file as a whole was read as: the sheets of a workbook (an office's workbook may
    hold drafts and last year's plan beside this one), a CSV's legacy encoding."""
    if file.legacy_encoding:
        return [
            (
                0,
                f"đọc theo bảng mã {file.legacy_encoding} (read as {file.legacy_encoding}: "
                "next time save it as 'CSV UTF-8')",
            )
        ]
    if not file.sheet:
        return []
    text = f"Biểu 1 đọc từ trang tính {file.sheet!r} (read from sheet {file.sheet!r})"
    if file.bieu2_sheet:
        text += f"; Biểu 2 từ {file.bieu2_sheet!r} (Biểu 2 from {file.bieu2_sheet!r})"
    return [(0, text)]


def _read_grid(
    file: PlanFile,
    unit: str | None,
    year: int | None,
    on: date | None,
    rules: RuleBook,
    bieu2: Path | str | None,
) -> PlanRead:
    """``read_plan`` once the file is read."""
    grid = file.grid
    if not grid:
        return PlanRead(problems=[LayoutProblem(1, "the file is empty")])
    if _is_legacy(grid):
        entries, problems = _legacy(grid)
        if not entries and not problems:
            problems = [_NO_ROWS]
        return PlanRead(None if problems else shipped_plan_with(entries), problems)
    # Biểu 2 may follow Biểu 1 on the same sheet (as in the seed), or come as its own file.
    split = next((i for i, (_, cells) in enumerate(grid) if is_bieu2_start(cells)), len(grid))
    grid, second = grid[:split], grid[split:]
    if bieu2 is not None:
        other = read_grid(Path(bieu2))
        if isinstance(other, LayoutProblem):
            return PlanRead(problems=[LayoutProblem(other.line, other.message, "Biểu 2")])
        second = other
    read = _read_bieu1(grid, file.marks, unit, year, on, rules)
    if read.plan is not None and not read.plan.entries:
        return PlanRead(problems=[_NO_ROWS], notices=read.notices)
    if read.plan is None or not second:
        return read
    requests, problems = read_bieu2(second, read.plan.entries)
    if problems:
        return PlanRead(problems=problems, notices=read.notices)
    read.plan = read.plan.model_copy(update={"support": tuple(requests)})
    return read


#: A table without a product row: imported, it would replace a stored plan with an empty one.
_NO_ROWS = LayoutProblem(0, "no product rows under the header: nothing to import")


def _read_bieu1(
    grid: Grid,
    marks: CellMarks,
    unit: str | None,
    year: int | None,
    on: date | None,
    rules: RuleBook,
) -> PlanRead:
    table = read_bieu1(grid, marks)
    if not table.rounds:  # no usable header: nothing else can be read
        return PlanRead(problems=table.problems)
    if year is None:
        found = _year_of(table.titles, table.rounds)
        if isinstance(found, LayoutProblem):
            return PlanRead(problems=[found, *table.problems])
        year = found
    if year is None:
        table.problems.append(LayoutProblem(0, "the plan's year is not in its title: use --year"))
        return PlanRead(problems=table.problems)
    on = on or date(year, 3, 1)
    issuing: AdminUnit | LayoutProblem | None
    if unit is not None:
        issuing = rules.units.unit(unit, on=on)
        if issuing is None or issuing.level is UnitLevel.COMMUNE:
            issuing = LayoutProblem(
                0, f"--unit {unit}: no district or province has this code on {on:%d/%m/%Y}"
            )
    else:
        issuing = _unit_from_titles(table.titles, on, rules)
        if issuing is None:
            issuing = LayoutProblem(0, "the issuing unit is not in the title: use --unit CODE")
    if isinstance(issuing, LayoutProblem):
        return PlanRead(problems=[issuing, *table.problems])
    built = build_plan(table, unit=issuing, year=year, dated=on, rules=rules)
    return PlanRead(built.plan, built.problems, built.notices, built.lines, built.withdrawn)
