"""The round columns under Biểu 1's "Lộ trình" heading: each headed by the month its council
meets ("Tháng 6/2024"), or by a date Excel made of "6/2024"; a quarter is refused."""

from __future__ import annotations

import re

from ocop_cycle.plan.places import fold

__all__ = ["column_letter", "round_heading"]

_MONTH = re.compile(r"(\d{1,2})\s*[/.-]\s*(\d{4})")
#: A heading cell Excel turned into a date (the grid has it ISO): 2024-06-01.
_EXCEL_DATE = re.compile(r"^(\d{4})-(\d{2})-\d{2}$")
#: A quarter ("Quý 2/2026", "Quý II/2026") where a round's month is expected.
_QUARTER = re.compile(r"\bquy\b")


def round_heading(label: str, cell: str) -> tuple[str, str] | str:
    """(key, label) of a round's heading ("Tháng 6/2024" → 2024-06), or why it is none. A
    quarter is refused: a round is held in a month, and "Quý 2/2026" would read as February."""
    dated = _EXCEL_DATE.match(label)
    if dated is not None:  # "6/2024" typed in Excel becomes a date: its month is meant
        label = f"Tháng {int(dated.group(2))}/{dated.group(1)}"
    folded = fold(label)
    if _QUARTER.search(folded) and "thang" not in folded:
        return (
            f"round heading {label!r} (cell {cell}) is a quarter: write the month the round is "
            f"held, e.g. 'Tháng 6/2026' (tiêu đề đợt ghi theo quý: hãy ghi tháng tổ chức đợt)"
        )
    month = _MONTH.search(label)
    if month is None or not 1 <= int(month.group(1)) <= 12:
        return f"round heading {label!r} has no month/year (Tháng 6/2024)"
    return f"{month.group(2)}-{int(month.group(1)):02d}", label


def column_letter(index: int) -> str:
    """A column's letters as Excel shows them, from its 0-based index (0 → A, 26 → AA)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters
