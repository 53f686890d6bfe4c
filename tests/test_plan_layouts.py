"""Biểu 1 as other offices save it reads as the same plan: a semicolon CSV (Excel under
Vietnamese regional settings, with or without its "sep=;" line), columns in another order,
section headings in one cell, lettered or in the decisions' wording, a totals row, a workbook
whose Biểu 2 sheet comes first, a Biểu 2 without its title."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from openpyxl import Workbook

from ocop_cycle.plan.importer import read_plan
from ocop_cycle.plan.model import Plan
from tests.plan_sheets import BODY, rows, write_csv
from tests.test_officer_plan import BIEU2


def _entries(plan: Plan | None) -> list[tuple[str, str, str, str, str]]:
    assert plan is not None
    return [(e.section, e.producer, e.address, e.product, e.round) for e in plan.entries]


@pytest.fixture
def expected(tmp_path: Path) -> list[tuple[str, str, str, str, str]]:
    read = read_plan(write_csv(tmp_path / "plain.csv"))
    assert not read.problems
    return _entries(read.plan)


def _write(
    path: Path, table: list[list[object]], delimiter: str = ",", sep_line: bool = False
) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        if sep_line:
            handle.write(f"sep={delimiter}\r\n")
        writer = csv.writer(handle, delimiter=delimiter)
        for row in table:
            writer.writerow(["" if c is None else c for c in row])
    return path


@pytest.mark.parametrize("sep_line", [False, True], ids=["sniffed", "sep-line"])
def test_a_semicolon_csv_reads_as_the_same_plan(
    tmp_path: Path, expected: list[tuple[str, ...]], sep_line: bool
) -> None:
    path = _write(tmp_path / "semicolon.csv", rows(), ";", sep_line)
    read = read_plan(path)
    assert not read.problems
    assert _entries(read.plan) == expected
    # Lines are the file's: the "sep=" line counts.
    first = min(read.lines.values())
    assert "Hợp tác xã chè Suối Bau" in path.read_text(encoding="utf-8-sig").splitlines()[first - 1]


def test_columns_in_another_order(tmp_path: Path, expected: list[tuple[str, ...]]) -> None:
    """STT, product, producer, address, note, rounds: the section rows hold their heading in
    the product's column."""
    order = [0, 3, 1, 2, 7, 5, 6, 4]  # from TT, producer, address, product, total, r1, r2, note

    def moved(row: list[object]) -> list[object]:
        cells = list(row) + [None] * (8 - len(row))
        return [cells[i] for i in order]

    table = rows()
    header_at = next(i for i, r in enumerate(table) if r and r[0] == "TT")
    out = table[:header_at]
    for row in table[header_at:]:
        if not row or row == [None] * len(row):
            out.append(row)
        elif row[0] in {"I", "II", "III"}:
            out.append([row[0], row[1]])  # the heading next to its number, in column B
        else:
            out.append(moved(row))
    read = read_plan(_write(tmp_path / "reordered.csv", out))
    assert not read.problems
    assert _entries(read.plan) == expected


@pytest.mark.parametrize(
    ("headings"),
    [
        (
            "I. Sản phẩm đăng ký đánh giá mới",
            "II. Sản phẩm nâng hạng",
            "III. SẢN PHẨM ĐÁNH GIÁ LẠI",
        ),
        (
            "I) Sản phẩm đánh giá, phân hạng lần đầu",
            "II) Sản phẩm đánh giá nâng hạng",
            "III) Sản phẩm đánh giá, phân hạng lại",
        ),
    ],
    ids=["numbered-cell", "decisions-wording"],
)
def test_section_headings_in_one_cell(
    tmp_path: Path, expected: list[tuple[str, ...]], headings: tuple[str, str, str]
) -> None:
    body = [list(r) if isinstance(r, list) else r for r in BODY]
    at = [i for i, r in enumerate(body) if isinstance(r, list) and r and r[0] in {"I", "II", "III"}]
    for i, heading in zip(at, headings, strict=True):
        body[i] = [heading]
    read = read_plan(write_csv(tmp_path / "sections.csv", body))
    assert not read.problems
    assert _entries(read.plan) == expected


def test_lettered_sections(tmp_path: Path, expected: list[tuple[str, ...]]) -> None:
    body = [list(r) if isinstance(r, list) else r for r in BODY]
    letters = {"I": "A", "II": "B", "III": "C"}
    for r in body:
        if isinstance(r, list) and r and r[0] in letters:
            r[0] = letters[str(r[0])]
    read = read_plan(write_csv(tmp_path / "letters.csv", body))
    assert not read.problems
    assert _entries(read.plan) == expected


@pytest.mark.parametrize(
    "totals",
    [
        [None, "Tổng cộng", None, None, 10, 6, 4],
        ["Tổng cộng", None, None, None, 10, 6, 4],
        ["Cộng: 10 sản phẩm"],
    ],
    ids=["in-producer", "in-tt", "one-cell"],
)
def test_a_totals_row_is_not_a_product(
    tmp_path: Path, expected: list[tuple[str, ...]], totals: list[object]
) -> None:
    body = [*BODY, totals]
    read = read_plan(write_csv(tmp_path / "totals.csv", body))
    assert not read.problems
    assert _entries(read.plan) == expected


def test_a_producer_whose_name_starts_like_a_total_is_a_product(tmp_path: Path) -> None:
    """ "Công ty …" is not "Cộng:": a row without its TT number is still read."""
    body = [*BODY[:2], [None, "Công ty TNHH Cộng Hòa", "Bản Mới, xã Tân Lang", "Miến dong", 1, "X"]]
    read = read_plan(write_csv(tmp_path / "cong-ty.csv", body))
    assert read.plan is not None, read.problems
    assert "Công ty TNHH Cộng Hòa" in {e.producer for e in read.plan.entries}


def test_a_workbook_with_bieu2_before_bieu1(
    tmp_path: Path, expected: list[tuple[str, ...]]
) -> None:
    """Biểu 2's header has three of Biểu 1's columns: Biểu 1 is the sheet that has them all."""
    book = Workbook()
    second = book.active
    assert second is not None
    second.title = "Biểu 2"
    second.append(["UBND HUYỆN PHÙ YÊN"])  # the unit's name above the title
    for row in BIEU2:
        second.append(row)
    first = book.create_sheet("Biểu 1")
    for row in rows():
        first.append(row)
    path = tmp_path / "b2-first.xlsx"
    book.save(path)
    read = read_plan(path)
    assert not [p for p in read.problems if "Biểu 1 header" in p.message]
    assert read.plan is not None, read.problems
    assert _entries(read.plan) == expected
    assert len(read.plan.support) == 3


def test_a_section_row_with_counts_under_its_rounds_is_a_section(
    tmp_path: Path, expected: list[tuple[str, ...]]
) -> None:
    """Headings that carry their section's subtotals under each month are still headings."""
    body = [
        [r[0], r[1], None, None, 5, 3, 2]  # TT, heading, -, -, Tổng số, June, October
        if isinstance(r, list) and r and r[0] in {"I", "II", "III"}
        else r
        for r in BODY
    ]
    read = read_plan(write_csv(tmp_path / "subtotals.csv", body))
    assert not read.problems
    assert _entries(read.plan) == expected


def test_a_producer_named_tong_cong_ty_is_not_a_totals_row(tmp_path: Path) -> None:
    """ "Tổng công ty …" (a corporation) marked X is a product, and so is the row after it."""
    body = [
        *BODY[:2],
        [None, "Tổng công ty Chè Việt Nam", "Bản Mới, xã Tân Lang", "Chè Shan", 1, "X"],
        [None, None, None, "Chè xanh", 1, "X"],
    ]
    read = read_plan(write_csv(tmp_path / "tong-cong-ty.csv", body))
    assert read.plan is not None, read.problems
    products = {(e.producer, e.product) for e in read.plan.entries}
    assert ("Tổng công ty Chè Việt Nam", "Chè Shan") in products
    assert ("Tổng công ty Chè Việt Nam", "Chè xanh") in products


def test_a_quote_left_open_in_a_semicolon_csv_is_refused(tmp_path: Path) -> None:
    """As in a comma CSV: the rows the open quote swallows are not lost silently."""
    table = rows()
    first = next(i for i, r in enumerate(table) if r and r[0] == 1)
    path = _write(tmp_path / "open-quote.csv", table, ";")
    text = path.read_text(encoding="utf-8-sig").splitlines()
    text[first] = text[first].replace("Bản Suối Bau", '"Bản Suối Bau', 1)
    path.write_text("\n".join(text) + "\n", encoding="utf-8-sig")
    read = read_plan(path)
    assert read.plan is None
    assert any("quoted cell" in p.message for p in read.problems)


#: Biểu 2 as some offices leave it: no title row, its header first.
UNTITLED_BIEU2 = [row for row in BIEU2 if row and not str(row[0]).startswith("BIỂU 2")]


def test_bieu2_without_its_title_on_its_own_sheet_is_read(
    tmp_path: Path, expected: list[tuple[str, ...]]
) -> None:
    """A "Biểu 2" sheet that starts with its header: recognised by the header, not dropped."""
    book = Workbook()
    first = book.active
    assert first is not None
    first.title = "Biểu 1"
    for row in rows():
        first.append(row)
    second = book.create_sheet("Hỗ trợ")
    for row in UNTITLED_BIEU2:
        second.append(row)
    book.save(tmp_path / "untitled.xlsx")
    read = read_plan(tmp_path / "untitled.xlsx")
    assert read.plan is not None, read.problems
    assert _entries(read.plan) == expected
    assert [(r.tt, r.plan_ref) for r in read.plan.support] == [
        ("1", "new/1"),
        ("2", "re_evaluation/Mật ong bạc hà Huy Hạ"),
        ("3", ""),
    ]
    assert "Biểu 2 từ 'Hỗ trợ'" in read.notices[0][1]


def test_bieu2_without_its_title_under_bieu1_is_not_read_as_bieu1(
    tmp_path: Path, expected: list[tuple[str, ...]]
) -> None:
    """Biểu 2's header straight under Biểu 1 (a CSV of both): its rows, marked X under
    columns Biểu 1 has rounds in, are Biểu 2's requests, not Biểu 1's products."""
    read = read_plan(_write(tmp_path / "both.csv", [*rows(), [], *UNTITLED_BIEU2]))
    assert read.plan is not None, read.problems
    assert _entries(read.plan) == expected
    assert len(read.plan.support) == 3
