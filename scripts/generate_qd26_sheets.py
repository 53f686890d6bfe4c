"""Write Decision 26/2026/QĐ-TTg's product sets and criteria sheets as rule data.

Source: the decision's text as published, ``shared/regulations/qd26-2026.html`` beside the
repository (a legal-database snapshot of 02/06/2026; its tables keep their rows and cells). The
SHA-256 below pins the text the shipped data was made from.

Writes, for the profile ``qd26-2026``:

- ``ocop_cycle/rules/data/catalogues/qd26-2026.json``: Phụ lục I, the six groups ("sản phẩm")
  and their 26 product sets (each "phân nhóm", or a "nhóm" without one), with the managing
  ministries, and the older sample set codes each official set takes over (``replaces``);
- ``ocop_cycle/rules/data/sheets/qd26-2026/<set>.json``: Phụ lục II, one sheet per set, in the
  order of Phụ lục I: every criterion with its options and points, parts A/B/C, the options
  marked ``***``/``****``/``*****`` (the least option a 3★/4★/5★ product must reach, the
  sheet's note says) as ``minimum_for_stars``, the notes printed under a criterion, and the
  conditions that exclude a dossier ("Hồ sơ bị loại khi …", and a criterion's "Bị loại nếu …").

How the text maps onto the sheet model:

- A criterion's code is its part and its number as printed: ``A1.1``, ``C6.2.1``, ``C7``.
  Option codes are ``a``, ``b``, … in printed order.
- A numbered row with numbered rows under it is a section; the others are criteria. A
  criterion's ``section_vi`` is the path of the sections above it (``CHỈ TIÊU CẢM QUAN ›
  Nước pha``), or its own title when it stands alone (``7. DINH DƯỠNG``).
- A criterion printed with its points but no options (the bilingual label, 2.4) is scored yes
  or no: options ``a`` "Không" (0) and ``b`` "Có" (its points).
- The tourism sheet (26) offers two cases under criteria 8, 9 and 15 ("Trường hợp 1: dịch vụ do
  cộng đồng cung cấp", "Trường hợp 2: … do tổ chức, cá nhân cung cấp" or "Điểm dịch vụ du
  lịch"). Such a criterion lists both cases (``cases``: ``community``, ``organisation``) and
  every option names its case; option codes are ``1a``, ``1b``, ``2a``, ``2b``. A council
  member picks one option, which is picking the case and the option within it, as the text
  says ("Lựa chọn một trong hai trường hợp sau"). The text does not bind the three criteria to
  the same case, so neither does the sheet.

The text has a few flaws; each is listed in ``FLAWS`` with what this script does about it, and
the script fails on any flaw not listed there (and on a listed one that is no longer found).

Run: python scripts/generate_qd26_sheets.py [--source FILE] [--check]
(--check compares with the shipped files instead of writing them; exit 1 if they differ.)
Needs lxml (``pip install -e '.[gen]'``); the package never imports it.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import re
import sys
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from lxml import html

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "ocop_cycle" / "rules" / "data"
SOURCE = ROOT.parent / "shared" / "regulations" / "qd26-2026.html"
SOURCE_SHA256 = "c09752f751a1209ef4d8663bace77d2b06e2b21fc40373520e1a1c273ac79d3b"
PROFILE = "qd26-2026"
CITATION = "Quyết định số 26/2026/QĐ-TTg ngày 22/5/2026 của Thủ tướng Chính phủ"

#: Phụ lục I's groups, in order: roman numeral -> (code, name_en). The codes are the six
#: groups of every profile's catalogue, so a product's group keeps its code across profiles.
GROUPS = {
    "I": ("food", "Food"),
    "II": ("beverages", "Beverages"),
    "III": ("herbal", "Medicinal herbs and herbal products"),
    "IV": ("handicrafts", "Handicrafts"),
    "V": ("ornamentals", "Ornamental plants and animals"),
    "VI": ("tourism", "Community tourism, eco-tourism and tourist sites"),
}

#: The 26 product sets in the order of Phụ lục I (= the sheets' numbers in Phụ lục II):
#: (code, name_en, sample set codes of the older profiles this set takes over). The mapping
#: of the older sample sets is [open]: where a sample set straddles two official sets
#: (condiments, cakes and sweets) it goes to the closer one, and a dossier that belongs to the
#: other needs its product set given explicitly.
SETS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("fresh_vegetables_fruit_nuts", "Fresh vegetables, tubers, fruit and nuts", ("vegetables",)),
    (
        "fresh_meat_seafood_eggs_milk",
        "Fresh meat, seafood, eggs and milk",
        ("eggs", "fresh_meat", "fresh_milk"),
    ),
    ("rice_cereals_grains", "Rice, cereals and other pre-processed grains", ("rice",)),
    ("honey_other_agrifood", "Honey, other syrups and other agri-food", ("honey", "mushrooms")),
    ("fast_food", "Fast food", ()),
    ("processed_rice_cereals", "Processed rice and cereals", ("noodles", "rice_cakes")),
    ("processed_vegetables_fruit_nuts", "Processed vegetables, tubers, fruit and nuts", ()),
    (
        "processed_meat_seafood_eggs_milk_honey",
        "Processed meat, seafood, eggs, milk, honey and other agri-food",
        ("processed_meat",),
    ),
    ("sauces_fish_sauce", "Soy sauces, fish sauce and other liquid condiments", ()),
    ("other_condiments", "Other condiments (salt, shallots, garlic, pepper)", ("condiments",)),
    ("tea", "Fresh and processed tea", ()),
    ("herbal_teas", "Teas from other plants", ()),
    ("coffee_cocoa", "Coffee and cocoa", ()),
    ("white_spirits", "White spirits", ("spirits",)),
    ("other_alcoholic_drinks", "Other alcoholic drinks", ()),
    ("mineral_bottled_water", "Natural mineral water and bottled drinking water", ()),
    ("other_soft_drinks", "Other non-alcoholic drinks", ("soft_drinks",)),
    (
        "functional_foods_herbal_medicines",
        "Functional foods, herbal and traditional medicines",
        ("functional_foods",),
    ),
    ("herbal_cosmetics", "Cosmetics with herbal ingredients", ()),
    (
        "essential_oils_other_herbs",
        "Essential oils and other herbs",
        ("essential_oils", "cordyceps"),
    ),
    (
        "household_decorative_crafts",
        "Household and decorative handicrafts",
        ("wood_fibre_crafts", "metal_ceramic_crafts"),
    ),
    ("fabrics_garments", "Fabrics and garments", ("textile_embroidery",)),
    ("flowers", "Flowers", ()),
    ("ornamental_plants", "Ornamental plants", ()),
    ("ornamental_animals", "Ornamental animals", ()),
    (
        "community_eco_tourism",
        "Community tourism, eco-tourism and tourist site services",
        ("community_tourism",),
    ),
)

#: The tourism sheet's two cases, by the number printed in "Trường hợp N".
CASES = {1: "community", 2: "organisation"}

#: Flaws of the text: (sheet number, where) -> what this script does about it.
FLAWS: dict[tuple[int, str], str] = {
    (1, "exclusion printed twice"): "the same paragraph twice: read once",
    (19, "exclusion paragraph without 'Hồ sơ'"): "'Bị loại khi' read as 'Hồ sơ bị loại khi'",
    (26, "no exclusion paragraph"): "the tourism sheet prints none: it has no exclusions",
    (26, "part A title says 35"): "'Phần A … (35 Điểm)' beside 40: its criteria add up to 40",
    (2, "one-cell row under C7"): "a note row without its points cell: a note of C7",
    (3, "one-cell row under C8"): "a note row without its points cell: a note of C8",
    (5, "one-cell row under C8"): "a note row without its points cell: a note of C8",
    (16, "one-cell row under C6.4"): (
        "'Ghi chú: Nếu được 0 điểm tại một trong các chỉ tiêu trên …' after the last criterion"
        " of section 6: kept as a note of C6.4, where it is printed, though it speaks of all"
        " of section 6"
    ),
    (3, "spaced star mark '* * * *'"): "read as ****",
    (7, "option bullet 'o'"): "'o' read as the option box '□'",
    (4, "A1.2: option without points"): "'Không được cấp …' without points: 0, as elsewhere",
    (7, "A1.2: option without points"): "'Không được cấp …' without points: 0, as elsewhere",
    (10, "A1.2: option without points"): "'Không được cấp …' without points: 0, as elsewhere",
    (11, "A1.2: option without points"): "'Không được cấp …' without points: 0, as elsewhere",
    (4, "C7: option 2 prints ['13']"): "see POINT_FIXES",
    (11, "C6.1.1: option 1 prints ['11']"): "see POINT_FIXES",
    (23, "C9 points 4 1"): "a stray '1' under the criterion's '4': 4, its options' maximum",
    # Two options worth the same: probably misprints, but nothing in the text says what was
    # meant, so they are kept as printed (the sums hold either way).
    (7, "A3.1 points 1 1 3"): "kept as printed (the 25 other sheets give this option 2)",
    (23, "C6.2 points 1 1 3 5"): "kept as printed",
}

#: Options whose printed points are a misprint: (sheet, criterion, option index) -> points.
POINT_FIXES: dict[tuple[int, str, int], Decimal] = {
    # "□ Có trên 2 chỉ tiêu … 13": the criterion prints 3 and its section and part add up
    # with 3; every other sheet gives this option the criterion's maximum.
    (4, "7", 2): Decimal(3),
    # "□ Có rất ít tạp chất, chấp nhận được … 11", between 0 and the criterion's 2.
    (11, "6.1.1", 1): Decimal(1),
}

#: Conditions of "Hồ sơ bị loại khi": a phrase that names the condition -> its code.
EXCLUSION_KINDS = (
    ("giả mạo hồ sơ", "forged_dossier"),
    ("an toàn thực phẩm", "food_safety_certificate"),
    ("giấy phép sản xuất", "production_licence"),
    ("điều kiện sản xuất sản phẩm", "production_conditions"),
    ("điều kiện bắt buộc để sản xuất", "production_conditions"),
    ("công bố", "product_declaration"),
    ("hồ sơ đăng ký", "registration_dossier"),
)

#: Criterion notes that exclude a dossier: a phrase -> the exclusion's code.
CRITERION_EXCLUSION_KINDS = (
    ("nguyên liệu nhập khẩu", "imported_or_unknown_materials"),
    ("giống hệt sản phẩm", "copied_product"),
    ("sở hữu trí tuệ", "intellectual_property_violation"),
)


class TextError(ValueError):
    """The text holds something this script does not know how to read."""


def norm(text: str) -> str:
    """NFC, no-break spaces as spaces, whitespace runs collapsed, trimmed; an opening
    parenthesis glued to a word gets its space ("song ngữ(Việt", two sheets)."""
    text = " ".join(unicodedata.normalize("NFC", text).replace("\xa0", " ").split())
    return re.sub(r"(\w)\(", r"\1 (", text)


def paragraphs(cell: Any) -> list[str]:
    """The non-empty paragraphs of a table cell, normalised."""
    found = cell.findall(".//p") or [cell]
    return [t for t in (norm(p.text_content()) for p in found) if t]


def load(source: Path) -> Any:
    """The decision's HTML (UTF-8, which the snapshot does not declare)."""
    return html.document_fromstring(source.read_bytes(), parser=html.HTMLParser(encoding="utf-8"))


# -- Phụ lục I ----------------------------------------------------------------------------------


@dataclass
class AnnexSet:
    group: str  # roman numeral
    group_name: str
    ref: str  # I.1.a
    category: str  # the "Nhóm" it is in
    name: str
    ministries: list[str]


def annex_one(root: Any) -> list[AnnexSet]:
    """Phụ lục I's product sets, in order."""
    table = next(t for t in root.iter("table") if _header(t)[:2] == ["STT", "Phân loại sản phẩm"])
    out: list[AnnexSet] = []
    group = group_name = category = number = ""
    pending: AnnexSet | None = None
    for tr in table.iter("tr"):
        cells = [" ".join(paragraphs(td)) for td in tr.findall("td")]
        if len(cells) != 3 or cells[0] == "STT":
            continue
        stt, label, ministry = cells
        if re.fullmatch(r"[IVX]+", stt):
            group, group_name = stt, label
        elif m := re.fullmatch(r"Nhóm: (.+)", label):
            number, category = stt, m.group(1)
            pending = AnnexSet(group, group_name, f"{group}.{stt}", category, category, [])
            if ministry:  # a group without subgroups is itself a product set
                pending.ministries = _ministries(ministry)
                out.append(pending)
        elif m := re.fullmatch(r"Phân nhóm: (.+)", label):
            if pending is None or not ministry:
                raise TextError(f"Phụ lục I: subgroup {label!r} out of place")
            out.append(
                AnnexSet(
                    group,
                    group_name,
                    f"{group}.{number}.{stt}",
                    category,
                    m.group(1),
                    _ministries(ministry),
                )
            )
        else:
            raise TextError(f"Phụ lục I: row {cells!r} not understood")
    return out


def _header(table: Any) -> list[str]:
    first = table.find(".//tr")
    return [" ".join(paragraphs(td)) for td in first.findall("td")] if first is not None else []


def _ministries(text: str) -> list[str]:
    return [norm(m) for m in text.split(";") if norm(m)]


# -- Phụ lục II ---------------------------------------------------------------------------------


@dataclass
class Option:
    label: str
    points: Decimal
    stars: int | None
    case: int | None


@dataclass
class Heading:
    number: str
    title: str
    points: Decimal
    part: str
    notes: list[str] = field(default_factory=list)
    options: list[Option] = field(default_factory=list)
    cases: dict[int, str] = field(default_factory=dict)
    exclusions: list[str] = field(default_factory=list)
    synthetic: bool = False


@dataclass
class Sheet:
    number: int
    title: str
    exclusion_text: str | None
    parts: dict[str, Decimal]
    headings: list[Heading]


_STARS = re.compile(r"\s*((?:\*\s*)+)$")
_NUMBERED = re.compile(r"^(\d+(?:\.\d+)*)\.?\s+(\S.*)$")
_PART = re.compile(r"^Phần\s*([ABC])\b:?\s*(.*)$", re.IGNORECASE)
_CASE = re.compile(r"^[ab]\.\s*Trường hợp\s*(\d)\s*:\s*(.+)$")
_PART_POINTS = re.compile(r"\((\d+) điểm\)", re.IGNORECASE)


def sheet_tables(root: Any) -> list[Any]:
    """The 26 criteria tables of Phụ lục II, in order."""
    tables = [t for t in root.iter("table") if _header(t) == ["Các tiêu chí", "Thang điểm"]]
    if len(tables) != len(SETS):
        raise TextError(f"found {len(tables)} criteria tables, expected {len(SETS)}")
    return tables


def annex_two(root: Any, seen: set[tuple[int, str]]) -> list[Sheet]:
    """Every sheet of Phụ lục II; ``seen`` collects the flaws met on the way."""
    return [_sheet(n, t, seen) for n, t in enumerate(sheet_tables(root), 1)]


def _before(table: Any) -> list[str]:
    """The paragraphs between the previous table and this one (the sheet's heading)."""
    out: list[str] = []
    el = table.getprevious()
    while el is not None and el.tag != "table":
        if text := norm(el.text_content()):
            out.insert(0, text)
        el = el.getprevious()
    return out


def _sheet(number: int, table: Any, seen: set[tuple[int, str]]) -> Sheet:
    heading = _before(table)
    title_line = next((t for t in heading if re.match(rf"{number}\. ", t)), None)
    if title_line is None:
        raise TextError(f"sheet {number}: no heading")
    title = title_line.split(" ", 1)[1]
    exclusion = [t for t in heading if re.match(r"(Hồ sơ )?[Bb]ị loại khi:", t)]
    if len(set(exclusion)) > 1:
        raise TextError(f"sheet {number}: different exclusion paragraphs")
    if len(exclusion) > 1:
        _flaw(seen, number, "exclusion printed twice")
    if not exclusion:
        _flaw(seen, number, "no exclusion paragraph")
    if exclusion and not exclusion[0].startswith("Hồ sơ"):
        _flaw(seen, number, "exclusion paragraph without 'Hồ sơ'")
    parts: dict[str, Decimal] = {}
    headings: list[Heading] = []
    part = ""
    current: Heading | None = None
    case: int | None = None
    for tr in table.iter("tr"):
        cells = tr.findall("td")
        left = paragraphs(cells[0])
        right = paragraphs(cells[1]) if len(cells) > 1 else []
        if len(cells) == 1 and current is not None:
            _flaw(seen, number, f"one-cell row under {_code(current)}")
        if not left or left == ["Các tiêu chí"]:
            continue
        first = left[0]
        if first == "TỔNG CỘNG":
            if right != ["100"]:
                raise TextError(f"sheet {number}: total {right}")
            continue
        if m := _PART.match(first):
            part = m.group(1).upper()
            part_title = " ".join([m.group(2), *left[1:]])
            points = _points(number, right, seen, f"part {part}")
            printed = _PART_POINTS.search(part_title)
            if printed is None or Decimal(printed.group(1)) != points:
                _flaw(seen, number, f"part {part} title says {printed and printed.group(1)}")
            parts[part] = points
            current, case = None, None
            continue
        if first[0] in "□o" and first[1:2] == " ":
            if first[0] == "o":
                _flaw(seen, number, "option bullet 'o'")
            if current is None:
                raise TextError(f"sheet {number}: option {first!r} outside a criterion")
            label, stars = _stars(number, first[2:], seen)
            fix = POINT_FIXES.get((number, current.number, len(current.options)))
            if fix is not None:
                where = f"{_code(current)}: option {len(current.options)} prints {right}"
                _flaw(seen, number, where)
                points = fix
            elif right:
                points = _points(number, right, seen, f"{current.number}: {label[:30]}")
            else:
                _flaw(seen, number, f"{_code(current)}: option without points")
                points = Decimal(0)
            if cases_here := current.cases:
                case = case if case in cases_here else None
                if case is None:
                    raise TextError(f"sheet {number}: option before its case")
            current.options.append(Option(label, points, stars, case))
            for note in left[1:]:
                _note(current, note)
            continue
        if m := _CASE.match(first):
            if current is None:
                raise TextError(f"sheet {number}: case outside a criterion")
            case = int(m.group(1))
            current.cases[case] = m.group(2)
            continue
        if m := _NUMBERED.match(first):
            if not right:
                raise TextError(f"sheet {number}: heading {first!r} without points")
            if len(right) > 1:
                _flaw(seen, number, f"{part}{m.group(1)} points {' '.join(right)}")
                right = right[:1]
            current = Heading(m.group(1), m.group(2), _points(number, right, seen, first), part)
            case = None
            headings.append(current)
            for note in left[1:]:
                _note(current, note)
            continue
        if current is None:
            raise TextError(f"sheet {number}: note {first!r} outside a criterion")
        for note in left:
            _note(current, note)
    return Sheet(number, title, exclusion[0] if exclusion else None, parts, headings)


def _note(heading: Heading, note: str) -> None:
    if "bị loại" in note.casefold():
        heading.exclusions.append(note)
    else:
        heading.notes.append(note)


def _points(number: int, cell: list[str], seen: set[tuple[int, str]], where: str) -> Decimal:
    text = " ".join(cell)
    if re.fullmatch(r"\d+", text):
        return Decimal(text)
    if re.fullmatch(r"\d+(?: \d+)+", text):
        _flaw(seen, number, f"split digits {text!r} at {where}")
        return Decimal(text.replace(" ", ""))
    raise TextError(f"sheet {number}: points {text!r} at {where}")


def _stars(number: int, text: str, seen: set[tuple[int, str]]) -> tuple[str, int | None]:
    m = _STARS.search(text)
    if m is None:
        if "*" in text:
            raise TextError(f"sheet {number}: a star inside {text!r}")
        return text, None
    mark = m.group(1)
    count = mark.count("*")
    if not 3 <= count <= 5:
        raise TextError(f"sheet {number}: {count} stars on {text!r}")
    if " " in mark.strip():
        _flaw(seen, number, f"spaced star mark {mark.strip()!r}")
    label = text[: m.start()].rstrip()
    if "*" in label:
        raise TextError(f"sheet {number}: a star inside {text!r}")
    return label, count


def _flaw(seen: set[tuple[int, str]], number: int, where: str) -> None:
    seen.add((number, where))


# -- checks and output --------------------------------------------------------------------------


def criteria_of(sheet: Sheet) -> list[tuple[Heading, list[Heading]]]:
    """Each criterion (a heading with no heading under it) and the sections above it."""
    out = []
    numbers = [h.number for h in sheet.headings]
    for h in sheet.headings:
        if any(n.startswith(h.number + ".") for n in numbers):
            if h.options:
                raise TextError(f"sheet {sheet.number}: section {h.number} has options")
            continue
        above = [a for a in sheet.headings if h.number.startswith(a.number + ".")]
        out.append((h, above))
    return out


def check(sheet: Sheet, seen: set[tuple[int, str]]) -> None:
    """The printed points agree with the options: criteria, sections, parts, 100."""
    n = sheet.number
    maxima = {h.number: _max(h) for h, _ in criteria_of(sheet)}
    for h in sheet.headings:
        if h.number in maxima:
            if maxima[h.number] != h.points:
                raise TextError(f"sheet {n}: {h.number} prints {h.points}, options reach more")
        else:
            inner = [
                c.points
                for c in sheet.headings
                if c.number.startswith(h.number + ".")
                and c.number.count(".") == h.number.count(".") + 1
            ]
            if sum(inner) != h.points:
                raise TextError(f"sheet {n}: section {h.number} prints {h.points} != {sum(inner)}")
    for part, printed in sheet.parts.items():
        top = [h.points for h in sheet.headings if h.part == part and "." not in h.number]
        if sum(top) != printed:
            raise TextError(f"sheet {n}: part {part} prints {printed} != {sum(top)}")
    if sheet.parts != {"A": 40, "B": 25, "C": 35}:
        raise TextError(f"sheet {n}: parts {sheet.parts}")
    for h, _ in criteria_of(sheet):
        points = [o.points for o in h.options]
        if not h.cases and any(a >= b for a, b in itertools.pairwise(points)):
            _flaw(seen, n, f"{_code(h)} points {' '.join(map(str, points))}")
        if not h.options:
            # Printed with its points and no options: the bilingual label, scored yes or no.
            if h.points != 1 or "song ngữ" not in h.title:
                raise TextError(f"sheet {n}: {h.number} has no options")
            h.synthetic = True


def _max(h: Heading) -> Decimal:
    return max((o.points for o in h.options), default=h.points)


def exclusions(sheet: Sheet) -> list[dict[str, Any]]:
    """The sheet's exclusion conditions, then its criteria's."""
    out: list[dict[str, Any]] = []
    if sheet.exclusion_text is not None:
        body = re.sub(r"^(Hồ sơ )?[Bb]ị loại khi:\s*", "", sheet.exclusion_text)
        for clause in _clauses(body):
            out.append({"code": _kind(sheet.number, clause, EXCLUSION_KINDS), "text_vi": clause})
    for h, _ in criteria_of(sheet):
        for note in h.exclusions:
            text = re.sub(r"^Ghi chú:\s*", "", note)
            code = _kind(sheet.number, text, CRITERION_EXCLUSION_KINDS)
            out.append({"code": code, "text_vi": text, "criterion": _code(h)})
    codes = [e["code"] for e in out]
    if len(set(codes)) != len(codes):
        raise TextError(f"sheet {sheet.number}: exclusion codes repeat: {codes}")
    return out


def _clauses(body: str) -> list[str]:
    # "A hoặc không B; hoặc không C": the conditions are joined by "; hoặc" or by a "hoặc"
    # followed by another negated condition; "hoặc tương đương" stays inside its condition.
    out = []
    for piece in re.split(r"\s*;\s*", body):
        piece = re.sub(r"^hoặc\s+", "", piece)
        out.extend(p.strip() for p in re.split(r"\s+hoặc\s+(?=không\s)", piece) if p.strip())
    return out


def _kind(number: int, text: str, kinds: tuple[tuple[str, str], ...]) -> str:
    low = text.casefold()
    for phrase, code in kinds:
        if phrase in low:
            return code
    raise TextError(f"sheet {number}: exclusion {text!r} not understood")


def _code(h: Heading) -> str:
    return f"{h.part}{h.number}"


def _levels(h: Heading) -> list[dict[str, Any]]:
    if h.synthetic:
        return [
            {"code": "a", "points": "0", "label_vi": "Không"},
            {"code": "b", "points": str(h.points), "label_vi": "Có"},
        ]
    out = []
    counters: dict[int | None, int] = {}
    for o in h.options:
        i = counters[o.case] = counters.get(o.case, -1) + 1
        letter = "abcdefghij"[i]
        level: dict[str, Any] = {
            "code": letter if o.case is None else f"{o.case}{letter}",
            "points": str(o.points),
            "label_vi": o.label,
        }
        if o.case is not None:
            level["case"] = CASES[o.case]
        out.append(level)
    return out


def sheet_json(sheet: Sheet, set_code: str) -> dict[str, Any]:
    """The sheet as the rule data's JSON."""
    criteria = []
    starred = 0
    for h, above in criteria_of(sheet):
        levels = _levels(h)
        minimum: dict[str, str] = {}
        for o, level in zip(h.options, levels, strict=True) if not h.synthetic else ():
            if o.stars is not None:
                if str(o.stars) in minimum:
                    raise TextError(f"sheet {sheet.number}: two {o.stars}★ marks on {h.number}")
                minimum[str(o.stars)] = level["code"]
                starred += 1
        criterion: dict[str, Any] = {
            "code": _code(h),
            "part": h.part,
            "section_vi": " › ".join(a.title for a in above) or h.title,
            "name_vi": h.title,
            "levels": levels,
        }
        if minimum:
            criterion["minimum_for_stars"] = dict(sorted(minimum.items()))
        if h.cases:
            criterion["cases"] = [
                {"code": CASES[n], "label_vi": label} for n, label in sorted(h.cases.items())
            ]
        if h.notes:
            criterion["notes_vi"] = h.notes
        criteria.append(criterion)
    return {
        "profile": PROFILE,
        "product_set": set_code,
        "sample": False,
        "source": f"{CITATION}, Phụ lục II, mục {sheet.number}",
        "number": sheet.number,
        "title_vi": sheet.title,
        "exclusions": exclusions(sheet),
        "criteria": criteria,
    }


def catalogue_json(sets: list[AnnexSet]) -> dict[str, Any]:
    """Phụ lục I as a catalogue."""
    if len(sets) != len(SETS):
        raise TextError(f"Phụ lục I: {len(sets)} product sets, expected {len(SETS)}")
    groups: dict[str, dict[str, Any]] = {}
    for number, (s, (code, name_en, replaces)) in enumerate(zip(sets, SETS, strict=True), 1):
        group_code, group_en = GROUPS[s.group]
        group = groups.setdefault(
            s.group,
            {
                "code": group_code,
                "number": list(GROUPS).index(s.group) + 1,
                "name_vi": _sentence(s.group_name),
                "name_en": group_en,
                "sets": [],
            },
        )
        product_set: dict[str, Any] = {
            "code": code,
            "name_vi": s.name,
            "name_en": name_en,
            "number": number,
            "annex_ref": s.ref,
            "category_vi": s.category,
            "ministries_vi": s.ministries,
        }
        if replaces:
            product_set["replaces"] = list(replaces)
        group["sets"].append(product_set)
    return {"source": f"{CITATION}, Phụ lục I", "groups": list(groups.values())}


def _sentence(upper: str) -> str:
    low = upper.lower()
    return low[:1].upper() + low[1:]


def build(source: Path) -> tuple[dict[str, str], list[str]]:
    """Every file to write (path relative to the data folder -> JSON text) and a summary."""
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    if digest != SOURCE_SHA256:
        raise TextError(f"{source} is not the pinned text (sha256 {digest})")
    root = load(source)
    seen: set[tuple[int, str]] = set()
    files = {f"catalogues/{PROFILE}.json": _dump(catalogue_json(annex_one(root)))}
    summary = []
    total = 0
    for sheet, (code, _, _) in zip(annex_two(root, seen), SETS, strict=True):
        check(sheet, seen)
        data = sheet_json(sheet, code)
        starred = sum(len(c.get("minimum_for_stars", {})) for c in data["criteria"])
        total += starred
        options = sum(len(c["levels"]) for c in data["criteria"])
        summary.append(
            f"{sheet.number:2} {code}: {len(data['criteria'])} criteria, {options} options, "
            f"{starred} starred, {len(data['exclusions'])} exclusions"
        )
        files[f"sheets/{PROFILE}/{code}.json"] = _dump(data)
    unexpected = sorted(seen - set(FLAWS))
    stale = sorted(set(FLAWS) - seen)
    if unexpected or stale:
        raise TextError(f"flaws not listed: {unexpected}; listed but not found: {stale}")
    summary.append(f"{len(SETS)} sheets, {total} starred options")
    return files, summary


def _dump(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=SOURCE)
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args()
    files, summary = build(args.source)
    differ = []
    for rel, text in files.items():
        path = DATA / rel
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                differ.append(rel)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    print("\n".join(summary))
    if differ:
        print("differ from the text:", *differ, sep="\n  ")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
