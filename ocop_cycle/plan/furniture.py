"""What an official table carries besides its rows, recognised so that it is skipped: the
signature block under it (where reading stops), footnotes and notes, the column-number row
under the header.

Each test is narrow on purpose: a row marked X under a round is a product whatever it says, and
anything not recognised here is read as a row -- and refused, with its line, if it is not one.
"""

from __future__ import annotations

import re

from ocop_cycle.plan.places import fold

__all__ = ["is_column_numbers", "is_note", "is_signature"]

#: The first words of a signature block: "Nơi nhận:", "KT. CHỦ TỊCH", "TM. ỦY BAN NHÂN DÂN",
#: "PHÓ CHỦ TỊCH", "GIÁM ĐỐC", "Người lập biểu", and the place-and-date line above them
#: ("Bắc Ninh, ngày 15 tháng 01 năm 2026").
_SIGNATURE = re.compile(
    r"^(?:noi nhan\b|(?:kt|tm|k/t|t/m)\s*[.:]?\s*(?:pho |q\. )?(?:chu tich|uy ban|ubnd|giam doc"
    r"|truong)|(?:pho )?(?:chu tich|giam doc|truong phong|thu truong)\b|nguoi (?:lap|ky|duyet)\b"
    r"|xac nhan cua\b)"
    r"|\bngay\s*\d{1,2}\s*thang\s*\d{1,2}\s*nam\s*\d{4}\b"
)

#: A note or footnote alone on its row: "Ghi chú: …", "Lưu ý …", "(*) …", "* …", or a remark
#: wrapped in brackets ("(Các sản phẩm trên … chi tiết tại Biểu 2)").
_NOTE = re.compile(r"^(?:ghi chu\b|luu y\b|chu thich\b|nguon\s*:|\(\*+\)|\*+\s|\(.*\)$)", re.DOTALL)

#: A cell of the row numbering the columns under the header: "1", "(2)", "A".
_COLUMN_NUMBER = re.compile(r"^\(?(?:\d{1,2}|[a-z])\)?$")


def _texts(cells: list[str]) -> list[str]:
    return [fold(c).strip() for c in cells if c.strip()]


def is_signature(cells: list[str]) -> bool:
    """Whether a row opens the signature block under the table (nothing after it is a row)."""
    return any(_SIGNATURE.search(text) for text in _texts(cells))


def is_note(cells: list[str]) -> bool:
    """Whether a row is a note or a footnote: its only text, worded as one."""
    texts = _texts(cells)
    return len(texts) == 1 and _NOTE.match(texts[0]) is not None


def is_column_numbers(cells: list[str]) -> bool:
    """Whether a row numbers the columns ("1 2 3 … 8", "(1) (2) … (8)", "A B C …"): three
    cells or more, each a number or a letter, and nothing else."""
    texts = _texts(cells)
    return len(texts) >= 3 and all(_COLUMN_NUMBER.match(t) for t in texts)
