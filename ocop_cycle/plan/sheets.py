"""An .xlsx/.xlsm plan workbook read: which sheet holds Biểu 1 and which Biểu 2, and each
sheet's cells as text.

A cell merged down over several rows (one producer's name beside its products, one commune,
group or round mark for several rows) is shown in openpyxl by its top cell only: its value is
copied down to the rows it covers, and those cells are marked as merged (a merged TT numbers
one producer, not each row). A cell merged across columns (a title, a heading over the round
columns) is layout, not data: left as it is. Struck-through text is marked for what it says
(a row struck out of a corrected plan).
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any

from ocop_cycle.plan.bieu2 import is_bieu2_start
from ocop_cycle.plan.grid import CellMarks, Grid, LayoutProblem, PlanFile
from ocop_cycle.plan.layout import is_bieu1_header
from ocop_cycle.plan.places import fold

__all__ = ["read_workbook"]


@dataclass(frozen=True, slots=True)
class _Sheet:
    name: str
    visible: bool
    grid: Grid
    marks: CellMarks = field(default_factory=CellMarks)

    def holds(self, test: Callable[[list[str]], bool]) -> bool:
        return any(test(cells) for _, cells in self.grid)


def read_workbook(raw: bytes, wanted: str | None) -> PlanFile | LayoutProblem:
    """Biểu 1 from the sheet named ``wanted``, else from the one visible sheet that holds its
    header (a workbook may open on a cover sheet or a letter; the first visible sheet when none
    does), followed by any other visible sheet that holds Biểu 2. A hidden sheet is an old
    draft or last year's plan: read only when named."""
    from openpyxl import load_workbook

    try:
        # From its bytes: openpyxl refuses a path whose suffix is not .xlsx/.xlsm. Not
        # read-only: only a loaded sheet knows its merged cells.
        book = load_workbook(io.BytesIO(raw), data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        return LayoutProblem(0, f"not a readable .xlsx workbook: {exc}")
    sheets = [_read_sheet(sheet) for sheet in book.worksheets]
    visible = [s for s in sheets if s.visible] or sheets
    if not visible:
        return PlanFile([])
    first = _named(sheets, wanted) if wanted is not None else _bieu1_sheet(visible)
    if isinstance(first, LayoutProblem):
        return first
    if first.holds(is_bieu2_start):  # Biểu 2 below Biểu 1 on the same sheet
        return PlanFile(first.grid, first.name, marks=first.marks)
    for other in visible:
        at = next((i for i, (_, c) in enumerate(other.grid[:12]) if is_bieu2_start(c)), None)
        if other is not first and at is not None:
            # From its title (or header): the unit's name above it is no row.
            return PlanFile(first.grid + other.grid[at:], first.name, other.name, marks=first.marks)
    return PlanFile(first.grid, first.name, marks=first.marks)


def _read_sheet(sheet: Any) -> _Sheet:
    """A sheet's cells as text (NFC), merged-down cells filled from their top."""
    values: list[list[str]] = []
    struck: set[tuple[int, int]] = set()
    for line, row in enumerate(sheet.iter_rows(), start=1):
        values.append([unicodedata.normalize("NFC", _cell_text(cell.value)) for cell in row])
        struck.update(
            (line, col)
            for col, cell in enumerate(row)
            if cell.value is not None and cell.font is not None and cell.font.strike
        )
    merged: set[tuple[int, int]] = set()
    for area in sheet.merged_cells.ranges:
        if area.min_col != area.max_col or area.min_row == area.max_row:
            continue  # across columns: a title or a heading, not a value for several rows
        col = area.min_col - 1
        top = values[area.min_row - 1][col] if area.min_row <= len(values) else ""
        for line in range(area.min_row + 1, min(area.max_row, len(values)) + 1):
            values[line - 1][col] = top
            merged.add((line, col))
            if (area.min_row, col) in struck:
                struck.add((line, col))
    return _Sheet(
        sheet.title,
        sheet.sheet_state == "visible",
        list(enumerate(values, start=1)),
        CellMarks(frozenset(merged), frozenset(struck)),
    )


def _named(sheets: list[_Sheet], wanted: str) -> _Sheet | LayoutProblem:
    """The sheet called ``wanted`` (as written, else ignoring case and diacritics)."""
    found = next((s for s in sheets if s.name == wanted), None) or next(
        (s for s in sheets if fold(s.name.strip()) == fold(wanted.strip())), None
    )
    if found is not None:
        return found
    names = ", ".join(repr(s.name) for s in sheets)
    return LayoutProblem(
        0, f"--sheet {wanted!r}: không có trang tính này (no such sheet; the workbook has {names})"
    )


def _bieu1_sheet(visible: list[_Sheet]) -> _Sheet | LayoutProblem:
    """The one visible sheet with Biểu 1's whole header (Biểu 2's has three of its columns);
    else the first with a partial one; else the first. Two with the whole header (this year's
    plan and last year's, a draft and the final) are not guessed between."""
    full = [s for s in visible if s.holds(lambda c: is_bieu1_header(c, full=True))]
    if len(full) > 1:
        names = ", ".join(repr(s.name) for s in full)
        return LayoutProblem(
            0,
            f"nhiều trang tính có Biểu 1 ({names}): chọn một bằng --sheet TÊN "
            f"(several sheets hold a Biểu 1 header: choose one with --sheet NAME)",
        )
    if full:
        return full[0]
    return next((s for s in visible if s.holds(is_bieu1_header)), visible[0])


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        if value.time() == time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
