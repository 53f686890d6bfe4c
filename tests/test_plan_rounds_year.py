"""A plan's rounds and year as its headings give them: a round is a month, and the plan's year
is the one its rounds are held in."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook

from ocop_cycle.plan.importer import read_plan
from tests.plan_sheets import BODY, HEADER, TITLE


def _sheet(
    path: Path,
    *,
    title: list[list[object]] | None = None,
    rounds: tuple[str, str] = ("Tháng 6/2024", "Tháng 10/2024"),
) -> Path:
    """Phù Yên's Biểu 1 with other round headings or another title."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    header = [list(HEADER[0]), [None] * 5 + list(rounds)]
    for row in [*(TITLE if title is None else title), *header]:
        sheet.append(row)
    for row in BODY:
        if isinstance(row, list):
            sheet.append(row)
    book.save(path)
    return path


@pytest.mark.parametrize("quarters", [("Quý 2/2024", "Quý 4/2024"), ("Quý II/2024", "Quý IV/2024")])
def test_a_quarter_heading_is_refused_asking_for_the_month(
    tmp_path: Path, quarters: tuple[str, str]
) -> None:
    """ "Quý 2/2024" is no month (it would read as February): refused, naming its cell."""
    read = read_plan(_sheet(tmp_path / "quarters.xlsx", rounds=quarters))
    assert read.plan is None
    assert [str(p) for p in read.problems] == [
        f"line 6: round heading {quarters[0]!r} (cell F6) is a quarter: write the month the "
        "round is held, e.g. 'Tháng 6/2026' (tiêu đề đợt ghi theo quý: hãy ghi tháng tổ chức đợt)",
        f"line 6: round heading {quarters[1]!r} (cell G6) is a quarter: write the month the "
        "round is held, e.g. 'Tháng 6/2026' (tiêu đề đợt ghi theo quý: hãy ghi tháng tổ chức đợt)",
    ]


def test_a_month_heading_that_names_its_quarter_is_its_month(tmp_path: Path) -> None:
    read = read_plan(
        _sheet(tmp_path / "both.xlsx", rounds=("Tháng 6/2024 (Quý II)", "Tháng 10/2024"))
    )
    assert read.plan is not None, read.problems
    assert [r.key for r in read.plan.rounds] == ["2024-06", "2024-10"]


def _titled(title: str) -> list[list[object]]:
    return [TITLE[0], [title], TITLE[2], []]


def test_a_title_naming_an_earlier_year_first_is_the_rounds_year(tmp_path: Path) -> None:
    """ "… đánh giá lại (công nhận năm 2022), nâng hạng năm 2024": a 2024 plan, as its rounds."""
    title = "BIỂU 1: Sản phẩm đánh giá lại (công nhận năm 2022), nâng hạng năm 2024"
    read = read_plan(_sheet(tmp_path / "two-years.xlsx", title=_titled(title)))
    assert read.plan is not None, read.problems
    assert read.plan.year == 2024


def test_a_title_and_rounds_in_different_years_are_refused_naming_both(tmp_path: Path) -> None:
    title = "BIỂU 1: Sản phẩm tham gia Chương trình OCOP năm 2023"
    read = read_plan(_sheet(tmp_path / "typo.xlsx", title=_titled(title)))
    assert [str(p) for p in read.problems] == [
        "line 0: năm trong tiêu đề (2023) khác năm tổ chức các đợt (2024): dùng --year (the "
        "title's year 2023 and the rounds' year 2024 disagree: give --year)"
    ]


def test_a_last_round_in_the_next_year_keeps_the_titles_year(tmp_path: Path) -> None:
    read = read_plan(_sheet(tmp_path / "january.xlsx", rounds=("Tháng 6/2024", "Tháng 1/2025")))
    assert read.plan is not None, read.problems
    assert read.plan.year == 2024
