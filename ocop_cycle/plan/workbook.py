"""The plan report as a workbook the way offices expect one: Vietnamese sheet names, a bold
frozen header, money as ``#,##0``, dates as dd/mm/yyyy, ✓/✗ as text, a totals row, and columns
wide enough to read.

Cells hold values, not formulas: a totals row computed here reads the same in Excel, in
LibreOffice and through openpyxl (which does not evaluate formulas).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from ocop_cycle.clock import to_vn
from ocop_cycle.plan.progress import PlanProgress
from ocop_cycle.plan.render import Section, sections

__all__ = ["DATETIME_FORMAT", "DATE_FORMAT", "MONEY_FORMAT", "write_xlsx"]

MONEY_FORMAT = "#,##0"
DATE_FORMAT = "dd/mm/yyyy"
DATETIME_FORMAT = "dd/mm/yyyy hh:mm"
#: The first cell of a totals row.
TOTAL_VI = "Tổng cộng"
_MAX_WIDTH = 60


def _value(value: Any) -> Any:
    """What a cell holds: ✓/✗ text for booleans, naive local time (Excel has no zones), whole
    đồng as integers."""
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, datetime):
        return to_vn(value).replace(tzinfo=None)
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict | list | tuple):
        return ", ".join(str(v) for v in value)
    return value


def _shown(value: Any) -> str:
    """Roughly what the cell shows, for its column's width."""
    if isinstance(value, datetime):
        return "00/00/0000 00:00"
    if isinstance(value, date):
        return "00/00/0000"
    if isinstance(value, int | float):
        return f"{value:,.0f}"
    return "" if value is None else str(value)


def _sheet(book: Any, section: Section) -> None:
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    sheet = book.create_sheet(section.sheet_vi or section.key)
    fields = [f for f, _ in section.columns]
    sheet.append([heading for _, heading in section.columns])
    for row in section.rows:
        sheet.append([_value(row[f]) for f in fields])
    if section.sums or not section.rows:
        totals: list[Any] = [
            sum((_value(row[f]) or 0) for row in section.rows) if f in section.sums else None
            for f in fields
        ]
        totals[0] = TOTAL_VI if totals[0] is None else totals[0]
        if not section.rows:
            totals[0] = f"{TOTAL_VI}: 0"
        sheet.append(totals)
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)
    else:
        sheet.append([f"{TOTAL_VI}: {len(section.rows)}"])
        sheet.cell(row=sheet.max_row, column=1).font = Font(bold=True)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for index, f in enumerate(fields, start=1):
        width = len(section.columns[index - 1][1])
        for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
            if isinstance(cell.value, datetime):
                cell.number_format = DATETIME_FORMAT
            elif isinstance(cell.value, date):
                cell.number_format = DATE_FORMAT
            elif f in section.money and isinstance(cell.value, int | float):
                cell.number_format = MONEY_FORMAT
            width = max(width, len(_shown(cell.value)))
        sheet.column_dimensions[get_column_letter(index)].width = min(width + 2, _MAX_WIDTH)


def _summary(book: Any, p: PlanProgress) -> None:
    from openpyxl.styles import Font

    sheet = book.create_sheet("Tổng hợp")
    rows: list[tuple[str, Any]] = [
        ("Kế hoạch", p.plan_vi),
        ("Đơn vị ban hành", f"{p.unit_name} ({p.unit_code})"),
        ("Năm", p.year),
        ("Số liệu đến", to_vn(p.as_of).replace(tzinfo=None, microsecond=0)),
        ("Tổng hỗ trợ (đồng)", _value(p.support_total)),
    ]
    sheet.append(["Nội dung", "Giá trị"])
    for row in rows:
        sheet.append(list(row))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    sheet["B5"].number_format = DATETIME_FORMAT
    sheet["B6"].number_format = MONEY_FORMAT
    sheet.column_dimensions["A"].width = 22
    sheet.column_dimensions["B"].width = min(max(len(str(v)) for _, v in rows) + 2, 90)


def write_xlsx(p: PlanProgress, path: Path) -> None:
    """The report as a workbook: a summary sheet, then one sheet per section."""
    from openpyxl import Workbook

    book = Workbook()
    if book.active is not None:
        book.remove(book.active)
    _summary(book, p)
    for section in sections(p):
        _sheet(book, section)
    book.save(path)
