"""A plan file read into a grid of text cells with their lines: a CSV (UTF-8, UTF-16 with its
byte-order mark, or Windows-1258 -- see :mod:`ocop_cycle.plan.encoding`; separated by commas,
semicolons -- Excel under Vietnamese regional settings, with or without its "sep=;" line -- or
tabs) or an .xlsx/.xlsm workbook's sheet,
told apart by their content, whatever the file's name. A legacy .xls, an encrypted workbook and
an .ods are refused saying how to save them.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time
from pathlib import Path

from ocop_cycle.plan.encoding import decode_csv
from ocop_cycle.plan.grid import Grid, LayoutProblem
from ocop_cycle.plan.layout import is_bieu1_header, is_bieu2_title
from ocop_cycle.plan.places import fold

__all__ = ["PlanFile", "read_file", "read_grid"]


@dataclass(frozen=True, slots=True)
class PlanFile:
    """A file's grid, and the sheets it was read from ("" for a CSV), to say which."""

    grid: Grid
    #: The sheet Biểu 1 was read from.
    sheet: str = ""
    #: The sheet Biểu 2 was read from, when another one.
    bieu2_sheet: str = ""
    #: The encoding a CSV was read in when not a Unicode one (``encoding.WINDOWS_1258``).
    legacy_encoding: str = ""


def read_grid(path: Path) -> Grid | LayoutProblem:
    """Every row of a CSV or of a workbook's Biểu 1 sheet, as text cells with its
    line."""
    read = read_file(path)
    return read if isinstance(read, LayoutProblem) else read.grid


def read_file(path: Path, sheet: str | None = None) -> PlanFile | LayoutProblem:
    """A CSV's rows, or a workbook's: from ``sheet`` if given, else from the visible sheet
    that holds Biểu 1's header, followed by Biểu 2 from another visible sheet."""
    try:
        raw = path.read_bytes()
    except OSError as exc:  # missing, a directory, no permission: one line, not a traceback
        return LayoutProblem(0, f"cannot read {path}: {exc.strerror or exc}")
    # What the file is, not what it is called: a workbook renamed .csv or .xls, a .xlsm.
    if raw.startswith(_OLE2):
        return LayoutProblem(0, _OLE2_SAYS)
    if raw.startswith(_ZIP) and _ODS in raw[:256]:
        return LayoutProblem(0, _ODS_SAYS)
    if raw.startswith(_ZIP) or path.suffix.lower() in {".xlsx", ".xlsm"}:
        return _xlsx(raw, sheet)
    if sheet is not None:
        return LayoutProblem(
            0, f"--sheet {sheet!r}: a CSV file has no sheets (tệp CSV không có trang tính)"
        )
    decoded = decode_csv(raw)
    if isinstance(decoded, LayoutProblem):
        return decoded
    grid = _csv(decoded.text)
    return (
        grid if isinstance(grid, LayoutProblem) else PlanFile(grid, legacy_encoding=decoded.legacy)
    )


#: How a zip archive starts: an .xlsx or .xlsm (or an .ods, which names itself near its start).
_ZIP = b"PK\x03\x04"
_ODS = b"application/vnd.oasis.opendocument"
#: How an OLE2 compound file starts: a legacy .xls, or an .xlsx encrypted with a password.
_OLE2 = bytes.fromhex("D0CF11E0A1B11AE1")
_OLE2_SAYS = (
    "tệp Excel 97-2003 (.xls) hoặc có mật khẩu: mở bằng Excel, lưu thành .xlsx (Excel Workbook) "
    "không đặt mật khẩu (a legacy .xls or a password-protected workbook: save it as .xlsx "
    "without a password)"
)
_ODS_SAYS = (
    "tệp OpenDocument (.ods) chưa được hỗ trợ: lưu thành .xlsx (an .ods spreadsheet is not "
    "supported: save it as .xlsx)"
)


def _csv(text: str) -> Grid | LayoutProblem:
    """A CSV's rows, each with the line its record starts on."""
    delimiter, skipped = _delimiter(text)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    grid: Grid = []
    start = 1  # the line the record being read starts on
    if skipped:  # Excel's "sep=;" line: it names the separator, it is not a row
        next(reader, None)
        start = reader.line_num + 1
    try:
        for cells in reader:
            if any("\n" in cell and _holds_rows(cell, delimiter) for cell in cells):
                return LayoutProblem(
                    start,
                    f"a quoted cell opened on this line runs on to line {reader.line_num} over "
                    'what look like rows of the table: close its quote (")',
                )
            grid.append((reader.line_num, cells))
            start = reader.line_num + 1
    except csv.Error as exc:  # a cell beyond the reader's size limit, a NUL byte
        return LayoutProblem(start, f"not a readable CSV file here: {exc}")
    return grid


_SEP_LINE = re.compile(r"^sep=(.)\s*$")


def _delimiter(text: str) -> tuple[str, bool]:
    """The CSV's separator, and whether its first line only names it. Excel writes ";" where
    the list separator is one (Vietnamese regional settings), and may say so on a first
    "sep=;" line; otherwise the separator is whichever of comma, semicolon and tab the first
    lines hold most (an address's commas sit inside a semicolon file's cells, never the
    other way round)."""
    first, _, _ = text.partition("\n")
    named = _SEP_LINE.match(first.strip("\r"))
    if named is not None:
        return named.group(1), True
    head = "\n".join(text.splitlines()[:40])
    counts = {sep: head.count(sep) for sep in (",", ";", "\t")}
    best = max(counts, key=lambda sep: counts[sep])
    return (best if counts[best] > counts[","] else ","), False


def _holds_rows(cell: str, delimiter: str = ",") -> bool:
    """Whether a cell that spans lines holds what look like rows of a table (a quote left
    open, closed by another row's quote): a line after the first that starts with a row number
    and the separator, or that holds four separators or more. An address or a note over two
    lines has neither."""
    start = re.compile(rf"^\s*(\d+|[IVXLC]+)\s*{re.escape(delimiter)}")
    return any(start.match(line) or line.count(delimiter) >= 4 for line in cell.split("\n")[1:])


@dataclass(frozen=True, slots=True)
class _Sheet:
    name: str
    visible: bool
    grid: Grid

    def holds(self, test: Callable[[list[str]], bool]) -> bool:
        return any(test(cells) for _, cells in self.grid)


def _xlsx(raw: bytes, wanted: str | None) -> PlanFile | LayoutProblem:
    """Biểu 1 from the sheet named ``wanted``, else from the one visible sheet that holds its
    header (a workbook may open on a cover sheet or a letter; the first visible sheet when none
    does), followed by any other visible sheet that holds Biểu 2. A hidden sheet is an old
    draft or last year's plan: read only when named."""
    from openpyxl import load_workbook

    try:
        # From its bytes: openpyxl refuses a path whose suffix is not .xlsx/.xlsm.
        book = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        return LayoutProblem(0, f"not a readable .xlsx workbook: {exc}")
    try:  # a read-only workbook keeps its file open until closed
        sheets = [
            _Sheet(
                sheet.title,
                sheet.sheet_state == "visible",
                [
                    (number, [unicodedata.normalize("NFC", _cell_text(v)) for v in row])
                    for number, row in enumerate(sheet.iter_rows(values_only=True), start=1)
                ],
            )
            for sheet in book.worksheets
        ]
    finally:
        book.close()
    visible = [s for s in sheets if s.visible] or sheets
    if not visible:
        return PlanFile([])
    first = _named(sheets, wanted) if wanted is not None else _bieu1_sheet(visible)
    if isinstance(first, LayoutProblem):
        return first
    if first.holds(is_bieu2_title):
        return PlanFile(first.grid, first.name)  # Biểu 2 below Biểu 1 on the same sheet
    for other in visible:
        at = next((i for i, (_, c) in enumerate(other.grid[:12]) if is_bieu2_title(c)), None)
        if other is not first and at is not None:
            # From its title: the unit's name above it is no row.
            return PlanFile(first.grid + other.grid[at:], first.name, other.name)
    return PlanFile(first.grid, first.name)


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
