"""What an official table carries besides its rows, recognised so that it is skipped: notes
and footnotes.

Each test is narrow on purpose: a row marked X under a round is a product whatever it says, and
anything not recognised here is read as a row -- and refused, with its line, if it is not one.
"""

from __future__ import annotations

import re

from ocop_cycle.plan.places import fold

__all__ = ["is_note"]

#: A note or footnote alone on its row: "Ghi chú: …", "Lưu ý …", "(*) …", "* …", or a remark
#: wrapped in brackets ("(Các sản phẩm trên … chi tiết tại Biểu 2)").
_NOTE = re.compile(r"^(?:ghi chu\b|luu y\b|chu thich\b|nguon\s*:|\(\*+\)|\*+\s|\(.*\)$)", re.DOTALL)


def _texts(cells: list[str]) -> list[str]:
    return [fold(c).strip() for c in cells if c.strip()]


def is_note(cells: list[str]) -> bool:
    """Whether a row is a note or a footnote: its only text, worded as one."""
    texts = _texts(cells)
    return len(texts) == 1 and _NOTE.match(texts[0]) is not None
