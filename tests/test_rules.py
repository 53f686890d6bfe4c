"""Rule profiles, the catalogue and the scoring sheets load as validated data."""

from __future__ import annotations

import json
import shutil
from datetime import date
from decimal import Decimal
from importlib.resources import files
from pathlib import Path

import pytest

from ocop_cycle import Level, ProfileNotFound, RuleBook, RuleDataInvalid, SheetNotFound
from ocop_cycle.rules.book import default_rule_book

SEED_SETS = [
    "eggs",
    "spirits",
    "noodles",
    "rice",
    "honey",
    "mushrooms",
    "processed_meat",
    "vegetables",
    "cordyceps",
    "rice_cakes",
    "community_tourism",
]
#: The profiles that ship sample sheets for the seed's product sets (qd26-2026 ships the official
#: ones: tests/test_qd26_sheets.py).
PROFILES = ["qd1048-2019", "qd148-2023", "qd1489-2025"]


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    src = Path(str(files("ocop_cycle.rules") / "data"))
    dst = tmp_path / "data"
    shutil.copytree(src, dst)
    return dst


def test_four_profiles_with_their_maxima() -> None:
    """1048 weighs A/B/C as 35/25/40; 148, 1489 and 26/2026 as 40/25/35."""
    book = default_rule_book()
    assert sorted(book.profiles) == [*PROFILES, "qd26-2026"]
    assert book.profile("qd1048-2019").part_maxima == {"A": 35, "B": 25, "C": 40}
    assert book.profile("qd148-2023").part_maxima == {"A": 40, "B": 25, "C": 35}
    assert book.profile("qd1489-2025").part_maxima == {"A": 40, "B": 25, "C": 35}
    assert book.profile("qd26-2026").part_maxima == {"A": 40, "B": 25, "C": 35}


@pytest.mark.parametrize(
    ("day", "profile"),
    [
        (date(2021, 9, 15), "qd1048-2019"),
        (date(2023, 2, 23), "qd1048-2019"),
        (date(2023, 2, 24), "qd148-2023"),
        (date(2025, 7, 5), "qd148-2023"),
        (date(2025, 7, 6), "qd1489-2025"),
        (date(2026, 5, 21), "qd1489-2025"),
        (date(2026, 5, 22), "qd26-2026"),
        (date(2026, 11, 28), "qd26-2026"),
    ],
)
def test_profile_in_force(day: date, profile: str) -> None:
    """A dossier is pinned to the profile in force on its registration date."""
    assert default_rule_book().profile_in_force(day).id == profile


def test_no_profile_before_2019() -> None:
    """Before Decision 1048 there is no profile."""
    with pytest.raises(ProfileNotFound):
        default_rule_book().profile_in_force(date(2018, 1, 1))


def test_tiers_are_data() -> None:
    """Who certifies what: district 3★, province 4★, ministry 5★ (148); no district (1489)."""
    book = default_rule_book()
    p148 = book.profile("qd148-2023")
    assert [(t.level, t.certifies_up_to, t.forward_at) for t in p148.tiers] == [
        (Level.DISTRICT, 3, Decimal(70)),
        (Level.PROVINCE, 4, Decimal(90)),
        (Level.CENTRAL, 5, None),
    ]
    assert book.profile("qd1048-2019").tier(Level.DISTRICT).forward_at == Decimal(50)
    assert [t.level for t in book.profile("qd1489-2025").tiers] == [Level.PROVINCE, Level.CENTRAL]
    assert p148.durations.certificate_validity_months == 36
    assert p148.durations.renewal_notice_days == (90, 60, 30)


@pytest.mark.parametrize(
    ("score", "stars"),
    [
        ("0", 1),
        ("29.99", 1),
        ("30", 2),
        ("49.99", 2),
        ("50", 3),
        ("69.99", 3),
        ("70", 4),
        ("89.99", 4),
        ("90", 5),
        ("100", 5),
    ],
)
def test_star_bands(score: str, stars: int) -> None:
    """<30 1★, 30–49.99 2★, 50–69.99 3★, 70–89.99 4★, ≥90 5★."""
    assert default_rule_book().profile("qd148-2023").stars_for(Decimal(score)) == stars


def test_six_groups_hold_the_seed_sets() -> None:
    """The catalogue has the six groups; every product set of the seed plan is in one of them."""
    catalogue = default_rule_book().catalogue
    assert [g.number for g in catalogue.groups] == [1, 2, 3, 4, 5, 6]
    assert catalogue.group_of("spirits").code == "beverages"  # type: ignore[union-attr]
    assert catalogue.group_of("cordyceps").code == "herbal"  # type: ignore[union-attr]
    assert catalogue.group_of("community_tourism").code == "tourism"  # type: ignore[union-attr]
    assert all(catalogue.group_of(s) is not None for s in SEED_SETS)


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("product_set", SEED_SETS)
def test_sheets_for_every_seed_set(profile: str, product_set: str) -> None:
    """Each profile ships a sheet per seed product set, reaching exactly its part maxima."""
    book = default_rule_book()
    sheet = book.sheet(profile, product_set)
    assert sheet.sample is True
    maxima = book.profile(profile).part_maxima
    assert sheet.part_maxima() == {k: Decimal(v) for k, v in maxima.items()}


def test_missing_sheet() -> None:
    """Asking for a sheet that does not exist names the profile and set."""
    with pytest.raises(SheetNotFound, match="tea"):
        default_rule_book().sheet("qd148-2023", "tea")


def test_sheet_over_part_maximum_is_refused(data_copy: Path) -> None:
    """A sheet whose part A can exceed the profile's maximum fails to load."""
    path = data_copy / "sheets" / "qd148-2023" / "eggs.json"
    sheet = json.loads(path.read_text(encoding="utf-8"))
    sheet["criteria"][0]["levels"].append(
        {"code": "z", "points": "9", "label_vi": "Quá mức", "label_en": "Too much"}
    )
    path.write_text(json.dumps(sheet, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(RuleDataInvalid, match="part A can reach 46"):
        RuleBook.load(data_copy)


def test_profile_with_missing_permission_is_refused(data_copy: Path) -> None:
    """A profile must say who may fire every command."""
    path = data_copy / "profiles" / "qd148-2023.json"
    profile = json.loads(path.read_text(encoding="utf-8"))
    del profile["permissions"]["withdraw"]
    path.write_text(json.dumps(profile, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(RuleDataInvalid, match="withdraw"):
        RuleBook.load(data_copy)


def test_minimum_level_must_exist(data_copy: Path) -> None:
    """A mandatory minimum naming a level the criterion lacks fails to load."""
    path = data_copy / "sheets" / "qd148-2023" / "honey.json"
    sheet = json.loads(path.read_text(encoding="utf-8"))
    sheet["criteria"][0]["minimum_for_stars"] = {"3": "q"}
    path.write_text(json.dumps(sheet, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(RuleDataInvalid, match="minimum level 'q'"):
        RuleBook.load(data_copy)


def test_bad_json_is_reported(data_copy: Path) -> None:
    """A file that is not UTF-8 JSON is named in the error."""
    (data_copy / "catalogue.json").write_bytes(b"\xff\xfe not json")
    with pytest.raises(RuleDataInvalid, match=r"catalogue\.json"):
        RuleBook.load(data_copy)
