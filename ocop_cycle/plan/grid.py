"""A plan file as read: its rows as text cells with their lines, what a workbook says of its
cells beyond their text, and what is wrong at a line."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["CellMarks", "Grid", "LayoutProblem", "PlanFile"]

#: (line, cells) for every row of the file or sheet, blank rows included.
Grid = list[tuple[int, list[str]]]


@dataclass(frozen=True, slots=True)
class LayoutProblem:
    """Something wrong at a line of the file (0: the file as a whole)."""

    line: int
    message: str
    #: Which table or file, when the plan came in more than one ("Biểu 2").
    where: str = ""

    def __str__(self) -> str:
        at = f"{self.where} line {self.line}" if self.where else f"line {self.line}"
        return f"{at}: {self.message}"


@dataclass(frozen=True, slots=True)
class CellMarks:
    """What a workbook says of Biểu 1's cells beyond their text (a CSV says nothing), each
    cell by (line, 0-based column)."""

    #: Cells under the top of a cell merged down over several rows: they show its value.
    merged: frozenset[tuple[int, int]] = frozenset()
    #: Cells whose text is struck through.
    struck: frozenset[tuple[int, int]] = frozenset()


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
    #: What the workbook says of Biểu 1's sheet's cells beyond their text.
    marks: CellMarks = field(default_factory=CellMarks)
