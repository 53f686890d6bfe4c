"""A corrected plan imported over the stored one: a producer typed "Hợp tác xã" where it was
"HTX" (or the other way) is the producer already registered, so nothing is registered twice;
rows marked withdrawn ("Xin rút" in Ghi chú, "không tham gia", struck through) are not imported,
and a dossier whose row the plan no longer has is reported, its dossier left as it is (the
plan does not withdraw it: the dossier's workflow does)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from openpyxl.styles import Font

from ocop_cycle import Engine
from ocop_cycle.cli import main
from ocop_cycle.plan.importer import read_plan
from ocop_cycle.plan.stored import stored_plan
from tests.plan_sheets import BODY, write_xlsx
from tests.scenario import snapshot


def _body() -> list[Any]:
    """Phù Yên's rows, each a list of its own to change."""
    return [list(r) if isinstance(r, list) else r for r in BODY]


def _noted(row: list[Any], note: str) -> list[Any]:
    return [*row, *[None] * (7 - len(row)), note]


@pytest.fixture
def imported(db_url: str, tmp_path: Path, office_in_2024: None) -> str:
    """Phù Yên's plan imported once (7 dossiers, 4 earlier certificates)."""
    assert main(["--db", db_url, "import-plan", str(write_xlsx(tmp_path / "v1.xlsx"))]) == 0
    return db_url


def test_a_legal_form_spelled_the_other_way_registers_nothing_twice(
    imported: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """ "Hợp tác xã chè Suối Bau" retyped "HTX chè Suối Bau", "HTX Nông nghiệp Tường Phù"
    retyped "Hợp tác xã …": the same producers. Nothing is written, and the lines say which
    registered names were kept."""
    body = _body()
    assert body[1][1] == "Hợp tác xã chè Suối Bau"
    assert body[8][1] == "HTX Nông nghiệp Tường Phù"
    body[1][1] = "HTX chè Suối Bau"
    body[8][1] = "Hợp tác xã Nông nghiệp Tường Phù"
    capsys.readouterr()
    with Engine.open(imported) as engine:
        before = snapshot(engine)
        path = write_xlsx(tmp_path / "v2.xlsx", body)
        assert main(["--db", imported, "import-plan", str(path)]) == 0
        assert snapshot(engine) == before
        assert len(engine.dossiers()) == 11
    out = capsys.readouterr().out
    assert "already imported — nothing new written (9 rows)" in out
    assert (
        f"{path}: line 8: HTX chè Suối Bau — Chè Shan tuyết Suối Bau: là Hợp tác xã chè Suối "
        "Bau — Chè Shan tuyết Suối Bau đã nhập, giữ tên đã đăng ký"
    ) in out
    assert f"{path}: line 15: Hợp tác xã Nông nghiệp Tường Phù — Mật ong Tường Phù: là HTX" in out


def test_rows_withdrawn_or_left_out_are_reported_with_their_dossiers_untouched(
    imported: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The corrected plan notes "Xin rút hồ sơ" on Suối Bau's row, strikes Tường Phù's
    product through, and leaves Gia Phù's row out: the plan is replaced without them, and each
    of their dossiers is named with its state, left registered."""
    body = _body()
    body[1] = _noted(body[1], "Xin rút hồ sơ")
    del body[3]  # Gạo nếp Gia Phù
    path = write_xlsx(tmp_path / "v2.xlsx", body)
    book = load_workbook(path)
    sheet = book.active
    assert sheet is not None
    [struck] = [c for row in sheet.iter_rows() for c in row if c.value == "Mật ong Tường Phù"]
    struck.font = Font(strike=True)
    book.save(path)
    capsys.readouterr()
    with Engine.open(imported) as engine:
        ids = {d.product_name: d.id for d in engine.dossiers() if d.kind != "imported"}
        assert main(["--db", imported, "import-plan", str(path)]) == 0
        states = {d.product_name: d.state for d in engine.dossiers() if d.kind != "imported"}
        plan = stored_plan(engine, 2024, "122")
    assert len(states) == 7
    assert set(states.values()) == {"registered"}  # none withdrawn by the plan
    assert plan is not None
    assert {e.product for e in plan.entries}.isdisjoint(
        {"Chè Shan tuyết Suối Bau", "Gạo nếp Gia Phù", "Mật ong Tường Phù"}
    )
    out = capsys.readouterr().out
    untouched = "stays as it is -- a withdrawal is recorded on the dossier, not by the plan"
    assert (
        f"{path}: line 8: Hợp tác xã chè Suối Bau — Chè Shan tuyết Suối Bau: marked withdrawn "
        f"(Ghi chú 'Xin rút hồ sơ'); its dossier {ids['Chè Shan tuyết Suối Bau']} (registered) "
        f"{untouched}"
    ) in out
    assert (
        f"{path}: Công ty TNHH Nông sản Gia Phù — Gạo nếp Gia Phù: no longer in the plan; its "
        f"dossier {ids['Gạo nếp Gia Phù']} (registered) {untouched}"
    ) in out
    assert (
        f"{path}: line 14: HTX Nông nghiệp Tường Phù — Mật ong Tường Phù: marked withdrawn "
        f"(gạch ngang (struck through)); its dossier {ids['Mật ong Tường Phù']}"
    ) in out
    assert "plan replaced; 6 rows" in out
    assert "3 dossier(s) no longer in the plan, untouched" in out


def test_a_row_marked_withdrawn_in_a_first_import_is_not_imported(tmp_path: Path) -> None:
    """ "Không tham gia" in Ghi chú, its round's X already removed: not refused for that, not a
    row of the plan, and said at its line."""
    body = _body()
    body[2] = _noted(body[2][:5], "Không tham gia năm 2024")
    body[3] = _noted(body[3], "Không đăng ký nhãn hiệu")  # a note, not a withdrawal
    read = read_plan(write_xlsx(tmp_path / "first.xlsx", body))
    assert read.problems == []
    assert read.plan is not None
    products = {e.product for e in read.plan.entries}
    assert "Mật ong hoa rừng Quang Huy" not in products
    assert "Gạo nếp Gia Phù" in products
    assert (
        9,
        "Hộ KD Lò Văn Minh — Mật ong hoa rừng Quang Huy: Ghi chú 'Không tham gia năm 2024': "
        "không nhập (marked withdrawn: not imported)",
    ) in read.notices
    assert [(w.line, w.product) for w in read.withdrawn] == [(9, "Mật ong hoa rừng Quang Huy")]
