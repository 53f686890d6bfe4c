"""Biểu 1 as offices publish it, read into plain rows with their lines.

The seed's table is the model: title rows; a two-row header — TT, Tên DN/HTX/chủ thể, Địa chỉ,
Tên sản phẩm tham gia, Tổng số, Lộ trình (one column per round, headed "Tháng 6/2024", marked X
on the row), Ghi chú, and optionally Nhóm sản phẩm, Bộ sản phẩm and a commune column ("Xã, thị
trấn", beside or instead of Địa chỉ); section rows (I new, II upgrade, III re-evaluation);
commune heading rows ("1. Xã Gia Phù") over the products of that commune, and other place
headings ("Khu vực I"), skipped; continuation rows for a producer's further products (TT and
producer blank); the header repeated at page breaks; blank rows. Headings are matched
tolerantly (case, NFC/NFD, spacing, diacritics), columns in any order; sections numbered I, II,
III or A, B, C, or written in one cell ("I. Sản phẩm …", "I - …", "1. Sản phẩm đăng ký mới");
a totals row ("Tổng", "Tổng cộng", "Cộng"), notes, the column-number row and the signature
block under the table (where reading stops) are skipped (:mod:`ocop_cycle.plan.furniture`).
Files are read into a grid by :mod:`ocop_cycle.plan.files`; sections by
:mod:`ocop_cycle.plan.headings`, rounds by :mod:`ocop_cycle.plan.rounds`, a product row by
:mod:`ocop_cycle.plan.rows`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from ocop_cycle.plan.furniture import is_column_numbers, is_note, is_signature
from ocop_cycle.plan.grid import CellMarks, Grid, LayoutProblem
from ocop_cycle.plan.headings import place_heading, section_of, section_row
from ocop_cycle.plan.places import fold
from ocop_cycle.plan.rounds import column_letter, round_heading
from ocop_cycle.plan.rows import MARKS, Above, RowRead, SheetRow, Withdrawn, read_row

__all__ = ["Bieu1", "is_bieu1_header", "is_bieu2_title", "read_bieu1"]


@dataclass
class Bieu1:
    """What the table holds: title lines (a row's cells joined by " | "), the rounds (key,
    heading), rows, problems."""

    titles: list[str] = field(default_factory=list)
    rounds: list[tuple[str, str]] = field(default_factory=list)
    rows: list[SheetRow] = field(default_factory=list)
    problems: list[LayoutProblem] = field(default_factory=list)
    #: (line, text): how rows were read that a reader may want to know (a heading skipped).
    notices: list[tuple[int, str]] = field(default_factory=list)
    #: Product rows marked withdrawn: not rows of the plan.
    withdrawn: list[Withdrawn] = field(default_factory=list)


#: Biểu 2's title starts a line of its cell ("BIỂU 2: Danh sách …", "Biểu số 02 - …"; the
#: seed's text copy writes a cell's line breaks "**"); a note that only mentions it ("… chi
#: tiết tại Biểu 2") is no title, and the rows after it are Biểu 1's.
_TITLE = re.compile(r"(?:^|\*\*)\s*bieu\s*(?:so\s*)?(?:2|02|ii)\b", re.MULTILINE)


def is_bieu2_title(cells: list[str]) -> bool:
    """Whether a row is Biểu 2's title: its only text, a line of which starts "BIỂU 2" (the
    unit's name may stand on the line above, in the same merged cell)."""
    texts = [c for c in cells if c.strip()]
    return len(texts) == 1 and _TITLE.search(fold(texts[0])) is not None


def _heading(cell: str) -> str | None:
    """Which Biểu 1 column a heading names, if any."""
    h = " ".join(fold(cell).replace(",", " ").replace("/", " ").split())
    if h in {"tt", "stt", "so tt"}:
        return "tt"
    if h.startswith("nhom"):
        return "group"
    if h.startswith("bo san pham"):
        return "set"
    if "chu the" in h or h.startswith(_PRODUCER_HEADINGS):
        return "producer"
    if h.startswith("dia chi"):
        return "address"
    if _COMMUNE_HEADING.match(h):
        return "commune"  # "Xã", "Xã, thị trấn", "Xã/Phường/Thị trấn", "Địa bàn"
    if h.startswith("san pham") or ("san pham" in h and h.startswith("ten")):
        return "product"  # "Tên sản phẩm tham gia", "Sản phẩm"
    if h.startswith("tong so"):
        return "total"
    if h.startswith("lo trinh"):
        return "rounds"
    if h.startswith("ghi chu"):
        return "note"
    return None


#: How a producer's column is headed besides "… chủ thể": "Tên DN, HTX", "Tên HTX, DN", …
_PRODUCER_HEADINGS = tuple(
    f"ten {w}" for w in ("dn", "doanh nghiep", "co so", "htx", "hop tac xa", "to chuc", "don vi")
)

#: A commune's column: its address's commune alone, beside or instead of "Địa chỉ".
_COMMUNE_HEADING = re.compile(r"^(?:xa|phuong|thi tran|dac khu|dia ban|don vi cap xa)(?: |$)")

#: Required: "address" is met by a commune's column as well.
_REQUIRED = ("tt", "producer", "address", "product", "rounds")
_LABELS = {
    "tt": "TT",
    "producer": "Tên DN, HTX, chủ thể",
    "address": "Địa chỉ",
    "product": "Tên sản phẩm tham gia",
    "rounds": "Lộ trình đánh giá, phân hạng",
}


def _header_columns(cells: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for i, cell in enumerate(cells):
        name = _heading(cell)
        if name is not None and name not in found:
            found[name] = i
    return found


def _required_found(columns: dict[str, int]) -> set[str]:
    found = {name for name in columns if name in _REQUIRED}
    return found | {"address"} if "commune" in columns else found


def _is_header(cells: list[str]) -> bool:
    return len(_required_found(_header_columns(cells))) >= 3


def _is_full_header(cells: list[str]) -> bool:
    return len(_required_found(_header_columns(cells))) == len(_REQUIRED)


def is_bieu1_header(cells: list[str], *, full: bool = False) -> bool:
    """Whether a row is Biểu 1's header: three of its required columns, or all (``full``;
    Biểu 2's header has three of them)."""
    return _is_full_header(cells) if full else _is_header(cells)


#: A row that counts the table ("Tổng", "Tổng cộng", "Cộng:", "Tổng số sản phẩm: 4"), not a
#: product; "Tổng công ty …" is a producer.
_TOTALS = re.compile(r"^(?:tong cong\b(?!\s*ty)|tong so\b|(?:tong|cong)\s*(?:[:(]|$))")


def _cells(cells: list[str], width: int) -> list[str]:
    return [" ".join(c.split()) for c in cells] + [""] * max(0, width - len(cells))


def read_bieu1(grid: Grid, marks: CellMarks | None = None) -> Bieu1:
    """The table's rows and every problem found, each with its line; ``marks``, what the
    workbook says of its cells beyond their text."""
    marks = marks or CellMarks()
    out = Bieu1()
    start = next((i for i, (_, cells) in enumerate(grid) if _is_header(cells)), None)
    if start is None:
        out.problems.append(
            LayoutProblem(
                grid[0][0] if grid else 1,
                "no Biểu 1 header found (TT, Tên DN/HTX/chủ thể, Địa chỉ, Tên sản phẩm tham gia,"
                " Tổng số, Lộ trình …, Ghi chú)",
            )
        )
        return out
    # Cells apart: the unit's name and the national motto often share a row, in two cells.
    out.titles = [
        " | ".join(" ".join(x.split()) for x in c if x.strip())
        for _, c in grid[:start]
        if any(x.strip() for x in c)
    ]
    header_line, header = grid[start]
    columns = _header_columns(header)
    missing = [_LABELS[c] for c in _REQUIRED if c not in _required_found(columns)]
    if missing:
        out.problems.append(LayoutProblem(header_line, f"header lacks: {', '.join(missing)}"))
        return out
    width = max(len(c) for _, c in grid)
    first = columns["rounds"]
    after = [i for i in columns.values() if i > first]
    last = min(after) if after else width
    sub_line, sub = grid[start + 1] if start + 1 < len(grid) else (header_line + 1, [])
    # A header cell merged down over both rows ("Ghi chú") heads no round.
    sub = [c if (sub_line, i) not in marks.merged else "" for i, c in enumerate(_cells(sub, width))]
    round_cols: list[tuple[int, str]] = []
    for col in range(first, last):
        if not sub[col]:
            continue
        found = round_heading(sub[col], f"{column_letter(col)}{sub_line}")
        if isinstance(found, str):
            out.problems.append(LayoutProblem(sub_line, found))
            continue
        key, label = found
        round_cols.append((col, key))
        out.rounds.append((key, label))
    if not round_cols:
        if not out.problems:  # else the headings' problems say why
            out.problems.append(
                LayoutProblem(sub_line, "no round columns under 'Lộ trình' (e.g. 'Tháng 6/2024')")
            )
        return out
    sub_signature = [sub[c] for c, _ in round_cols]

    above = Above("", "")
    places_outer: bool | None = None  # commune headings above the sections, or within them
    signed = 0  # the line the signature block starts on: the table ended above it
    for line, raw in grid[start + 2 :]:
        cells = _cells(raw, width)
        if not any(cells):
            continue
        if _is_header(cells):
            continue  # the header repeated at a page break
        if [cells[c] for c, _ in round_cols] == sub_signature and not cells[columns["product"]]:
            continue  # its second row
        # A product is marked X under its round; a heading or a totals row may hold counts.
        marked = any(fold(cells[c]) in MARKS for c, _ in round_cols)
        if signed:
            if marked:  # a product below the signature is not dropped in silence
                out.problems.append(
                    LayoutProblem(line, f"product row below the signature block (line {signed})")
                )
            continue
        if not marked and _is_furniture(cells, columns):
            signed = line if _signs(cells, columns) else 0
            continue
        if (line, columns["tt"]) in marks.merged:
            cells[columns["tt"]] = ""  # one number merged over a producer's rows: it continues
        place = None if marked else place_heading(cells, columns["tt"])
        if place is not None:
            text, names_commune = place
            places_outer = not above.section if places_outer is None else places_outer
            # A new place: the producer above is another place's.
            above = replace(
                above, producer="", address="", commune="", place=text if names_commune else ""
            )
            if not names_commune:
                out.notices.append((line, f"dòng tiêu đề {text!r} bỏ qua (heading skipped)"))
            continue
        opened = None if marked else section_row(cells[columns["tt"]], cells, columns["tt"])
        if opened is not None:
            number, text = opened
            kind = section_of(text)
            if kind is None:
                out.problems.append(
                    LayoutProblem(
                        line, f"section {number} {text!r} is not new, upgrade or re-evaluation"
                    )
                )
            above = replace(
                above,
                section=kind or "",
                section_title=text if kind else "",
                place=above.place if places_outer else "",
            )
            continue
        product_cell = raw[columns["product"]] if columns["product"] < len(raw) else ""
        struck = (line, columns["product"]) in marks.struck
        total = columns.get("total", -1)
        shared = (line, total) in marks.merged or (line + 1, total) in marks.merged
        read = read_row(line, cells, columns, round_cols, above, product_cell, struck, shared)
        if isinstance(read, RowRead):
            out.rows.extend(read.rows)
            out.withdrawn.extend(read.withdrawn)
            if read.notice:
                out.notices.append((line, read.notice))
        else:
            out.problems.extend(LayoutProblem(line, p) for p in read)
        if cells[columns["producer"]]:
            address = cells[columns["address"]] if "address" in columns else ""
            commune = cells[columns["commune"]] if "commune" in columns else ""
            above = replace(
                above, producer=cells[columns["producer"]], address=address, commune=commune
            )
    return out


def _signs(cells: list[str], columns: dict[str, int]) -> bool:
    """Whether an unmarked row opens the signature block: a row without a number or a product
    of its own ("Nơi nhận:" beside "KT. CHỦ TỊCH")."""
    product = cells[columns["product"]]
    return (
        not cells[columns["tt"]]
        and (not product or is_signature([product]))
        and is_signature(cells)
    )


def _is_furniture(cells: list[str], columns: dict[str, int]) -> bool:
    """Whether an unmarked row is no product and no section: the signature block, a totals
    row, a note or footnote, the row numbering the columns."""
    return (
        _signs(cells, columns)
        or _TOTALS.match(fold(next(c for c in cells if c))) is not None
        or is_note(cells)
        or is_column_numbers(cells)
    )
