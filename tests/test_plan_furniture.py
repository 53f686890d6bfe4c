"""What an official table carries besides its rows -- notes, a signature block, footnotes, a
totals row, a column-number row, headings written other ways -- is skipped, never read as a
product and never a reason to refuse the plan."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook

from ocop_cycle.plan.importer import read_plan
from ocop_cycle.plan.model import Plan
from tests.plan_sheets import BODY, HEADER, TITLE, write_xlsx
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


def _sheet(path: Path, table: list[list[object]]) -> Path:
    """``table`` as the only sheet of a workbook, row by row."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in table:
        sheet.append(row)
    book.save(path)
    return path


@pytest.mark.parametrize(
    "footer",
    [
        [
            [None, "Nơi nhận:", None, None, None, "KT. CHỦ TỊCH"],
            [None, "- Như trên;", None, None, None, "PHÓ CHỦ TỊCH"],
            [None, "- Lưu: VT."],
            [],
            [None, None, None, None, None, "Nguyễn Văn Bình"],
        ],
        [
            [None, None, None, None, None, "Phù Yên, ngày 20 tháng 02 năm 2024"],
            [None, "Người lập biểu", None, None, None, "TM. ỦY BAN NHÂN DÂN"],
            [None, "Lò Thị Hoa", None, None, None, "CHỦ TỊCH"],
        ],
    ],
    ids=["noi-nhan", "nguoi-lap-bieu"],
)
def test_a_signature_block_ends_the_table(tmp_path: Path, footer: list[list[object]]) -> None:
    """The block under the table -- recipients, "KT. CHỦ TỊCH", a signer's name alone in a
    cell -- is not read as rows: the plan is the table's products, no product guessed."""
    read = read_plan(write_xlsx(tmp_path / "signed.xlsx", [*BODY, [], *footer]))
    assert _products(read.plan) == _all_products()


def test_a_product_below_the_signature_block_is_refused(tmp_path: Path) -> None:
    """Reading stops at the signature, but a row marked X below it is not dropped unsaid."""
    body = [*BODY, [None, "Nơi nhận:"], [9, "HTX Mận", "Bản Lằn, xã Tường Phù", "Mận", 1, "X"]]
    read = read_plan(write_xlsx(tmp_path / "after.xlsx", body))
    assert read.plan is None
    assert [str(p) for p in read.problems] == [
        "line 24: product row below the signature block (line 23)"
    ]


@pytest.mark.parametrize(
    "footnote",
    [["Ghi chú: sản phẩm (*) đã có mã vùng trồng"], ["(*) Đăng ký theo nhu cầu của chủ thể"]],
    ids=["ghi-chu", "star"],
)
def test_a_footnote_is_not_a_row(tmp_path: Path, footnote: list[object]) -> None:
    read = read_plan(write_xlsx(tmp_path / "footnote.xlsx", [*BODY, footnote]))
    assert _products(read.plan) == _all_products()


@pytest.mark.parametrize(
    "totals",
    [
        [None, "Tổng", None, None, 9, 5, 4],
        ["TỔNG CỘNG", None, None, None, 9, 5, 4],
        [None, "Cộng", None, None, 9],
        ["Tổng số", None, None, None, 9],
    ],
    ids=["tong", "tong-cong-capitals", "cong", "tong-so"],
)
def test_a_totals_row_in_any_spelling_is_skipped(tmp_path: Path, totals: list[object]) -> None:
    read = read_plan(write_xlsx(tmp_path / "totals.xlsx", [*BODY, totals]))
    assert _products(read.plan) == _all_products()


@pytest.mark.parametrize(
    "numbers",
    [[str(n) for n in range(1, 9)], [f"({n})" for n in range(1, 9)]],
    ids=["plain", "bracketed"],
)
def test_the_column_number_row_under_the_header_is_skipped(
    tmp_path: Path, numbers: list[object]
) -> None:
    read = read_plan(write_xlsx(tmp_path / "numbers.xlsx", [numbers, *BODY]))
    assert _products(read.plan) == _all_products()


def _sections_as(headings: dict[str, str]) -> list[list[object]]:
    """BODY with each section row replaced by one cell holding its heading."""
    return [
        [headings[str(r[0])]] if isinstance(r, list) and r and str(r[0]) in headings else r
        for r in BODY
    ]


@pytest.mark.parametrize(
    "headings",
    [
        {
            "I": "I - Sản phẩm đăng ký đánh giá mới",
            "II": "II - Nâng hạng",
            "III": "III - Đánh giá lại",
        },
        {"I": "1. Sản phẩm đăng ký đánh giá mới", "II": "2. Nâng hạng", "III": "3. Đánh giá lại"},
    ],
    ids=["roman-dash", "arabic-dot"],
)
def test_section_headings_numbered_other_ways(tmp_path: Path, headings: dict[str, str]) -> None:
    read = read_plan(write_xlsx(tmp_path / "sections.xlsx", _sections_as(headings)))
    assert read.plan is not None, read.problems
    assert [e.section for e in read.plan.entries] == ["new"] * 5 + ["upgrade"] + [
        "re_evaluation"
    ] * 3


def test_a_numbered_line_alone_that_names_no_section_is_not_a_section(tmp_path: Path) -> None:
    """ "1. Mật ong …" alone on its row may be a product numbered in its cell: it is read as a
    row (and refused, lacking its producer), not taken for a heading."""
    body = [*BODY[:2], ["1. Mật ong hoa rừng"], *BODY[2:]]
    read = read_plan(write_xlsx(tmp_path / "numbered.xlsx", body))
    assert read.plan is None
    assert not any("section" in p.message for p in read.problems)


def test_header_wording_variants(tmp_path: Path) -> None:
    """ "Tên HTX, DN" for the producer and "Sản phẩm" without "Tên" for the product."""
    header = [list(r) for r in HEADER]
    header[0][1], header[0][3] = "Tên HTX, DN", "Sản phẩm"
    read = read_plan(_sheet(tmp_path / "wording.xlsx", [*TITLE, *header, *_rows()]))
    assert _products(read.plan) == _all_products()


def _rows() -> list[list[object]]:
    """BODY's rows without the page break (the repeated header is the seed's wording)."""
    return [r for r in BODY if isinstance(r, list)]


def test_the_unit_beside_the_national_motto_is_the_issuing_unit(tmp_path: Path) -> None:
    title = [
        ["UBND HUYỆN PHÙ YÊN", None, None, None, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"],
        [None, None, None, None, "Độc lập - Tự do - Hạnh phúc"],
        *TITLE[1:],
    ]
    read = read_plan(_sheet(tmp_path / "motto.xlsx", [*title, *HEADER, *_rows()]))
    assert read.plan is not None, read.problems
    assert read.plan.unit_code == "122"


def test_a_centrally_run_city_is_a_province(tmp_path: Path) -> None:
    """ "UBND THÀNH PHỐ HÀ NỘI" issues a province's plan (Hà Nội, 01), not a district's."""
    title = [["UBND THÀNH PHỐ HÀ NỘI"], ["BIỂU 1: Sản phẩm tham gia OCOP năm 2026"], []]
    header = [list(HEADER[0]), [None] * 5 + ["Tháng 6/2026", "Tháng 10/2026"]]
    body: list[list[object]] = [
        ["I", "Sản phẩm đăng ký đánh giá mới"],
        [1, "HTX Nông nghiệp Bát Tràng", "Thôn 1, xã Bát Tràng", "Mật ong Bát Tràng", 1, "X"],
    ]
    read = read_plan(_sheet(tmp_path / "hanoi.xlsx", [*title, *header, *body]))
    assert read.plan is not None, read.problems
    assert (read.plan.unit_code, read.plan.unit_level) == ("01", "province")


def test_a_signature_block_under_bieu2_ends_it(tmp_path: Path) -> None:
    footer: list[list[object]] = [
        [],
        ["", "Nơi nhận:", "", "", "", "KT. CHỦ TỊCH"],
        ["", "Lò Thị Hoa"],
    ]
    read = read_plan(write_xlsx(tmp_path / "b2-signed.xlsx", [*BODY, [], *BIEU2, *footer]))
    assert read.plan is not None, read.problems
    assert len(read.plan.support) == 3
