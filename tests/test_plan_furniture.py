"""What an official table carries besides its rows -- notes, a signature block, footnotes, a
totals row, a column-number row, headings written other ways -- is skipped, never read as a
product and never a reason to refuse the plan."""

from __future__ import annotations

from pathlib import Path

from ocop_cycle.plan.importer import read_plan
from ocop_cycle.plan.model import Plan
from tests.plan_sheets import BODY, write_xlsx
from tests.test_officer_plan import BIEU2


def _products(plan: Plan | None) -> list[str]:
    assert plan is not None
    return [e.product for e in plan.entries]


def _all_products() -> list[str]:
    return [str(r[3]) for r in BODY if isinstance(r, list) and len(r) > 3 and r[3]]


def test_a_note_mentioning_bieu2_keeps_the_rows_after_it(tmp_path: Path) -> None:
    """A one-cell note "(… chi tiết tại Biểu 2)" under section I is not Biểu 2's title: the
    rows of sections II and III below it are still read, and Biểu 2 still is too."""
    at = next(i for i, r in enumerate(BODY) if isinstance(r, list) and r and r[0] == "II")
    body = [
        *BODY[:at],
        ["(Các sản phẩm trên có nhu cầu hỗ trợ bao bì, chi tiết tại Biểu 2)"],
        *BODY[at:],
        [],
        *BIEU2,
    ]
    read = read_plan(write_xlsx(tmp_path / "note.xlsx", body))
    assert _products(read.plan) == _all_products()
    assert read.plan is not None
    assert len(read.plan.support) == 3
