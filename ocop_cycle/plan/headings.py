"""Rows of Biểu 1 that head the rows below them: a section -- products evaluated new, upgraded
or re-evaluated -- numbered I, II, III or A, B, C, or written in one cell ("I. Sản phẩm …",
"1. Sản phẩm đăng ký mới"), in the wordings offices and the decisions use."""

from __future__ import annotations

import re

from ocop_cycle.plan.places import fold

__all__ = ["section_of", "section_row"]

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
