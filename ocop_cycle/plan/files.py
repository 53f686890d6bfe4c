"""A plan file read into a grid of text cells with their lines: a CSV (UTF-8; separated by
commas, semicolons -- Excel under Vietnamese regional settings, with or without its "sep=;"
line -- or tabs) or an .xlsx workbook's sheet.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from datetime import datetime, time
from pathlib import Path

from ocop_cycle.plan.layout import Grid, LayoutProblem, is_bieu1_header, is_bieu2_title

__all__ = ["read_grid"]


def read_grid(path: Path) -> Grid | LayoutProblem:
    """Every row of a CSV (UTF-8) or of an .xlsx's first sheet, as text cells with its line."""
    try:
        raw = path.read_bytes()
    except OSError as exc:  # missing, a directory, no permission: one line, not a traceback
        return LayoutProblem(0, f"cannot read {path}: {exc.strerror or exc}")
    if path.suffix.lower() == ".xlsx":
        return _xlsx(path)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return LayoutProblem(
            raw[: exc.start].count(b"\n") + 1,
            f"the file is not UTF-8 ({exc.reason} at byte {exc.start}); save it as "
            "'CSV UTF-8' (Excel) or import the .xlsx",
        )
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
            grid.append((reader.line_num, [unicodedata.normalize("NFC", c) for c in cells]))
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


def _xlsx(path: Path) -> Grid | LayoutProblem:
    """The sheet that holds Biểu 1's header (a workbook may open on a cover sheet or a letter;
    the first sheet when none does), followed by any other sheet that holds Biểu 2."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        return LayoutProblem(0, f"not a readable .xlsx workbook: {exc}")
    try:  # a read-only workbook keeps its file open until closed
        sheets: list[Grid] = [
            [
                (number, [unicodedata.normalize("NFC", _cell_text(v)) for v in row])
                for number, row in enumerate(sheet.iter_rows(values_only=True), start=1)
            ]
            for sheet in book.worksheets
        ]
    finally:
        book.close()
    if not sheets:
        return []
    # Biểu 2's header has three of Biểu 1's columns: a sheet with all of them comes first.
    first = next(
        (g for g in sheets if any(is_bieu1_header(cells, full=True) for _, cells in g)),
        next((g for g in sheets if any(is_bieu1_header(cells) for _, cells in g)), sheets[0]),
    )
    if any(is_bieu2_title(cells) for _, cells in first):
        return first  # Biểu 2 below Biểu 1 on the same sheet, as in the seed
    for sheet in sheets:
        title = next((i for i, (_, cells) in enumerate(sheet[:12]) if is_bieu2_title(cells)), None)
        if sheet is not first and title is not None:
            return first + sheet[title:]  # from its title: the unit's name above it is no row
    return first


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
