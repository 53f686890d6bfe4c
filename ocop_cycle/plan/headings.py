"""Rows of Biểu 1 that head the rows below them.

A section -- products evaluated new, upgraded or re-evaluated -- numbered I, II, III or A, B, C,
or written in one cell ("I. Sản phẩm …", "1. Sản phẩm đăng ký mới"), in the wordings offices
and the decisions use.

A place: offices may list products commune by commune, each commune's products under a row
naming it ("Xã Tân Lang", "2. Thị trấn Quang Huy"), their addresses then giving only the village
or nothing; such a heading is the commune of the rows below it, until the next place heading
(or, when the communes are listed within each section, the next section). A heading naming a
larger or looser area ("Khu vực I", "Cụm xã phía Bắc", "Huyện Phù Yên" in a province's plan)
is skipped, and ends the commune above it.
"""

from __future__ import annotations

import re

from ocop_cycle.plan.places import fold

__all__ = ["place_heading", "section_of", "section_row"]

_ROMAN = re.compile(r"^(?=[ivxl]+\.?$)(l?x{0,3})(ix|iv|v?i{0,3})\.?$")


def section_of(text: str) -> str | None:
    """Which section a heading opens: its wording as offices and the decisions write it ("đánh
    giá mới", "đăng ký", "lần đầu"; "nâng hạng"; "đánh giá lại", "đánh giá, phân hạng lại",
    "tái đánh giá", "công nhận lại")."""
    words = re.sub(r"[^\w]+", " ", fold(text)).split()
    t = f" {' '.join(words)} "  # matched as whole words
    if " nang hang " in t:
        return "upgrade"
    if any(f" {w} " in t for w in _AGAIN):
        return "re_evaluation"
    if any(f" {w} " in t for w in _FIRST):
        return "new"
    return None


#: How headings say "again" (re-evaluation) and "first" (a new product).
_AGAIN = ("danh gia lai", "phan hang lai", "tai danh gia", "cong nhan lai")
_FIRST = ("moi", "dang ky", "lan dau")


#: A section's number: Roman (I, II, III) or a capital letter (A, B, C), maybe with its dot.
_SECTION_MARK = re.compile(r"^(?:[IVXL]+|[A-E])\s*[.)\-–:]?$")
#: A section heading written in one cell with its number: "I. Sản phẩm đánh giá mới", "I - …".
_SECTION_CELL = re.compile(r"^((?:[IVXL]+|[A-E]))\s*[.):\-–]\s*(\S.*)$")
#: The same numbered 1, 2, 3 ("1. Sản phẩm đăng ký mới"): a section only when its words say
#: which, since "1. Mật ong …" may be a product numbered in its cell.
_SECTION_CELL_ARABIC = re.compile(r"^(\d{1,2})\s*[.):\-–]\s*(\S.*)$")


def section_row(tt: str, cells: list[str], tt_column: int) -> tuple[str, str] | None:
    """(number, heading text) when a row opens a section: a section number in TT and the rest
    text; or one cell holding both ("I. Sản phẩm …", merged across the row)."""
    texts = [c for c in cells if c]
    if len(texts) == 1:
        found = _SECTION_CELL.match(texts[0])
        if found is not None:
            return found.group(1), found.group(2)
        found = _SECTION_CELL_ARABIC.match(texts[0])
        if found is not None and section_of(found.group(2)) is not None:
            return found.group(1), found.group(2)
    if _SECTION_MARK.match(tt) or _ROMAN.match(tt.casefold()):
        number = tt.rstrip(".)-–: ")
        return number, " ".join(c for i, c in enumerate(cells) if i != tt_column and c)
    return None


#: How a place heading starts (folded): a commune-level unit's kind, then a larger area's.
_COMMUNE_KINDS = re.compile(r"^(?:xa|phuong|thi tran|dac khu)\s+\S")
_AREA_KINDS = re.compile(
    r"^(?:huyen|quan|thi xa|thanh pho|tinh|khu vuc|cum|lien xa|vung|tieu vung|dia ban)\b"
)
#: A heading's number in its own cell or before its text: "1", "a)", "II.", "2 -".
_NUMBERING = re.compile(r"^(?:[IVXL]+|\d{1,2}|[a-zA-Z])\s*[.):\-–]?\s*$")
_NUMBERED = re.compile(r"^(?:[IVXL]+|\d{1,2}|[a-zA-Z])\s*[.):\-–]\s*(\S.*)$")


def place_heading(cells: list[str], tt_column: int) -> tuple[str, bool] | None:
    """(heading, whether it names a commune) when a row's only text, besides its number, names
    a place: "Xã Tân Lang", "2. Thị trấn Quang Huy", "Khu vực I", "Cụm xã phía Bắc"."""
    texts = [c for i, c in enumerate(cells) if c and not (i == tt_column and _NUMBERING.match(c))]
    if len(texts) != 1:
        return None
    numbered = _NUMBERED.match(texts[0])
    text = numbered.group(1) if numbered is not None else texts[0]
    text = text.rstrip(" :")
    folded = fold(text)
    if _COMMUNE_KINDS.match(folded):
        return text, True
    if _AREA_KINDS.match(folded):
        return text, False
    return None
