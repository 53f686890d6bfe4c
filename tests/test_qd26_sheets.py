"""Decision 26/2026/QĐ-TTg as data: Phụ lục I's 26 product sets and Phụ lục II's 26 sheets.

The first tests need only the shipped data. The last ones compare it with the decision's text in
``../shared/regulations`` and skip where that folder is absent (users' machines).
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from collections import Counter
from decimal import Decimal
from functools import cache
from pathlib import Path
from types import ModuleType

import pytest
from pydantic import ValidationError

from ocop_cycle.rules.book import default_rule_book
from ocop_cycle.rules.scoring import evaluate_session
from ocop_cycle.rules.sheets import Criterion, ScoringSheet
from ocop_cycle.testing import session_for
from ocop_cycle.workflows.derive import tier_outcome

ROOT = Path(__file__).resolve().parents[1]
REGULATIONS = ROOT.parent / "shared" / "regulations"
DATA = ROOT / "ocop_cycle" / "rules" / "data"
BOOK = default_rule_book()
PROFILE = BOOK.profile("qd26-2026")
CATALOGUE = BOOK.catalogue_for("qd26-2026")
SETS = [s for g in CATALOGUE.groups for s in g.sets]
CODES = [s.code for s in SETS]

#: Options marked ***, **** or ***** on each sheet, by the sheet's number. The text has 575
#: marks: 574 written "***"…, and one "* * * *" (sheet 3, 5.1).
# fmt: off
STARRED = dict(enumerate([
    22, 26, 27, 27, 26, 26, 28, 28, 28, 27, 23, 25, 21,  # food
    21, 24, 20, 23,  # drinks
    20, 20, 20,  # herbal
    20, 18,  # handicrafts
    20, 16, 16,  # ornamentals
    3,  # tourism
], start=1))
# fmt: on


def _sheet(number: int) -> ScoringSheet:
    return BOOK.sheet("qd26-2026", CODES[number - 1])


def _stars_of(criterion: Criterion) -> dict[str, int]:
    return {level: stars for stars, level in criterion.minimum_for_stars.items()}


# -- the shipped data -----------------------------------------------------------------------------


def test_twenty_six_official_sets_in_the_six_groups() -> None:
    """Phụ lục I: 26 sets numbered as their sheets, in the six groups every profile knows."""
    assert [s.number for s in SETS] == list(range(1, 27))
    assert [g.code for g in CATALOGUE.groups] == [g.code for g in BOOK.catalogue.groups]
    assert [len(g.sets) for g in CATALOGUE.groups] == [13, 4, 3, 2, 3, 1]
    assert all(s.ministries_vi and s.category_vi and s.annex_ref for s in SETS)
    assert CATALOGUE.group_of("fast_food") == CATALOGUE.group("food")
    assert SETS[4].ministries_vi == ("Bộ Công Thương",)
    assert SETS[15].name_vi == "Nước khoáng thiên nhiên, nước uống đóng chai"
    assert SETS[15].ministries_vi == ("Bộ Y tế",)


def test_older_profiles_keep_the_shared_catalogue() -> None:
    """Profiles without a catalogue of their own use catalogue.json, with its sample sets."""
    assert BOOK.catalogue_for("qd148-2023") is BOOK.catalogue
    assert BOOK.catalogue_for("qd1489-2025").group_of("eggs") is not None
    assert CATALOGUE.group_of("eggs") is None


@pytest.mark.parametrize("code", CODES)
def test_official_sheet_reaches_exactly_the_part_maxima(code: str) -> None:
    """Each sheet loads through the rule book and sums, criterion maxima per part, to 40/25/35."""
    sheet = BOOK.sheet("qd26-2026", code)
    assert sheet.sample is False
    assert sheet.number == CODES.index(code) + 1
    assert sheet.part_maxima() == {"A": Decimal(40), "B": Decimal(25), "C": Decimal(35)}
    assert sheet.source.endswith(f"Phụ lục II, mục {sheet.number}")


@pytest.mark.parametrize("number", range(1, 27))
def test_star_marks_per_sheet(number: int) -> None:
    """Each sheet carries its starred options as the least option for 3★, 4★ or 5★."""
    sheet = _sheet(number)
    marks = Counter(s for c in sheet.criteria for s in c.minimum_for_stars)
    assert sum(marks.values()) == STARRED[number]
    assert set(marks) == ({3, 4} if number == 26 else {3, 4, 5})


def test_575_starred_options_in_all() -> None:
    """574 marks written *** to *****, and sheet 3's "* * * *" on its 5-point product story."""
    assert sum(STARRED.values()) == 575
    assert _sheet(3).by_code["B5.1"].minimum_for_stars == {4: "e"}


def test_the_examples_of_the_note() -> None:
    """Sheet 1: distribution outside the commune (***), ≥5 agents (****), modern channels
    (*****); a criterion may carry two marks on different options."""
    sheet = _sheet(1)
    assert sheet.by_code["B4.1"].minimum_for_stars == {3: "b", 4: "c", 5: "d"}
    assert sheet.by_code["A1.5"].minimum_for_stars == {4: "c", 5: "d"}
    assert sheet.by_code["A1.5"].level("c").points == Decimal(2)  # type: ignore[union-attr]


def test_exclusions_per_sheet() -> None:
    """Every product sheet excludes forged and non-conforming dossiers; the food and drink
    sheets a missing food-safety certificate; the tourism sheet prints no exclusion."""
    for number in range(1, 26):
        codes = [e.code for e in _sheet(number).exclusions if e.criterion is None]
        assert codes[0] == "forged_dossier"
        assert codes[-1] == "registration_dossier"
        assert ("food_safety_certificate" in codes) == (number <= 17)
    assert _sheet(26).exclusions == ()
    assert [e.code for e in _sheet(18).exclusions] == [
        "forged_dossier",
        "production_conditions",
        "product_declaration",
        "registration_dossier",
        "imported_or_unknown_materials",
    ]
    ip = next(e for e in _sheet(21).exclusions if e.criterion is not None)
    assert (ip.code, ip.criterion) == ("intellectual_property_violation", "C6.2")


def test_bilingual_label_is_scored_yes_or_no() -> None:
    """2.4 (2.3 on the craft sheets) prints 1 point and no options: "Không" 0 or "Có" 1."""
    criterion = _sheet(1).by_code["A2.4"]
    assert [(lv.code, lv.points, lv.label_vi) for lv in criterion.levels] == [
        ("a", Decimal(0), "Không"),
        ("b", Decimal(1), "Có"),
    ]


def test_tourism_sheet_offers_two_cases() -> None:
    """Sheet 26: 17 numbered criteria; 8, 9 and 15 offer a case run by the community and one
    run by an organisation, each with its own options worth the same."""
    sheet = _sheet(26)
    numbers = {c.code[1:].split(".")[0] for c in sheet.criteria}
    assert sorted(map(int, numbers)) == list(range(1, 18))
    with_cases = [c for c in sheet.criteria if c.cases]
    assert [c.code for c in with_cases] == ["C8", "C9", "C15"]
    for c in with_cases:
        assert [k.code for k in c.cases] == ["community", "organisation"]
        by_case = {k.code: [lv.points for lv in c.levels if lv.case == k.code] for k in c.cases}
        assert by_case["community"] == by_case["organisation"]
    assert sheet.by_code["C8"].cases[1].label_vi == "Điểm dịch vụ du lịch"
    assert sheet.by_code["C9"].level("2b").case == "organisation"  # type: ignore[union-attr]


def test_older_sets_are_scored_on_their_official_sheet() -> None:
    """A dossier filed for an older sample set (eggs) under qd26-2026 is scored on the official
    sheet that replaces it, in the same group."""
    assert BOOK.sheet("qd26-2026", "eggs").product_set == "fresh_meat_seafood_eggs_milk"
    for group in BOOK.catalogue.groups:
        for old in group.sets:
            new = CATALOGUE.resolve(old.code)
            assert new is not None, old.code
            assert CATALOGUE.group_of(new).code == group.code  # type: ignore[union-attr]


def test_a_level_must_name_one_of_the_cases() -> None:
    """A criterion with cases refuses a level that names none of them."""
    data = _sheet(26).by_code["C8"].model_dump(mode="json")
    data["levels"][0]["case"] = "elsewhere"
    with pytest.raises(ValidationError, match="must name one of"):
        Criterion.model_validate(data)


def test_an_exclusion_must_name_a_criterion_of_its_sheet() -> None:
    """A criterion's exclusion names a criterion the sheet has."""
    data = _sheet(7).model_dump(mode="json")
    data["exclusions"][-1]["criterion"] = "A9.9"
    with pytest.raises(ValidationError, match="names no criterion"):
        ScoringSheet.model_validate(data)


# -- scoring on an official sheet -----------------------------------------------------------------

PROCESSED_RICE = _sheet(6)


def test_92_points_missing_a_3_star_option_is_not_recognised() -> None:
    """92 points with plain packaging below the *** option (A2.2 at 0): not even 3★."""
    assert PROCESSED_RICE.by_code["A2.2"].minimum_for_stars == {3: "c"}
    session = session_for(PROCESSED_RICE, PROFILE, [92, 92, 92], miss=("A2.2",))
    result = evaluate_session(session, PROCESSED_RICE, PROFILE)
    assert (result.total, result.band_stars) == (Decimal(92), 5)
    assert result.stars < PROFILE.recognised_min_stars
    assert tier_outcome(PROFILE, PROFILE.entry_tier, result).value == "not_recognized"


def test_75_points_missing_a_4_star_option_is_3_stars() -> None:
    """75 points without the **** production linkage (A1.5 at 0): 3★, certified by the province."""
    assert PROCESSED_RICE.by_code["A1.5"].minimum_for_stars == {4: "c", 5: "d"}
    session = session_for(PROCESSED_RICE, PROFILE, [75, 75, 75], miss=("A1.5",))
    result = evaluate_session(session, PROCESSED_RICE, PROFILE)
    assert (result.total, result.band_stars, result.stars) == (Decimal(75), 4, 3)
    assert result.capped_by == ("A1.5",)
    assert tier_outcome(PROFILE, PROFILE.entry_tier, result).value == "certify"


# -- against the decision's text ------------------------------------------------------------------

needs_text = pytest.mark.skipif(
    not (REGULATIONS / "qd26-2026.txt").is_file(), reason="../shared/regulations is absent"
)

#: Where the data departs from the flat text, and why (the generator's FLAWS say the same).
MISPRINTED = {(4, "C7", "c"): "13", (11, "C6.1.1", "b"): "11"}
UNPRINTED = {(4, "A1.2", "a"), (7, "A1.2", "a"), (10, "A1.2", "a"), (11, "A1.2", "a")}


def _loose(text: str) -> str:
    """A pattern for ``text`` that lets the flat text break lines anywhere, even inside a word
    ("ĐỊNH K Ỳ") or before a parenthesis."""
    return r"\s*".join(re.escape(ch) for ch in text if not ch.isspace())


@cache
def _annex_two() -> str:
    flat = " ".join((REGULATIONS / "qd26-2026.txt").read_text(encoding="utf-8").split())
    return flat[flat.index("PHỤ LỤC II") : flat.index("PHỤ LỤC III")]


def _sheet_text(number: int) -> str:
    text = _annex_two()
    start = text.index(f"{number}. {_sheet(number).title_vi}")
    end = text.index(f"{number + 1}. {_sheet(number + 1).title_vi}") if number < 26 else None
    return text[start:end]


@needs_text
@pytest.mark.parametrize("number", range(1, 27))
def test_sheet_matches_the_flat_text(number: int) -> None:
    """Criteria, options, points, star marks, notes and exclusions appear in the flat text in
    the sheet's order, the known misprints aside."""
    text = _sheet_text(number)
    sheet = _sheet(number)
    for e in sheet.exclusions:
        assert re.search(_loose(e.text_vi), text), e.code
    heads = []
    pos = 0
    for c in sheet.criteria:
        head = re.compile(rf"{_loose(c.code[1:])}\s*\.?\s*{_loose(c.name_vi)}")
        m = head.search(text, pos)
        assert m is not None, (c.code, c.name_vi)
        heads.append(m.start())
        pos = m.end()
    for c, start, end in zip(sheet.criteria, heads, [*heads[1:], len(text)], strict=True):
        block = text[start:end]
        for note in c.notes_vi:
            assert re.search(_loose(note), block), (c.code, note)
        for case in c.cases:
            assert re.search(_loose(case.label_vi), block), (c.code, case.code)
        if [lv.label_vi for lv in c.levels] == ["Không", "Có"]:  # printed without options
            assert "□" not in block
            continue
        bullets = block.count("□") + ((number, c.code) == (7, "C7"))  # its "o" bullet
        assert bullets == len(c.levels), c.code
        at = 0
        stars = _stars_of(c)
        for lv in c.levels:
            mark = rf"\s?(?:\*\s?){{{stars[lv.code]}}}" if lv.code in stars else ""
            key = (number, c.code, lv.code)
            if key in UNPRINTED:
                points = ""
            else:
                printed = MISPRINTED.get(key, str(lv.points))
                points = rf"\s+{printed}\b"
            # A note may stand between an option and its points (sheets 21, 22: C6.2).
            note = r"(?:\s+Ghi chú:[^□]*?)?" if points else ""
            option = re.compile(rf"[□o] {_loose(lv.label_vi)}{mark}{note}{points}")
            m = option.search(block, at)
            assert m is not None, (c.code, lv.code, lv.label_vi)
            at = m.end()


@needs_text
def test_starred_options_in_the_flat_text() -> None:
    """Phụ lục II marks 575 options (574 written "***".."*****", one "* * * *")."""
    text = re.sub(r"Dấu sao là yêu cầu tối thiểu[^)]*\)", "", _annex_two())
    assert len(re.findall(r"\*{3,5}", text)) == 574
    assert len(re.findall(r"\*(?: ?\*){2,4}", text)) == 575
    assert sum(len(c.minimum_for_stars) for n in range(1, 27) for c in _sheet(n).criteria) == 575


def _generator() -> ModuleType:
    pytest.importorskip("lxml")
    path = ROOT / "scripts" / "generate_qd26_sheets.py"
    spec = importlib.util.spec_from_file_location("generate_qd26_sheets", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@needs_text
def test_shipped_data_is_what_the_generator_reads_in_the_html() -> None:
    """scripts/generate_qd26_sheets.py, run on the decision's HTML, makes exactly the shipped
    catalogue and sheets (and nothing else is in the profile's sheet folder)."""
    files, _ = _generator().build(REGULATIONS / "qd26-2026.html")
    for rel, text in files.items():
        assert (DATA / rel).read_text(encoding="utf-8") == text, rel
    shipped = {f"sheets/qd26-2026/{p.name}" for p in (DATA / "sheets" / "qd26-2026").iterdir()}
    assert shipped == {rel for rel in files if rel.startswith("sheets/")}
    catalogue = json.loads(files["catalogues/qd26-2026.json"])
    assert sum(len(g["sets"]) for g in catalogue["groups"]) == 26
