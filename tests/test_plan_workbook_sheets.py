"""Which sheet of an office's workbook is the plan: the one visible sheet holding Biểu 1's
header, never a hidden draft; several such sheets are not guessed between (``--sheet NAME``
chooses); the sheet read is always named."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook

from ocop_cycle import Engine
from ocop_cycle.cli import main
from ocop_cycle.plan.importer import read_plan
from ocop_cycle.plan.stored import stored_plan
from tests.plan_sheets import BODY, rows, write_xlsx

#: Last year's draft: its first section only, two products.
DRAFT = BODY[:3]


def _with_draft(path: Path, *, hidden: bool) -> Path:
    """The plan's workbook with a draft of it as the first sheet, hidden or not."""
    write_xlsx(path)
    book = load_workbook(path)
    draft = book.create_sheet("Dự thảo lần 1", 0)
    for row in rows(DRAFT):
        draft.append(row)
    if hidden:
        draft.sheet_state = "hidden"
    book.save(path)
    return path


def test_a_hidden_draft_sheet_first_is_skipped(tmp_path: Path) -> None:
    read = read_plan(_with_draft(tmp_path / "draft.xlsx", hidden=True))
    assert read.plan is not None, read.problems
    assert len(read.plan.entries) == 9
    assert read.notices[0] == (0, "Biểu 1 đọc từ trang tính 'Biểu 1' (read from sheet 'Biểu 1')")


def test_two_visible_sheets_with_bieu1_are_refused_naming_them(tmp_path: Path) -> None:
    read = read_plan(_with_draft(tmp_path / "two.xlsx", hidden=False))
    assert read.plan is None
    assert [str(p) for p in read.problems] == [
        "line 0: nhiều trang tính có Biểu 1 ('Dự thảo lần 1', 'Biểu 1'): chọn một bằng --sheet "
        "TÊN (several sheets hold a Biểu 1 header: choose one with --sheet NAME)"
    ]


@pytest.mark.parametrize(("sheet", "count"), [("Biểu 1", 9), ("du thao lan 1", 2)])
def test_the_sheet_named_is_read(tmp_path: Path, sheet: str, count: int) -> None:
    """Named, even hidden and written without diacritics, the sheet is the one read."""
    read = read_plan(_with_draft(tmp_path / "named.xlsx", hidden=True), sheet=sheet)
    assert read.plan is not None, read.problems
    assert len(read.plan.entries) == count


def test_a_sheet_not_in_the_workbook_is_refused_listing_its_sheets(tmp_path: Path) -> None:
    read = read_plan(write_xlsx(tmp_path / "one.xlsx"), sheet="Biểu 3")
    assert [p.message for p in read.problems] == [
        "--sheet 'Biểu 3': không có trang tính này (no such sheet; the workbook has 'Biểu 1')"
    ]


def test_import_plan_sheet_option_chooses_and_names_the_sheet(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], office_in_2024: None
) -> None:
    path = _with_draft(tmp_path / "two.xlsx", hidden=False)
    assert main(["--db", db_url, "import-plan", str(path)]) == 1
    assert "--sheet NAME" in capsys.readouterr().out
    assert main(["--db", db_url, "import-plan", str(path), "--sheet", "Biểu 1"]) == 0
    assert f"{path}: Biểu 1 đọc từ trang tính 'Biểu 1'" in capsys.readouterr().out
    with Engine.open(db_url) as engine:
        plan = stored_plan(engine, 2024, "122")
    assert plan is not None
    assert len(plan.entries) == 9
