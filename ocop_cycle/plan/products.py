"""Several products written in one product cell of Biểu 1, for one producer: "Trứng gà; Mật
ong", or one per line ("- Giò lụa" / "- Ruốc lợn").

Each product is evaluated and recognised on its own (one dossier each), so a cell naming
several is read as that many rows of the producer -- the first keeping the row's TT, the others
numbered as continuation rows are -- when the table says so beyond doubt: its "Tổng số" counts
them, or, without a count, they are set apart by semicolons or as a list (each line opened by a
dash, a bullet or a number). A comma alone, or a line break alone, does not split a name ("Chè
xanh, chè đen Tân Cương" may be one product's name; Excel wraps long names over lines) unless
Tổng số counts that many. A cell set apart by semicolons or as a list whose count says
otherwise is refused, naming both; a count that no reading of the cell gives is taken to count
the producer's rows (a "Tổng số" merged down over them) and the cell is one product.
"""

from __future__ import annotations

import re

__all__ = ["products_in"]

#: What opens an item of a list written in a cell: a dash, a bullet, a number.
_ITEM = re.compile(r"^\s*(?:[-+•*–]|\d{1,2}\s*[.)])\s*")
_SEMICOLON = re.compile(r"\s*;\s*")
_COMMA = re.compile(r"\s*,\s*")


def _names(parts: list[str]) -> list[str]:
    return [n for n in (" ".join(_ITEM.sub("", p).split()) for p in parts) if n]


def products_in(cell: str, count: str) -> tuple[list[str], str] | str:
    """The products a cell names (its text as one name when one) and a notice of how it was
    read ("" when plainly), given the row's "Tổng số" (``count``, "" without one); or why it
    cannot be told."""
    whole = " ".join(cell.split())
    lines = [line for line in cell.splitlines() if line.strip()]
    listed = _names(lines) if len(lines) > 1 and all(_ITEM.match(x) for x in lines) else []
    strong = listed if len(listed) > 1 else _names(_SEMICOLON.split(whole))
    wanted = int(count) if count.isdigit() else 0
    if len(strong) > 1:
        if wanted in (0, len(strong)):
            return strong, _split(strong)
        return (
            f"the product cell names {len(strong)} products ({'; '.join(strong)}) but Tổng số "
            f"is {wanted}: write one product per row, or correct Tổng số (ô sản phẩm ghi "
            f"{len(strong)} sản phẩm nhưng Tổng số là {wanted})"
        )
    # Counted: a line per product, or commas between them, are meant too. A count no reading
    # of the cell gives may count the producer's rows (merged down over them).
    for names in (_names(lines), _names(_COMMA.split(whole))):
        if wanted > 1 and len(names) == wanted:
            return names, _split(names)
    if "," in whole and not wanted:
        return [whole], (
            f"ô sản phẩm {whole!r} đọc là một sản phẩm; nếu là nhiều, ghi mỗi sản phẩm một dòng "
            "(read as one product: if several, write one per row)"
        )
    return [whole], ""


def _split(names: list[str]) -> str:
    return (
        f"{len(names)} sản phẩm trong một ô, tách thành {len(names)} dòng ({'; '.join(names)}) "
        f"({len(names)} products in one cell, read as {len(names)} rows)"
    )
