"""`report plan --format xlsx` as offices expect it, read back with openpyxl: Vietnamese sheet
names, a bold frozen header, #,##0 money, dd/mm/yyyy dates, ✓/✗ as text, totals, widths."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from ocop_cycle.cli import main
from tests.plan_sheets import write_xlsx

SHEETS = [
    "Tổng hợp",
    "Mục tiêu",
    "Đợt đánh giá",
    "Theo xã",
    "Theo nhóm sản phẩm",
    "Hồ sơ đang xử lý",
    "Hỗ trợ",
    "Đề nghị hỗ trợ (Biểu 2)",
]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Any]:
    """A demo year of Lạng Giang: the report as JSON and as a workbook."""
    folder = tmp_path_factory.mktemp("workbook")
    url = f"sqlite:///{folder / 'demo.db'}"
    assert main(["--db", url, "demo", "--seed", "9", "--format", "json"]) == 0
    book_path = folder / "bao-cao.xlsx"
    args = ["--db", url, "report", "plan"]
    assert main([*args, "--format", "xlsx", "--output", str(book_path)]) == 0
    assert main([*args, "--format", "json", "--output", str(folder / "r.json")]) == 0
    doc = json.loads((folder / "r.json").read_text(encoding="utf-8"))
    return doc, load_workbook(book_path)


def _rows(sheet: Any) -> list[tuple[Any, ...]]:
    return list(sheet.iter_rows(values_only=True))


def test_sheets_have_vietnamese_names_and_a_bold_frozen_header(demo: tuple[Any, Any]) -> None:
    """Every sheet is named in Vietnamese; its header row is bold and frozen; columns are at
    least as wide as their heading."""
    _, book = demo
    assert book.sheetnames == SHEETS
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2"
        assert all(cell.font.bold for cell in sheet[1] if cell.value is not None)
        for cell in sheet[1]:
            width = sheet.column_dimensions[cell.column_letter].width
            assert width >= len(str(cell.value))


def test_money_is_whole_dong_shown_with_thousands(demo: tuple[dict[str, Any], Any]) -> None:
    """Support amounts are numbers formatted #,##0, and the totals row adds them up to the
    report's total."""
    doc, book = demo
    sheet = book["Hỗ trợ"]
    rows = _rows(sheet)
    assert rows[0] == (
        "Sản phẩm",
        "Chủ thể",
        "Căn cứ",
        "Hạng sao",
        "Số tiền (đồng)",
        "Mã sản phẩm",
        "Bộ quy định",
    )
    body, total = rows[1:-1], rows[-1]
    assert len(body) == len(doc["support"]) > 0
    assert all(isinstance(r[4], int) for r in body)
    assert all(sheet.cell(row=i, column=5).number_format == "#,##0" for i in range(2, len(rows)))
    assert total[0] == "Tổng cộng"
    assert Decimal(total[4]) == Decimal(doc["support_total"])
    assert sheet.cell(row=len(rows), column=1).font.bold
    summary = dict(_rows(book["Tổng hợp"])[1:])
    assert Decimal(summary["Tổng hỗ trợ (đồng)"]) == Decimal(doc["support_total"])
    assert book["Tổng hợp"]["B6"].number_format == "#,##0"


def test_dates_are_dates_shown_dd_mm_yyyy(demo: tuple[dict[str, Any], Any]) -> None:
    """Round dates are real dates (sortable) displayed dd/mm/yyyy; the summary's as-of time
    is a date-time (local, to the second) displayed dd/mm/yyyy hh:mm."""
    doc, book = demo
    sheet = book["Đợt đánh giá"]
    rows = _rows(sheet)
    meetings = [r[1] for r in rows[1:-1]]
    assert [m.date() for m in meetings] == [
        date.fromisoformat(r["council_meeting_on"]) for r in doc["rounds"]
    ]
    assert all(sheet.cell(row=i, column=2).number_format == "dd/mm/yyyy" for i in range(2, 4))
    as_of = dict(_rows(book["Tổng hợp"])[1:])["Số liệu đến"]
    assert isinstance(as_of, datetime)
    assert as_of.microsecond == 0
    assert book["Tổng hợp"]["B5"].number_format == "dd/mm/yyyy hh:mm"


def test_yes_and_no_are_ticks_as_text_and_totals_add_up(demo: tuple[dict[str, Any], Any]) -> None:
    """ "Đạt", "Nhãn hiệu", "Bao bì, tem" hold ✓ or ✗ as text; the communes' totals row adds up
    each count column."""
    doc, book = demo
    targets = _rows(book["Mục tiêu"])
    assert [r[3] for r in targets[1:-1]] == ["✓" if t["met"] else "✗" for t in doc["targets"]]
    requests = _rows(book["Đề nghị hỗ trợ (Biểu 2)"])
    assert {r[3] for r in requests[1:-1]} | {r[4] for r in requests[1:-1]} <= {"✓", "✗"}
    communes = _rows(book["Theo xã"])
    total = communes[-1]
    assert total[0] == "Tổng cộng"
    assert total[1] == sum(c["planned"] for c in doc["communes"]) == 23
    assert total[3] == sum(c["recognized"] for c in doc["communes"])


def test_any_imported_plan_has_the_same_workbook(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], office_in_2024: None
) -> None:
    """Phù Yên's plan, right after import: the same sheets; empty sections say "Tổng cộng: 0";
    open dossiers are counted."""
    url = f"sqlite:///{tmp_path / 'py.db'}"
    assert main(["--db", url, "db", "upgrade"]) == 0
    assert main(["--db", url, "import-plan", str(write_xlsx(tmp_path / "b1.xlsx"))]) == 0
    out = tmp_path / "py.xlsx"
    assert (
        main(
            [
                "--db",
                url,
                "report",
                "plan",
                "--unit",
                "122",
                "--format",
                "xlsx",
                "--output",
                str(out),
            ]
        )
        == 0
    )
    capsys.readouterr()
    book = load_workbook(out)
    assert book.sheetnames == SHEETS
    assert dict(_rows(book["Tổng hợp"])[1:])["Đơn vị ban hành"] == "Huyện Phù Yên (122)"
    assert _rows(book["Hỗ trợ"])[-1][0] == "Tổng cộng: 0"
    assert _rows(book["Hồ sơ đang xử lý"])[-1][0] == "Tổng cộng: 7"
    assert _rows(book["Theo xã"])[-1][1] == 9
