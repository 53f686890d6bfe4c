"""Cells an office merges down over several rows -- one producer beside its products, one
address, group or round mark for several rows -- give their value to every row they cover
(openpyxl shows it in the top cell only); a TT merged over a producer's rows numbers the
producer, and a header cell merged down over both header rows heads no round."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook, load_workbook

from ocop_cycle.plan.importer import read_plan
from ocop_cycle.plan.model import Plan
from tests import plan_sheets


def _workbook(
    path: Path, body: list[list[object]], merges: list[str], header: list[object] | None = None
) -> Path:
    """Phù Yên's title and two-row header (``header`` for its first row; its cells merged down
    over both rows as offices do), ``body`` from row 7, then ``merges``."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    header = header or plan_sheets.HEADER[0]
    for row in [*plan_sheets.TITLE, header, plan_sheets.HEADER[1], *body]:
        sheet.append(row)
    for col, heading in zip("ABCDEFGHIJ", header, strict=False):
        if heading and col not in "FG":
            sheet.merge_cells(f"{col}5:{col}6")
    sheet.merge_cells("F5:G5")
    for area in merges:
        sheet.merge_cells(area)
    book.save(path)
    return path


def _rows(plan: Plan | None) -> list[tuple[str, str, str, str, str]]:
    assert plan is not None
    return [(e.tt, e.producer, e.address, e.product, e.round) for e in plan.entries]


SECTION: list[object] = ["I", "Sản phẩm đăng ký đánh giá mới"]
TUONG_PHU = ("HTX Nông nghiệp Tường Phù", "Bản Văn Yên, Xã Tường Phù")


def test_a_producer_merged_over_its_numbered_products(tmp_path: Path) -> None:
    """Producer and address merged over rows 8-10, each product numbered: three products of
    one producer, none refused as having no producer or address."""
    body: list[list[object]] = [
        SECTION,
        [1, *TUONG_PHU, "Mật ong Tường Phù", 1, "X"],
        [2, None, None, "Chè xanh Tường Phù", 1, None, "X"],
        [3, None, None, "Gạo nếp Tường Phù", 1, "X"],
    ]
    read = read_plan(_workbook(tmp_path / "m.xlsx", body, ["B8:B10", "C8:C10"]))
    assert read.problems == []
    assert _rows(read.plan) == [
        ("1", *TUONG_PHU, "Mật ong Tường Phù", "2024-06"),
        ("2", *TUONG_PHU, "Chè xanh Tường Phù", "2024-10"),
        ("3", *TUONG_PHU, "Gạo nếp Tường Phù", "2024-06"),
    ]


def test_a_number_merged_with_its_producer_numbers_the_producer(tmp_path: Path) -> None:
    """TT merged too: the rows below continue the producer (their TT blank, as a continuation
    row's), so each row keeps a reference of its own."""
    body: list[list[object]] = [
        SECTION,
        [1, *TUONG_PHU, "Mật ong Tường Phù", 1, "X"],
        [None, None, None, "Chè xanh Tường Phù", 1, "X"],
        [2, "HTX Gia Phù", "Bản B, xã Gia Phù", "Gạo nếp Gia Phù", 1, "X"],
    ]
    read = read_plan(_workbook(tmp_path / "tt.xlsx", body, ["A8:A9", "B8:B9", "C8:C9"]))
    assert read.problems == []
    assert read.plan is not None
    assert [(e.tt, e.ref) for e in read.plan.entries] == [
        ("1", "new/1"),
        ("", "new/Chè xanh Tường Phù"),
        ("2", "new/2"),
    ]


def test_a_round_mark_merged_over_rows_marks_each(tmp_path: Path) -> None:
    body: list[list[object]] = [
        SECTION,
        [1, "HTX Gia Phù", "Bản B, xã Gia Phù", "Gạo nếp Gia Phù", 1, None, "X"],
        [2, "HTX Suối Bau", "Bản Suối Bau, X. Suối Bau", "Chè Suối Bau", 1],
    ]
    read = read_plan(_workbook(tmp_path / "x.xlsx", body, ["G8:G9"]))
    assert read.problems == []
    assert [r[-1] for r in _rows(read.plan)] == ["2024-10", "2024-10"]


def test_a_group_merged_over_rows_gives_each_its_group(tmp_path: Path) -> None:
    """ "Hàng thủ công mỹ nghệ" merged over two weavers' rows: both rows are of that group."""
    body: list[list[object]] = [
        SECTION,
        [1, "Tổ hợp tác dệt Mường Cơi", "Bản Bó, Xã Mường Cơi", "Khăn Mường Cơi", 1, "X", None],
        [2, "Tổ hợp tác dệt Tân Lang", "Bản Mới, xã Tân Lang", "Túi Tân Lang", 1, "X", None],
    ]
    for row in body[1:]:
        row += [None, "Hàng thủ công mỹ nghệ" if row[0] == 1 else None]
    header = [*plan_sheets.HEADER[0], "Nhóm sản phẩm"]
    path = _workbook(tmp_path / "g.xlsx", body, ["I8:I9"], header)
    read = read_plan(path)
    assert read.problems == []
    assert read.plan is not None
    assert [e.product_group for e in read.plan.entries] == ["handicrafts", "handicrafts"]


def test_a_header_cell_merged_down_is_no_round(tmp_path: Path) -> None:
    """A column after the rounds that the reader does not know ("Hạng sao dự kiến"), its
    heading merged over both header rows as offices do: not read as a round's heading."""
    header = [*plan_sheets.HEADER[0][:7], "Hạng sao dự kiến"]
    body: list[list[object]] = [
        SECTION,
        [1, "HTX Gia Phù", "Bản B, xã Gia Phù", "Gạo nếp Gia Phù", 1, "X", None, "3 sao"],
    ]
    read = read_plan(_workbook(tmp_path / "h.xlsx", body, [], header))
    assert read.problems == []
    assert read.plan is not None
    assert [r.key for r in read.plan.rounds] == ["2024-06", "2024-10"]


def test_a_producer_merged_in_bieu2_is_each_rows_producer(tmp_path: Path) -> None:
    """Biểu 2 on its own sheet, one producer merged over its two requests: both read, each
    linked to its Biểu 1 row."""
    body: list[list[object]] = [
        SECTION,
        [1, *TUONG_PHU, "Mật ong Tường Phù", 1, "X"],
        [None, None, None, "Chè xanh Tường Phù", 1, "X"],
    ]
    path = _workbook(tmp_path / "b2.xlsx", body, [])
    book = load_workbook(path)
    sheet = book.create_sheet("Biểu 2")
    for row in [
        ["BIỂU 2: Danh sách dự kiến hỗ trợ quản lý nhãn hiệu, bao bì tem truy xuất năm 2024"],
        ["TT", "Tên DN, HTX, chủ thể", "Địa chỉ", "Sản phẩm hỗ trợ", "Nội dung đề xuất", None],
        [None, None, None, None, "Quản lý nhãn hiệu", "Bao bì, tem nhãn mác sản phẩm"],
        [1, *TUONG_PHU, "Mật ong Tường Phù", "X", "X"],
        [2, None, None, "Chè xanh Tường Phù", None, "X"],
    ]:
        sheet.append(row)
    for area in ("A2:A3", "B2:B3", "C2:C3", "D2:D3", "E2:F2", "B4:B5", "C4:C5"):
        sheet.merge_cells(area)
    book.save(path)
    read = read_plan(path)
    assert read.problems == []
    assert read.plan is not None
    assert [(r.producer, r.plan_ref) for r in read.plan.support] == [
        (TUONG_PHU[0], "new/1"),
        (TUONG_PHU[0], "new/Chè xanh Tường Phù"),
    ]
