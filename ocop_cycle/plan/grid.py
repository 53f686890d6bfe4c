"""A plan file as read: its rows as text cells with their lines, and what is wrong at a line."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Grid", "LayoutProblem"]

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
