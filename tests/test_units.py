"""Administrative units as dated records: the reform of 01/07/2025, codes reused for other
territories, successions (split communes ambiguous), containment on a date, the CLI."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import unicodedata
from collections import Counter
from datetime import date
from importlib import metadata, resources
from pathlib import Path

import pytest

from ocop_cycle.cli import main
from ocop_cycle.errors import NotFound, UnitNotFound
from ocop_cycle.rules.units import (
    REFORM_DATE,
    AdminUnit,
    UnitLevel,
    UnitRegistry,
    UnitType,
    default_unit_registry,
)

ROOT = Path(__file__).resolve().parent.parent
BEFORE = date(2024, 3, 1)  # a dossier registered under the three tiers
LAST_DAY = date(2025, 6, 30)
AFTER = date(2026, 1, 15)


@pytest.fixture(scope="module")
def units() -> UnitRegistry:
    return default_unit_registry()


def _codes(found: tuple[AdminUnit, ...]) -> list[str]:
    return [u.code for u in found]


def _unit(units: UnitRegistry, code: str, on: date) -> AdminUnit:
    found = units.unit(code, on=on)
    assert found is not None, f"{code} on {on}"
    return found


# The examples of DOMAIN.md §7


def test_xuong_lam_before_the_reform(units: UnitRegistry) -> None:
    """xã Xương Lâm 07426 lies in huyện Lạng Giang 217, tỉnh Bắc Giang 24, until 30/06/2025."""
    xuong_lam = _unit(units, "07426", BEFORE)
    assert (xuong_lam.full_name, xuong_lam.type, xuong_lam.level) == (
        "Xã Xương Lâm",
        UnitType.COMMUNE,
        UnitLevel.COMMUNE,
    )
    assert (xuong_lam.valid_from, xuong_lam.valid_until) == (None, LAST_DAY)
    assert [(u.code, u.full_name) for u in units.ancestors("07426", on=BEFORE)] == [
        ("217", "Huyện Lạng Giang"),
        ("24", "Tỉnh Bắc Giang"),
    ]


def test_xuong_lam_became_part_of_xa_lang_giang(units: UnitRegistry) -> None:
    """From 01/07/2025 Xương Lâm is in xã Lạng Giang 07375, tỉnh Bắc Ninh 24; not ambiguous."""
    succession = units.successors("07426")
    assert not succession.ambiguous
    [lang_giang] = succession.successors
    assert (lang_giang.code, lang_giang.full_name, lang_giang.valid_from) == (
        "07375",
        "Xã Lạng Giang",
        REFORM_DATE,
    )
    assert _unit(units, lang_giang.parent_code or "", AFTER).full_name == "Tỉnh Bắc Ninh"
    assert units.successor_on("07426", AFTER) == (lang_giang,)


def test_kep_township_became_xa_kep(units: UnitRegistry) -> None:
    """thị trấn Kép 07399 became xã Kép 07399: same code, another kind and territory."""
    township = _unit(units, "07399", BEFORE)
    commune = _unit(units, "07399", AFTER)
    assert (township.full_name, commune.full_name) == ("Thị trấn Kép", "Xã Kép")
    assert _codes(units.successors("07399").successors) == ["07399"]
    assert units.records("07399") == (township, commune)


def test_code_24_is_bac_giang_then_the_merged_bac_ninh(units: UnitRegistry) -> None:
    """ "24" was Bắc Giang until 30/06/2025 and is Bắc Ninh (Bắc Giang + old Bắc Ninh 27) after."""
    assert _unit(units, "24", LAST_DAY).full_name == "Tỉnh Bắc Giang"
    assert _unit(units, "27", LAST_DAY).full_name == "Tỉnh Bắc Ninh"
    assert _unit(units, "24", REFORM_DATE).full_name == "Tỉnh Bắc Ninh"
    assert units.unit("27", on=REFORM_DATE) is None
    assert [u.full_name for u in units.successors("24").successors] == ["Tỉnh Bắc Ninh"]
    assert [u.full_name for u in units.successors("27").successors] == ["Tỉnh Bắc Ninh"]
    merged = units.predecessors("24", on=AFTER)
    assert [u.code for u in merged if u.level is UnitLevel.PROVINCE] == ["24", "27"]


def test_lang_giang_commune_has_four_predecessors(units: UnitRegistry) -> None:
    """xã Lạng Giang was formed from thị trấn Vôi and xã Hương Lạc, Tân Hưng, Xương Lâm."""
    assert _codes(units.predecessors("07375", on=AFTER)) == ["07375", "07405", "07417", "07426"]


# Counts and structure, exactly as the source gives them


def test_counts_before_the_reform(units: UnitRegistry) -> None:
    """On 30/06/2025: 63 provinces, 696 districts, 10,035 communes."""
    counts = Counter(u.level for u in units.units(on=LAST_DAY))
    assert counts == {UnitLevel.PROVINCE: 63, UnitLevel.DISTRICT: 696, UnitLevel.COMMUNE: 10035}
    kinds = Counter(u.type for u in units.units(on=LAST_DAY, level=UnitLevel.COMMUNE))
    assert kinds == {UnitType.COMMUNE: 7692, UnitType.WARD: 1726, UnitType.TOWNSHIP: 617}


def test_counts_after_the_reform(units: UnitRegistry) -> None:
    """From 01/07/2025: 34 provinces (6 centrally-run cities), no districts, 3,321 communes."""
    assert units.units(on=AFTER, level=UnitLevel.DISTRICT) == ()
    provinces = Counter(u.type for u in units.units(on=AFTER, level=UnitLevel.PROVINCE))
    assert provinces == {UnitType.PROVINCE: 28, UnitType.CENTRAL_CITY: 6}
    communes = Counter(u.type for u in units.units(on=AFTER, level=UnitLevel.COMMUNE))
    assert communes == {UnitType.COMMUNE: 2621, UnitType.WARD: 687, UnitType.SPECIAL_ZONE: 13}
    assert len(units) == 63 + 696 + 10035 + 34 + 3321


def test_every_commune_after_the_reform_is_in_a_province(units: UnitRegistry) -> None:
    """Two tiers: each post-reform commune's parent is a post-reform province."""
    for commune in units.units(on=REFORM_DATE, level=UnitLevel.COMMUNE):
        parent = units.parent(commune)
        assert parent is not None, commune
        assert parent.level is UnitLevel.PROVINCE
        assert parent.valid_from == REFORM_DATE


def test_every_commune_before_the_reform_is_in_a_district_of_a_province(
    units: UnitRegistry,
) -> None:
    """Three tiers: commune → district → province, all records of the same period."""
    for commune in units.units(on=LAST_DAY, level=UnitLevel.COMMUNE):
        levels = [u.level for u in units.ancestors(commune.code, on=LAST_DAY)]
        assert levels == [UnitLevel.DISTRICT, UnitLevel.PROVINCE], commune


#: Pre-reform units the source gives no successor. None: every one is mapped.
WITHOUT_SUCCESSOR: frozenset[str] = frozenset()


def test_every_unit_before_the_reform_has_a_successor(units: UnitRegistry) -> None:
    """Each pre-reform unit names ≥ 1 successor valid on 01/07/2025, or is listed as having none."""
    missing = set()
    for unit in units.units(on=LAST_DAY):
        succession = units.successors(unit.code, on=LAST_DAY)
        assert len(succession.successors) == len(unit.successors), unit
        assert all(s.valid_from == REFORM_DATE for s in succession.successors)
        if not succession.successors:
            missing.add(unit.code)
    assert missing == WITHOUT_SUCCESSOR


def test_successors_stay_within_the_successor_province(units: UnitRegistry) -> None:
    """Provinces merged whole: an old commune's parts all lie in its old province's successor."""
    for commune in units.units(on=LAST_DAY, level=UnitLevel.COMMUNE):
        [province] = units.successor_on(units.ancestors(commune.code, on=LAST_DAY)[-1].code, AFTER)
        for part in units.successor_on(commune.code, AFTER):
            assert units.contains(province.code, part.code, on=AFTER), (commune, part)


def test_districts_pass_to_the_new_province(units: UnitRegistry) -> None:
    """The district tier was abolished: huyện Lạng Giang's successor is tỉnh Bắc Ninh."""
    assert _codes(units.successor_on("217", AFTER)) == ["24"]
    assert units.successor_on("217", AFTER)[0].level is UnitLevel.PROVINCE


def test_names_are_nfc_and_trimmed(units: UnitRegistry) -> None:
    """Every name is in Unicode NFC, trimmed, without its kind; the full name adds the kind."""
    for code in ("07426", "24", "217", "01"):
        for unit in units.records(code):
            assert unit.full_name.endswith(" " + unit.name)
    for unit in [*units.units(on=LAST_DAY), *units.units(on=AFTER)]:
        assert unit.name == unicodedata.normalize("NFC", unit.name) == unit.name.strip() != ""


# Split communes


def test_split_communes_are_ambiguous(units: UnitRegistry) -> None:
    """471 old communes were split among 2–5 new ones; exactly those are ambiguous."""
    split = [u for u in units.units(on=LAST_DAY) if u.ambiguous]
    assert len(split) == 471
    assert Counter(len(u.successors) for u in split) == {2: 397, 3: 58, 4: 15, 5: 1}
    assert all(u.level is UnitLevel.COMMUNE for u in split)


def test_a_split_commune_lists_the_default_part_first(units: UnitRegistry) -> None:
    """phường Cống Vị (Ba Đình, Hà Nội) went to phường Ngọc Hà (the default) and Giảng Võ."""
    succession = units.successors("00007")
    assert succession.ambiguous
    assert [(u.code, u.full_name) for u in succession.successors] == [
        ("00008", "Phường Ngọc Hà"),
        ("00025", "Phường Giảng Võ"),
    ]
    assert units.successor_on("00007", AFTER) == succession.successors


# Containment and succession on dates


def test_containment_depends_on_the_date(units: UnitRegistry) -> None:
    """Each code is read as it was on the day asked."""
    assert units.contains("24", "07426", on=BEFORE)
    assert units.contains("217", "07426", on=BEFORE)
    assert not units.contains("27", "07426", on=BEFORE)
    assert not units.contains("24", "07426", on=AFTER)  # Xương Lâm no longer exists
    assert units.contains("24", "07375", on=AFTER)
    assert not units.contains("27", "07375", on=AFTER)  # "27" names nothing any more
    assert units.contains("24", "24", on=AFTER)
    assert not units.contains("07426", "24", on=BEFORE)
    assert not units.contains("24", "99999", on=BEFORE)


def test_a_2024_dossier_is_found_under_todays_bac_ninh(units: UnitRegistry) -> None:
    """A commune code recorded in 2024 maps to the units that carry it today, in Bắc Ninh 24."""
    for code in ("07426", "07399", "217", "24"):
        carriers = units.successor_on(code, AFTER, recorded_on=BEFORE)
        assert carriers
        assert all(units.contains("24", u.code, on=AFTER) for u in carriers)
    assert not any(units.contains("24", u.code, on=AFTER) for u in units.successor_on("01", AFTER))


def test_successor_on_a_date_while_the_unit_is_valid_is_itself(units: UnitRegistry) -> None:
    """Before the reform the unit carries its own authority; before it existed, nothing does."""
    assert units.successor_on("07426", BEFORE) == (_unit(units, "07426", BEFORE),)
    assert units.successor_on("07375", BEFORE, recorded_on=AFTER) == ()


def test_recorded_on_chooses_which_meaning_of_a_code(units: UnitRegistry) -> None:
    """Without a date a code means its first record; ``recorded_on``/``on`` pick another."""
    assert units.successors("24").unit.full_name == "Tỉnh Bắc Giang"
    assert units.successors("24", on=AFTER).successors == ()
    assert units.predecessors("24", on=BEFORE) == ()
    assert units.predecessors("24") == units.predecessors("24", on=AFTER)


def test_unknown_code_raises_unit_not_found(units: UnitRegistry) -> None:
    """An unknown code, or one that named nothing on the date, is a NotFound with its data."""
    assert units.unit("99999", on=BEFORE) is None
    with pytest.raises(UnitNotFound) as caught:
        units.successors("99999")
    assert isinstance(caught.value, NotFound | LookupError)
    assert caught.value.code == "99999"
    with pytest.raises(UnitNotFound, match="on 2026-01-15"):
        units.successor_on("07426", AFTER, recorded_on=AFTER)


# The data and its source


def test_the_plan_communes_agree(units: UnitRegistry) -> None:
    """The Lạng Giang 2024 plan's 19 communes have these codes and these 2025 successors."""
    path = ROOT / "ocop_cycle" / "plan" / "data" / "lang_giang_2024" / "communes.csv"
    with path.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 19
    for row in rows:
        assert units.contains(row["district_code"], row["commune_code"], on=BEFORE)
        assert units.contains(row["province_code"], row["district_code"], on=BEFORE)
        [successor] = units.successor_on(row["commune_code"], AFTER)
        assert (successor.code, successor.full_name) == (
            row["successor_2025_code"],
            row["successor_2025_name"],
        )


def test_the_data_ships_with_the_package_and_names_its_source(units: UnitRegistry) -> None:
    """The registry reads the packaged file, which names its pinned source."""
    data = resources.files("ocop_cycle.rules") / "data" / "units.json.gz"
    assert data.is_file()
    assert units.source["package"] == "vietnamadminunits"
    assert units.source["version"] == "1.0.4"
    assert default_unit_registry() is units


def _source_arguments() -> list[str] | None:
    wheel = os.environ.get("OCOP_UNITS_SOURCE_WHEEL")
    if wheel:
        return ["--wheel", wheel]
    try:
        installed = metadata.version("vietnamadminunits")
    except metadata.PackageNotFoundError:
        return None
    return [] if installed == "1.0.4" else None


def test_the_shipped_data_is_what_the_source_gives() -> None:
    """Regenerating from the pinned source reproduces the shipped file byte for byte."""
    arguments = _source_arguments()
    if arguments is None:
        pytest.skip("vietnamadminunits 1.0.4 is not installed (pip install --no-deps)")
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "generate_units.py"), "--check", *arguments],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# The command line


def test_cli_units_show_prints_a_unit_in_vietnamese(capsys: pytest.CaptureFixture[str]) -> None:
    """`units show 07426` names the commune, its district and province, period and successor."""
    assert main(["units", "show", "07426"]) == 0
    out = capsys.readouterr().out
    assert "Xã Xương Lâm" in out
    assert "Huyện Lạng Giang (217), Tỉnh Bắc Giang (24)" in out
    assert "đến 30/06/2025" in out
    assert "Đơn vị kế thừa    Xã Lạng Giang (07375)" in out


def test_cli_units_show_lists_every_meaning_of_a_code(capsys: pytest.CaptureFixture[str]) -> None:
    """`units show 24` shows Bắc Giang and Bắc Ninh; with --on, only the one of that day."""
    assert main(["units", "show", "24"]) == 0
    out = capsys.readouterr().out
    assert "Tỉnh Bắc Giang" in out
    assert "Tỉnh Bắc Ninh (27)" in out  # among the merged Bắc Ninh's predecessors
    assert main(["units", "show", "24", "--on", "2024-03-01"]) == 0
    out = capsys.readouterr().out
    assert "Tỉnh Bắc Giang" in out
    assert "Bắc Ninh" in out  # its successor
    assert "từ 01/07/2025" not in out


def test_cli_units_successors_marks_a_split(capsys: pytest.CaptureFixture[str]) -> None:
    """`units successors` lists the new units; a split one says so and marks the default."""
    assert main(["units", "successors", "07426"]) == 0
    out = capsys.readouterr().out
    assert "Từ 01/07/2025:\n  Xã Lạng Giang (07375), Tỉnh Bắc Ninh (24)" in out
    assert main(["units", "successors", "00007"]) == 0
    out = capsys.readouterr().out
    assert "bị chia cho 2 đơn vị" in out
    assert "Phường Ngọc Hà (00008), Thành phố Hà Nội (01)  [mặc định]" in out


def test_cli_unknown_code_exits_1_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown code, or one not valid on --on, is one line on stderr and exit 1."""
    for argv in (
        ["units", "show", "99999"],
        ["units", "successors", "99999"],
        ["units", "show", "07426", "--on", "2026-01-15"],
    ):
        assert main(argv) == 1
        captured = capsys.readouterr()
        assert captured.out == ""
        assert captured.err.count("\n") == 1
        assert captured.err.startswith("ocop-cycle: ")


@pytest.mark.parametrize(
    "argv",
    [["units"], ["units", "show"], ["units", "show", "24", "--on", "30/06/2025"]],
    ids=["no-action", "no-code", "bad-date"],
)
def test_cli_units_usage_errors_exit_2(argv: list[str]) -> None:
    """A missing action or code, or a date not in ISO form, is a usage error."""
    with pytest.raises(SystemExit) as caught:
        main(argv)
    assert caught.value.code == 2
