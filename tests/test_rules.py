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
from ocop_cycle.workflows.derive import valid_until

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


def test_every_tier_names_who_records_not_recognised(data_copy: Path) -> None:
    """Any tier's result may fall below 3★, so every tier names the body that records it
    (``certifier_roles``), even a tier that certifies nothing."""
    path = data_copy / "profiles" / "qd1048-2019.json"
    profile = json.loads(path.read_text(encoding="utf-8"))
    profile["tiers"][0]["certifier_roles"] = []
    path.write_text(json.dumps(profile), encoding="utf-8")
    with pytest.raises(RuleDataInvalid, match="records 'not recognised'"):
        RuleBook.load(data_copy)


def test_a_tier_sets_its_own_council_rules_over_the_profiles(data_copy: Path) -> None:
    """Council rules are per tier: the central tier asks 5 members (5 of 7) while the district
    keeps the profile's defaults; what a tier does not set comes from the profile."""
    path = data_copy / "profiles" / "qd148-2023.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["tiers"][2]["council"] = {"min_members": 5}
    path.write_text(json.dumps(data), encoding="utf-8")
    profile = RuleBook.load(data_copy).profile("qd148-2023")
    central = profile.council_for(Level.CENTRAL)
    assert (central.min_members, central.quorum_fraction, central.max_spread) == (
        5,
        Decimal("0.75"),
        Decimal(10),
    )
    assert profile.council_for(Level.DISTRICT) == profile.council
    assert profile.council_for(None) == profile.council


@pytest.mark.parametrize("profile_id", PROFILES)
def test_shipped_tiers_keep_the_profiles_council_rules(profile_id: str) -> None:
    """The shipped profiles set no tier-specific council rules: every tier uses the profile's."""
    profile = default_rule_book().profile(profile_id)
    assert {profile.council_for(t.level) for t in profile.tiers} == {profile.council}


@pytest.mark.parametrize(
    ("counting", "decided", "last_day"),
    [
        ("civil_code", date(2024, 6, 20), date(2027, 6, 20)),
        ("day_before", date(2024, 6, 20), date(2027, 6, 19)),
        ("civil_code", date(2024, 2, 29), date(2027, 2, 28)),  # no 29/02/2027: the month's last
        ("day_before", date(2024, 2, 29), date(2027, 2, 27)),
    ],
)
def test_a_certificates_last_day_follows_the_counting_setting(
    counting: str, decided: date, last_day: date
) -> None:
    """36 months from 20/06/2024 run through 20/06/2027 by the Civil Code (arts. 147–148, the
    default); ``day_before`` keeps the older convention, 19/06/2027."""
    base = default_rule_book().profile("qd148-2023")
    profile = base.model_copy(
        update={"durations": base.durations.model_copy(update={"validity_counting": counting})}
    )
    assert valid_until(profile, decided) == last_day


@pytest.mark.parametrize("profile_id", PROFILES)
def test_shipped_profiles_count_validity_by_the_civil_code(profile_id: str) -> None:
    """A certificate decided 20/06/2024 is valid through 20/06/2027 under every shipped profile."""
    profile = default_rule_book().profile(profile_id)
    assert profile.durations.validity_counting == "civil_code"
    assert valid_until(profile, date(2024, 6, 20)) == date(2027, 6, 20)


def test_only_one_tier_certifies_at_its_cap_while_forwarding(data_copy: Path) -> None:
    """A certificate goes up from one tier only: the setting on two tiers fails to load."""
    path = data_copy / "profiles" / "qd148-2023.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    for tier in data["tiers"][:2]:
        tier["certify_at_cap_when_forwarding"] = True
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(RuleDataInvalid, match="more than one tier"):
        RuleBook.load(data_copy)
