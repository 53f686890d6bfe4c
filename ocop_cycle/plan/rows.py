"""One product row of Biểu 1 checked: every problem of it, else what it says; a continuation
row (TT and producer blank) takes the producer and address of the row above."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ocop_cycle.plan.places import fold
from ocop_cycle.plan.products import products_in

__all__ = ["MARKS", "Above", "RowRead", "SheetRow", "Withdrawn", "read_row"]

#: How a round or a support is marked on a row.
MARKS = frozenset({"x", "✓", "✔", "v"})


@dataclass(frozen=True, slots=True)
class SheetRow:
    """One product row of Biểu 1, producer and address carried down to continuation rows."""

    line: int
    section: str
    section_title: str
    tt: str
    producer: str
    address: str
    product: str
    rounds: tuple[str, ...]  # the round keys marked X
    note: str
    #: The optional "Nhóm sản phẩm" / "Bộ sản phẩm" columns an office may add, as written.
    group: str = ""
    product_set: str = ""
    #: The optional commune column ("Xã", "Xã, thị trấn"), as written.
    commune: str = ""
    #: The commune heading the row stands under ("Xã Tân Lang"), if any.
    place: str = ""


@dataclass(frozen=True, slots=True)
class Above:
    """What the rows above a product row say of it: its section, the last producer named and
    its address and commune, the commune heading it stands under."""

    section: str
    section_title: str
    producer: str = ""
    address: str = ""
    commune: str = ""
    place: str = ""


@dataclass(frozen=True, slots=True)
class Withdrawn:
    """A product row the table marks withdrawn ("Xin rút" in Ghi chú or under its round, "không
    tham gia", its product struck through): not imported, whatever else it says."""

    line: int
    section: str
    producer: str
    product: str
    #: How the table says it: "Ghi chú 'Xin rút'", "struck through".
    why: str


@dataclass(frozen=True, slots=True)
class RowRead:
    """What a row of the table gave: a product, or several written in its one cell
    (:mod:`ocop_cycle.plan.products`), or the products it marks withdrawn; and a notice of how
    it was read ("" when plainly)."""

    rows: tuple[SheetRow, ...]
    notice: str = ""
    withdrawn: tuple[Withdrawn, ...] = ()


#: What a note or a round's cell says of a product taken out of the plan (folded): "rút",
#: "xin rút", "đã rút hồ sơ", "không tham gia", "dừng/tạm dừng tham gia", "loại khỏi kế
#: hoạch". Not "không đăng ký" (a note may say "không đăng ký nhãn hiệu") nor "rút gọn",
#: "rút kinh nghiệm".
_WITHDRAWN = re.compile(
    r"\b(?:rut(?! (?:gon|ngan|kinh nghiem))|khong tham gia|dung tham gia|loai khoi|dua ra khoi)\b"
)


def _withdrawal(
    cells: list[str], columns: dict[str, int], round_cols: list[tuple[int, str]], struck: bool
) -> str:
    """How a row is marked withdrawn; "" when it is not."""
    if struck:
        return "gạch ngang (struck through)"
    marked = [(columns.get("note"), "Ghi chú"), *((c, "Lộ trình") for c, _ in round_cols)]
    for col, heading in marked:
        if col is not None and _WITHDRAWN.search(fold(cells[col])):
            return f"{heading} {cells[col]!r}"
    return ""


def read_row(
    line: int,
    cells: list[str],
    columns: dict[str, int],
    round_cols: list[tuple[int, str]],
    above: Above,
    product_cell: str = "",
    struck: bool = False,
    shared_count: bool = False,
) -> RowRead | list[str]:
    """One product row (or continuation row): every problem of it, else what it gives;
    ``product_cell``, its product's cell as written (its line breaks kept); ``struck``, whether
    that cell is struck through; ``shared_count``, whether its Tổng số is merged over several
    rows (the producer's count, not the cell's)."""

    def optional(column: str) -> str:
        return cells[columns[column]] if column in columns else ""

    problems: list[str] = []
    tt, name, product = cells[columns["tt"]], cells[columns["producer"]], cells[columns["product"]]
    address, commune = optional("address"), optional("commune")
    why = _withdrawal(cells, columns, round_cols, struck)
    if why:
        return _withdrawn(line, above, name or above.producer, product_cell or product, why)
    if not above.section:
        problems.append("product row outside a section (I new, II upgrade, III re-evaluation)")
    if not name:
        if tt:
            problems.append("empty producer (Tên DN, HTX, chủ thể)")
        elif not above.producer:
            problems.append("continuation row with no producer above it")
        else:
            name, address = above.producer, address or above.address
            commune = commune or above.commune
    elif not (address or commune or above.place):
        problems.append("empty address (Địa chỉ)")
    if not product:
        problems.append("empty product (Tên sản phẩm tham gia)")
    total = optional("total")
    if total and not (total.isdigit() and int(total) >= 1):
        problems.append(f"Tổng số {total!r} is not a count")
    count = "" if shared_count else total
    products = products_in(product_cell or product, count) if product else ([], "")
    if isinstance(products, str):
        problems.append(products)
    marked: list[str] = []
    for col, key in round_cols:
        mark = cells[col]
        if not mark:
            continue
        if fold(mark) in MARKS:
            marked.append(key)
        else:
            problems.append(f"round cell {mark!r} is not X")
    if not marked and not any(fold(cells[c]) not in MARKS | {""} for c, _ in round_cols):
        problems.append("no round marked X")
    if len(marked) > 1:
        problems.append(f"several rounds marked X ({', '.join(marked)})")
    if problems or isinstance(products, str):
        return problems
    names, notice = products
    rows = tuple(
        SheetRow(
            line,
            above.section,
            above.section_title,
            tt if i == 0 else "",  # the others numbered as continuation rows are
            name,
            address,
            each,
            tuple(marked),
            optional("note"),
            optional("group"),
            optional("set"),
            commune,
            above.place,
        )
        for i, each in enumerate(names)
    )
    return RowRead(rows, notice)


def _withdrawn(line: int, above: Above, producer: str, cell: str, why: str) -> RowRead:
    """A row marked withdrawn: its products, for the import to say what becomes of theirs."""
    read = products_in(cell, "")
    names = read[0] if not isinstance(read, str) else [" ".join(cell.split())]
    shown = "; ".join(names)
    return RowRead(
        (),
        f"{producer} — {shown}: {why}: không nhập (marked withdrawn: not imported)",
        tuple(Withdrawn(line, above.section, producer, name, why) for name in names),
    )
