"""Several products of one producer written in one product cell: read as that many rows when
the table says so beyond doubt (semicolons, a list, or a "Tổng số" counting them), the first
keeping the row's TT; a cell whose parts and count disagree is refused naming its line; a comma
or a wrapped line alone does not split a name."""

from __future__ import annotations

import csv
from pathlib import Path

from openpyxl import Workbook, load_workbook

from ocop_cycle.plan.importer import read_plan
from tests import plan_sheets

NEW: list[object] = ["I", "Sản phẩm đăng ký đánh giá mới"]
HONEY_FARM = ("HTX Nông nghiệp Tường Phù", "Bản Văn Yên, Xã Tường Phù")


def _workbook(path: Path, product: str, total: object, header: list[object] | None = None) -> Path:
    """Phù Yên's title and header, one section, and on line 8 one producer's row with
    ``product`` (line breaks typed with Alt+Enter kept) and ``total`` under "Tổng số"."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    first = header or plan_sheets.HEADER[0]
    for row in [*plan_sheets.TITLE, first, plan_sheets.HEADER[1], NEW]:
        sheet.append(row)
    sheet.append([1, *HONEY_FARM, product, total, "X"])
    sheet.append([2, "HTX Gia Phù", "Bản B, xã Gia Phù", "Gạo nếp Gia Phù", 1, "X"])
    book.save(path)
    return path


def _products(path: Path) -> list[tuple[str, str, str]]:
    read = read_plan(path)
    assert read.problems == []
    assert read.plan is not None
    return [(e.tt, e.ref, e.product) for e in read.plan.entries]


def test_semicolons_between_counted_products_make_a_row_each(tmp_path: Path) -> None:
    """ "Trứng gà; Mật ong" counted 2: two rows of the producer (the second numbered as a
    continuation row), each its own reference, and a notice saying so at the line."""
    path = _workbook(tmp_path / "semi.xlsx", "Trứng gà Tường Phù; Mật ong Tường Phù", 2)
    assert _products(path) == [
        ("1", "new/1", "Trứng gà Tường Phù"),
        ("", "new/Mật ong Tường Phù", "Mật ong Tường Phù"),
        ("2", "new/2", "Gạo nếp Gia Phù"),
    ]
    read = read_plan(path)
    assert read.plan is not None
    assert {e.producer for e in read.plan.entries[:2]} == {HONEY_FARM[0]}
    assert (
        8,
        "2 sản phẩm trong một ô, tách thành 2 dòng (Trứng gà Tường Phù; Mật ong Tường "
        "Phù) (2 products in one cell, read as 2 rows)",
    ) in read.notices


def test_commas_or_lines_split_when_counted(tmp_path: Path) -> None:
    """ "Trứng gà, Mật ong" or one per line (Alt+Enter), with Tổng số 2."""
    for name, cell in [("comma", "Trứng gà, Mật ong"), ("lines", "Trứng gà\nMật ong")]:
        path = _workbook(tmp_path / f"{name}.xlsx", cell, 2)
        assert [p for _, _, p in _products(path)][:2] == ["Trứng gà", "Mật ong"]


def test_a_list_in_a_csv_cell_without_a_count(tmp_path: Path) -> None:
    """A quoted CSV cell listing products one per line, each after a dash, no Tổng số column:
    the list is the products."""
    header = [h for i, h in enumerate(plan_sheets.HEADER[0]) if i != 4]
    rounds = [h for i, h in enumerate(plan_sheets.HEADER[1]) if i != 4]
    path = tmp_path / "list.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        for row in [*plan_sheets.TITLE, header, rounds, NEW]:
            writer.writerow(["" if c is None else c for c in row])
        writer.writerow([1, *HONEY_FARM, "- Giò lụa\n- Ruốc lợn sạch", "X"])
    assert [p for _, _, p in _products(path)] == ["Giò lụa", "Ruốc lợn sạch"]


def test_a_count_of_one_keeps_a_name_with_a_comma_or_wrapped_over_lines(tmp_path: Path) -> None:
    for cell, name in [
        ("Chè xanh, chè đen Tường Phù", "Chè xanh, chè đen Tường Phù"),
        ("Mật ong hoa rừng\nTường Phù", "Mật ong hoa rừng Tường Phù"),
    ]:
        path = _workbook(tmp_path / "one.xlsx", cell, 1)
        assert _products(path)[0] == ("1", "new/1", name)


def test_semicolons_against_the_count_are_refused_naming_the_line(tmp_path: Path) -> None:
    read = read_plan(_workbook(tmp_path / "bad.xlsx", "Trứng gà; Mật ong", 1))
    assert read.plan is None
    assert [str(p) for p in read.problems] == [
        "line 8: the product cell names 2 products (Trứng gà; Mật ong) but Tổng số is 1: write "
        "one product per row, or correct Tổng số (ô sản phẩm ghi 2 sản phẩm nhưng Tổng số là 1)"
    ]


def test_a_comma_without_a_count_is_one_product_and_said(tmp_path: Path) -> None:
    read = read_plan(_workbook(tmp_path / "nocount.xlsx", "Trứng gà, Mật ong", None))
    assert read.plan is not None
    assert read.plan.entries[0].product == "Trứng gà, Mật ong"
    assert any(line == 8 and "đọc là một sản phẩm" in text for line, text in read.notices)


def test_a_count_of_the_producers_rows_leaves_the_cell_one_product(tmp_path: Path) -> None:
    """Tổng số 2 on a row naming one product (the producer's second on the row below, the
    count merged down over both): one product, not refused."""
    assert _products(_workbook(tmp_path / "two.xlsx", "Mật ong Tường Phù", 2))[0] == (
        "1",
        "new/1",
        "Mật ong Tường Phù",
    )


def test_a_count_merged_over_the_producers_rows_splits_no_cell(tmp_path: Path) -> None:
    """Tổng số 2 merged down over a producer's two rows counts its rows: the first row's name
    with a comma in it stays one product."""
    path = _workbook(tmp_path / "merged.xlsx", "Chè xanh, chè đen Tường Phù", 2)
    book = load_workbook(path)
    sheet = book.active
    assert sheet is not None
    sheet.insert_rows(9)
    sheet["D9"] = "Mật ong Tường Phù"
    sheet["F9"] = "X"
    for area in ("B8:B9", "C8:C9", "E8:E9"):
        sheet.merge_cells(area)
    book.save(path)
    assert [p for _, _, p in _products(path)] == [
        "Chè xanh, chè đen Tường Phù",
        "Mật ong Tường Phù",
        "Gạo nếp Gia Phù",
    ]
