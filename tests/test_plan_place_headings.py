"""Where a table says a row's commune besides its address: a heading row naming the commune of
the products listed under it ("1. Xã Gia Phù"), or a commune column ("Xã, thị trấn"); headings
naming a larger area ("Khu vực I", "Cụm xã …") are skipped, said, and end the commune above."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook

from ocop_cycle.plan.importer import read_plan
from ocop_cycle.plan.model import Plan
from tests import plan_sheets

NEW: list[object] = ["I", "Sản phẩm đăng ký đánh giá mới"]
UPGRADE: list[object] = ["II", "Sản phẩm đánh giá nâng hạng sao"]


def _workbook(path: Path, body: list[list[object]], header: list[object] | None = None) -> Path:
    """Phù Yên's title and header (``header`` for its first row), then ``body`` from line 7."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    first = header or plan_sheets.HEADER[0]
    for row in [*plan_sheets.TITLE, first, plan_sheets.HEADER[1], *body]:
        sheet.append(row)
    book.save(path)
    return path


def _places(plan: Plan | None) -> list[tuple[str, str, str]]:
    assert plan is not None
    return [(e.product, e.commune_code, e.address) for e in plan.entries]


def test_commune_headings_within_sections(tmp_path: Path) -> None:
    """Each section lists its products commune by commune, addresses giving the village or
    nothing: each row is in its heading's commune, its address completed with it; the next
    section starts without a commune."""
    body: list[list[object]] = [
        NEW,  # line 7
        [1, "Xã Gia Phù"],
        [None, "Công ty TNHH Nông sản Gia Phù", "Bản Đá Mài", "Gạo nếp Gia Phù", 1, "X"],
        [None, "HTX Chè Gia Phù", None, "Chè xanh Gia Phù", 1, None, "X"],
        ["2.", "Thị trấn Quang Huy"],  # line 11
        [None, "Hộ KD Lò Văn Minh", "Tiểu khu 4", "Mật ong hoa rừng Quang Huy", 1, "X"],
        UPGRADE,
        [1, "HTX Nông nghiệp Tường Phù", "Bản Văn Yên, Xã Tường Phù", "Mật ong Tường Phù", 1, "X"],
    ]
    read = read_plan(_workbook(tmp_path / "communes.xlsx", body))
    assert read.problems == []
    assert _places(read.plan) == [
        ("Gạo nếp Gia Phù", "03922", "Bản Đá Mài, Xã Gia Phù"),
        ("Chè xanh Gia Phù", "03922", "Xã Gia Phù"),
        ("Mật ong hoa rừng Quang Huy", "03910", "Tiểu khu 4, Thị trấn Quang Huy"),
        ("Mật ong Tường Phù", "03925", "Bản Văn Yên, Xã Tường Phù"),
    ]


def test_commune_headings_above_sections(tmp_path: Path) -> None:
    """Each commune lists its sections: its heading holds over them until the next commune's."""
    body: list[list[object]] = [
        ["A", "Xã Gia Phù"],
        NEW,
        [1, "Công ty TNHH Nông sản Gia Phù", "Bản Đá Mài", "Gạo nếp Gia Phù", 1, "X"],
        UPGRADE,
        [1, "HTX Chè Gia Phù", "Bản Cù", "Chè xanh Gia Phù", 1, None, "X"],
        ["B", "Xã Tân Lang"],
        NEW,
        [1, "Nguyễn Văn Sơn", "Bản Mới", "Măng khô Tân Lang", 1, "X"],
    ]
    read = read_plan(_workbook(tmp_path / "outer.xlsx", body))
    assert read.problems == []
    assert [code for _, code, _ in _places(read.plan)] == ["03922", "03922", "03919"]


def test_an_address_naming_another_commune_than_its_heading_wins_and_is_said(
    tmp_path: Path,
) -> None:
    body: list[list[object]] = [
        NEW,
        ["1", "Xã Gia Phù"],
        [1, "HTX Suối Bau", "Bản Suối Bau, X. Suối Bau", "Chè Suối Bau", 1, "X"],  # line 9
    ]
    read = read_plan(_workbook(tmp_path / "other.xlsx", body))
    assert [code for _, code, _ in _places(read.plan)] == ["03937"]
    said = [text for line, text in read.notices if line == 9]
    assert any("another commune than its heading" in text for text in said)


def test_area_headings_are_skipped_said_and_end_the_commune_above(tmp_path: Path) -> None:
    """ "Khu vực I" and "Cụm xã phía Nam" name no commune: skipped with a notice, not refused;
    a row under "Cụm xã phía Nam" giving only its village has no commune (the heading above
    it ended "Xã Gia Phù")."""
    body: list[list[object]] = [
        NEW,
        ["Khu vực I"],  # line 8
        ["1", "Xã Gia Phù"],
        [1, "Công ty TNHH Nông sản Gia Phù", "Bản Đá Mài", "Gạo nếp Gia Phù", 1, "X"],
        ["Cụm xã phía Nam:"],  # line 11
        [2, "HTX Suối Bau", "Bản Suối Bau, X. Suối Bau", "Chè Suối Bau", 1, "X"],
        [3, "Lò Văn Tám", "Bản Bó", "Khăn Mường Cơi", 1, "X"],  # line 13
    ]
    read = read_plan(_workbook(tmp_path / "areas.xlsx", body))
    assert (8, "dòng tiêu đề 'Khu vực I' bỏ qua (heading skipped)") in read.notices
    assert (11, "dòng tiêu đề 'Cụm xã phía Nam' bỏ qua (heading skipped)") in read.notices
    assert [str(p) for p in read.problems] == [
        "line 13: no commune of Huyện Phù Yên (122) on 01/03/2024 in the address 'Bản Bó'"
    ]
    body[-1] = [3, "Lò Văn Tám", "Bản Bó, xã Mường Cơi", "Khăn Mường Cơi", 1, "X"]
    read = read_plan(_workbook(tmp_path / "areas.xlsx", body))
    assert [code for _, code, _ in _places(read.plan)] == ["03922", "03937", "03907"]


#: A header with a commune column where the address was: "Xã, thị trấn".
COMMUNE_HEADER: list[object] = [
    "TT",
    "Tên DN, HTX, chủ thể",
    "Xã, thị trấn",
    "Tên sản phẩm tham gia",
    "Tổng số",
    "Lộ trình đánh giá, phân hạng",
    None,
    "Ghi chú",
]


def test_a_commune_column_instead_of_the_address(tmp_path: Path) -> None:
    """ "Xã, thị trấn" holding the bare commune name ("Gia Phù", "TT Quang Huy"): each row is
    in it; merged down over one producer's rows, each of them is."""
    body: list[list[object]] = [
        NEW,
        [1, "Công ty TNHH Nông sản Gia Phù", "Gia Phù", "Gạo nếp Gia Phù", 1, "X"],  # line 8
        [2, "HTX Chè Gia Phù", None, "Chè xanh Gia Phù", 1, "X"],
        [3, "Hộ KD Lò Văn Minh", "TT Quang Huy", "Mật ong hoa rừng Quang Huy", 1, "X"],
    ]
    path = _workbook(tmp_path / "column.xlsx", body, COMMUNE_HEADER)
    from openpyxl import load_workbook

    book = load_workbook(path)
    assert book.active is not None
    book.active.merge_cells("C8:C9")
    book.save(path)
    read = read_plan(path)
    assert read.problems == []
    assert _places(read.plan) == [
        ("Gạo nếp Gia Phù", "03922", "Gia Phù"),
        ("Chè xanh Gia Phù", "03922", "Gia Phù"),
        ("Mật ong hoa rừng Quang Huy", "03910", "TT Quang Huy"),
    ]
