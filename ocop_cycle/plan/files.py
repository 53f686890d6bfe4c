"""A plan file read into a grid of text cells with their lines: a CSV (UTF-8, UTF-16 with its
byte-order mark, or Windows-1258 -- see :mod:`ocop_cycle.plan.encoding`; separated by commas,
semicolons -- Excel under Vietnamese regional settings, with or without its "sep=;" line -- or
tabs) or an .xlsx/.xlsm workbook's sheet (:mod:`ocop_cycle.plan.sheets`), told apart by their
content, whatever the file's name. A legacy .xls, an encrypted workbook and an .ods are refused
saying how to save them.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from ocop_cycle.plan.encoding import decode_csv
from ocop_cycle.plan.grid import Grid, LayoutProblem, PlanFile
from ocop_cycle.plan.sheets import read_workbook

__all__ = ["read_file", "read_grid"]


def read_grid(path: Path) -> Grid | LayoutProblem:
    """Every row of a CSV or of a workbook's Biểu 1 sheet, as text cells with its line."""
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
        return read_workbook(raw, sheet)
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
