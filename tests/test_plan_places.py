"""Which commune an address names, as offices write addresses: the most specific part that
names one wins, district and province names are where it lay, and a person's name is never
read as a place."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook

from ocop_cycle.plan.importer import read_plan
from ocop_cycle.plan.places import CommuneFinder, Place
from ocop_cycle.rules.book import default_rule_book


@pytest.fixture(scope="module")
def bac_ninh() -> CommuneFinder:
    """Bắc Ninh province on 1 March 2026, after the 2025 merger (it took in Bắc Giang)."""
    rules = default_rule_book()
    on = date(2026, 3, 1)
    unit = rules.units.unit("24", on=on)
    assert unit is not None
    return CommuneFinder(rules.units, unit, on)


def _commune(found: Place | str) -> str:
    assert isinstance(found, Place), found
    return f"{found.unit.full_name} ({found.unit.code})"


@pytest.mark.parametrize(
    ("address", "commune"),
    [
        ("thôn Hạ xã Tiên Lục", "Xã Tiên Lục (07381)"),
        ("Thôn Cả, Mỹ Thái, Lạng Giang, Bắc Giang", "Xã Mỹ Thái (07420)"),
        ("Thôn Cả - Mỹ Thái - Lạng Giang - Bắc Giang", "Xã Mỹ Thái (07420)"),
        ("Thôn Bãi Ổi, xã Mỹ Thái, TP Bắc Giang", "Xã Mỹ Thái (07420)"),
        ("TDP Vạc, xã Kép (huyện Lạng Giang cũ)", "Xã Kép (07399)"),
        ("Thôn Mới, xã Tân Yên cũ nay là xã Tân Yên", "Xã Tân Yên (07339)"),
    ],
    ids=["after-village", "bare-parts", "dashes", "tp-after", "aside", "nay-la"],
)
def test_the_most_specific_part_naming_a_commune_wins(
    bac_ninh: CommuneFinder, address: str, commune: str
) -> None:
    """Addresses run from village to province: the commune is the first part that names one,
    whether announced ("xã …", also after a village in the same part) or bare."""
    assert _commune(bac_ninh.resolve(address)) == commune


def test_former_district_and_province_names_are_no_commune(bac_ninh: CommuneFinder) -> None:
    """ "Bắc Giang" was a province (and its city): today's phường Bắc Giang is not guessed."""
    assert bac_ninh.resolve("Thôn Cả, Lạng Giang, Bắc Giang") == (
        "no commune of Tỉnh Bắc Ninh (24) on 01/03/2026 in the address "
        "'Thôn Cả, Lạng Giang, Bắc Giang'"
    )


def test_an_ambiguous_part_gives_way_to_the_next(bac_ninh: CommuneFinder) -> None:
    """ "Đồng Tiến" was the name of communes now in two others: the next part decides."""
    assert _commune(bac_ninh.resolve("Đồng Tiến, Mỹ Thái, Lạng Giang")) == "Xã Mỹ Thái (07420)"


def test_a_commune_from_a_bare_part_is_said_with_its_text(bac_ninh: CommuneFinder) -> None:
    found = bac_ninh.resolve("Thôn Cả, Mỹ Thái, Lạng Giang")
    assert isinstance(found, Place)
    assert found.note == (
        "xã lấy từ 'Mỹ Thái' trong địa chỉ (commune taken from 'Mỹ Thái'): Xã Mỹ Thái (07420)"
    )


def test_a_name_is_matched_as_written_only(bac_ninh: CommuneFinder) -> None:
    """ "Văn An" ends the name but only "Vạn An" was a ward: no commune from a folded match."""
    assert not isinstance(bac_ninh.resolve("Thôn Hạ", fallback="HTX Trần Văn An"), Place)


def test_a_household_named_after_a_person_gives_no_commune(tmp_path: Path) -> None:
    """ "Hộ kinh doanh Trần Văn An" at "Thôn Hạ": refused, not placed by the name."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in [
        ["UBND TỈNH BẮC NINH"],
        ["BIỂU 1: Sản phẩm tham gia Chương trình OCOP năm 2026"],
        ["TT", "Tên DN, HTX, chủ thể", "Địa chỉ", "Tên sản phẩm tham gia", "Tổng số", "Lộ trình"],
        [None, None, None, None, None, "Tháng 6/2026"],
        ["I", "Sản phẩm đăng ký đánh giá mới"],
        [1, "Hộ kinh doanh Trần Văn An", "Thôn Hạ", "Gạo tẻ thơm", 1, "X"],
    ]:
        sheet.append(row)
    book.save(tmp_path / "household.xlsx")
    read = read_plan(tmp_path / "household.xlsx")
    assert [str(p) for p in read.problems] == [
        "line 6: no commune of Tỉnh Bắc Ninh (24) on 01/03/2026 in the address 'Thôn Hạ'"
    ]


def test_a_bare_name_that_starts_like_a_street_is_a_commune() -> None:
    """ "Dương Đức" reads "duong duc" without diacritics, as "đường" (a street) would: still
    the commune (Lạng Giang, 2024)."""
    rules = default_rule_book()
    on = date(2024, 3, 1)
    unit = rules.units.unit("217", on=on)
    assert unit is not None
    found = CommuneFinder(rules.units, unit, on).resolve("Thôn Hồng Giang, Dương Đức, Lạng Giang")
    assert _commune(found) == "Xã Dương Đức (07408)"
