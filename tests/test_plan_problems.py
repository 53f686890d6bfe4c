"""An office's Biểu 1 with mistakes: every problem of every row listed with its line, and
nothing written when there is any (all or nothing)."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from openpyxl import Workbook

from ocop_cycle import Engine
from ocop_cycle.cli import main
from ocop_cycle.plan.importer import read_plan
from ocop_cycle.plan.stored import stored_units
from tests.plan_sheets import HEADER, TITLE, write_csv, write_xlsx
from tests.scenario import snapshot

#: Line 7 onwards (title rows 1-4, header 5-6); each row's expected problems beside it.
BAD_BODY: list[list[object]] = [
    [None, None, None, "Chè mồ côi", 1, "X"],  # 7: outside a section; no producer above
    ["I", "Sản phẩm đăng ký đánh giá mới"],  # 8
    [1, None, "Bản B, xã Gia Phù", "Chè B", 1, "X"],  # 9: empty producer
    [2, "HTX Không Địa Chỉ", None, "Chè C", 1, "X"],  # 10: empty address
    [3, "HTX Không Sản Phẩm", "Bản D, xã Gia Phù", None, 1, "X", "X"],  # 11: two problems
    [4, "HTX Tổng Số", "Bản E, xã Gia Phù", "Chè E", "một", "X"],  # 12: total
    [5, "HTX Ô Lạ", "Bản F, xã Gia Phù", "Chè F", 1, "có"],  # 13: mark not X
    [6, "HTX Chưa Chọn Đợt", "Bản G, xã Gia Phù", "Chè G", 1],  # 14: no round
    [7, "HTX Atlantis", "Bản I, X. Atlantis", "Chè I", 1, "X"],  # 15: unknown commune
    [8, "HTX Không Xã", "Bản Lạ", "Chè J", 1, "X"],  # 16: no commune at all
    [9, "HTX chè Suối Bau", "Bản Suối Bau, X. Suối Bau", "Chè Shan tuyết", 1, "X"],  # 17: good
    [10, "HTX chè Suối Bau", "Bản Suối Bau, X. Suối Bau", "Chè Shan tuyết", 1, "X"],  # 18: dup
    ["IV", "Sản phẩm khác (02 sản phẩm)"],  # 19: not a known section
    [1, "HTX Trong Mục Lạ", "Bản K, xã Gia Phù", "Chè K", 1, "X"],  # 20: outside a section
]
EXPECTED = [
    "line 7: product row outside a section (I new, II upgrade, III re-evaluation)",
    "line 7: continuation row with no producer above it",
    "line 9: empty producer (Tên DN, HTX, chủ thể)",
    "line 10: empty address (Địa chỉ)",
    "line 11: empty product (Tên sản phẩm tham gia)",
    "line 11: several rounds marked X (2024-06, 2024-10)",
    "line 12: Tổng số 'một' is not a count",
    "line 13: round cell 'có' is not X",
    "line 14: no round marked X",
    "line 15: commune 'Atlantis' not found in Huyện Phù Yên (122) on 01/03/2024",
    "line 16: no commune of Huyện Phù Yên (122) on 01/03/2024 in the address 'Bản Lạ'",
    "line 18: duplicated product 'Chè Shan tuyết' (line 17)",
    "line 19: section IV 'Sản phẩm khác (02 sản phẩm)' is not new, upgrade or re-evaluation",
    "line 20: product row outside a section (I new, II upgrade, III re-evaluation)",
]


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_every_problem_of_every_row_with_its_line(tmp_path: Path, suffix: str) -> None:
    """Each kind of row problem is named with its line, several on one row included."""
    write = write_xlsx if suffix == ".xlsx" else write_csv
    path = write(tmp_path / f"bad{suffix}", BAD_BODY)
    read = read_plan(path)
    assert read.plan is None
    assert [str(p) for p in read.problems] == EXPECTED


def test_a_bad_file_writes_nothing(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One bad row among good ones: the CLI lists every problem, exits 1, and neither the plan
    nor any dossier is written."""
    path = write_xlsx(tmp_path / "bad.xlsx", BAD_BODY)
    with Engine.open(db_url) as engine:
        before = snapshot(engine)
        assert main(["--db", db_url, "import-plan", str(path)]) == 1
        assert snapshot(engine) == before
        assert stored_units(engine, 2024) == []
    out = capsys.readouterr().out
    for problem in EXPECTED:
        assert f"{path}: {problem}" in out
    assert f"{len(EXPECTED)} problem(s): nothing imported" in out


@pytest.mark.parametrize(
    ("first", "again"),
    [
        ("Hợp tác xã chè Suối Bau", "HTX chè Suối Bau"),
        ("Công ty TNHH Nông sản Gia Phù", "Cty TNHH Nông sản Gia Phù"),
        ("Hộ kinh doanh Lò Văn Minh", "HKD Lò Văn Minh"),
        ("Doanh nghiệp Chè Phù Yên", "DN Chè Phù Yên"),
    ],
    ids=["htx", "cty", "hkd", "dn"],
)
def test_a_legal_form_spelled_two_ways_is_one_producer(
    tmp_path: Path, first: str, again: str
) -> None:
    """The same product under "HTX X" and "Hợp tác xã X" is a duplicate, not two producers."""
    body: list[list[object]] = [
        ["I", "Sản phẩm đăng ký đánh giá mới"],
        [1, first, "Bản Suối Bau, X. Suối Bau", "Chè Shan tuyết", 1, "X"],
        [2, again, "Bản Suối Bau, X. Suối Bau", "Chè Shan tuyết", 1, "X"],
    ]
    read = read_plan(write_xlsx(tmp_path / "twice.xlsx", body))
    assert [str(p) for p in read.problems] == [
        "line 9: duplicated product 'Chè Shan tuyết' (line 8)"
    ]


def _sheet(path: Path, rows: list[list[object]]) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def test_a_table_without_the_header_is_refused_at_line_1(tmp_path: Path) -> None:
    """No TT / Tên DN / Địa chỉ / Tên sản phẩm header anywhere: one problem, at the first line."""
    path = _sheet(tmp_path / "x.xlsx", [["Danh sách"], ["1", "HTX A", "xã B"]])
    assert [str(p) for p in read_plan(path).problems] == [
        "line 1: no Biểu 1 header found (TT, Tên DN/HTX/chủ thể, Địa chỉ, Tên sản phẩm tham gia,"
        " Tổng số, Lộ trình …, Ghi chú)"
    ]


def test_a_header_without_address_or_round_months(tmp_path: Path) -> None:
    """A header lacking a column names it at the header's line; round headings without a
    month/year are named at the second header row."""
    header = [h for h in HEADER[0] if h != "Địa chỉ"]
    path = _sheet(tmp_path / "h.xlsx", [*TITLE, header])
    assert [str(p) for p in read_plan(path).problems] == ["line 5: header lacks: Địa chỉ"]
    rounds = [None, None, None, None, None, "Đợt 1", "Tháng 10/2024", None]
    body = [["I", "Sản phẩm mới"], [1, "HTX A", "xã Gia Phù", "Chè A", 1, None, "X"]]
    path = _sheet(tmp_path / "r.xlsx", [*TITLE, HEADER[0], rounds, *body])
    assert [str(p) for p in read_plan(path).problems] == [
        "line 6: round heading 'Đợt 1' has no month/year (Tháng 6/2024)"
    ]


def test_the_issuing_unit_and_year_must_be_known(tmp_path: Path) -> None:
    """No unit in the title and none given, or a code that names no district or province on
    the plan's date, or no year: refused, saying what to pass."""
    body = [["I", "Sản phẩm mới"], [1, "HTX A", "xã Gia Phù", "Chè A", 1, "X"]]
    untitled = _sheet(tmp_path / "u.xlsx", [["BIỂU 1 năm 2024"], *HEADER, *body])
    assert [str(p) for p in read_plan(untitled).problems] == [
        "line 0: the issuing unit is not in the title: use --unit CODE"
    ]
    assert read_plan(untitled, unit="122").problems == []
    assert [str(p) for p in read_plan(untitled, unit="07426").problems] == [
        "line 0: --unit 07426: no district or province has this code on 01/03/2024"
    ]
    no_year = _sheet(
        tmp_path / "y.xlsx",
        [
            ["UBND HUYỆN PHÙ YÊN"],
            HEADER[0],
            ["", "", "", "", "", "Tháng 6/2024", "Tháng 10/2025"],
            *body,
        ],
    )
    assert [str(p) for p in read_plan(no_year).problems] == [
        "line 0: the plan's year is not in its title: use --year"
    ]
    assert read_plan(no_year, year=2024).problems == []


def test_commune_names_as_offices_write_them(tmp_path: Path) -> None:
    """Abbreviations, capitals, NFD, old tone placement, the name a code had before the
    reform, and a name two communes share (refused, naming both)."""
    rows: list[list[object]] = [
        ["I", "Sản phẩm đăng ký đánh giá mới"],
        [1, "HTX A", "Tiểu khu 1, TT. Quang Huy", "Chè A", 1, "X"],
        [2, "HTX B", unicodedata.normalize("NFD", "BẢN B, XÃ GIA PHÙ"), "Chè B", 1, "X"],
        [3, "HTX C", "bản C - x.mường thải", "Chè C", 1, "X"],
        [4, "HTX D", "Bản D, Xã Chiềng Chung", "Chè D", 1, "X"],
    ]
    province_2024 = write_xlsx(tmp_path / "p.xlsx", rows)
    read = read_plan(province_2024, unit="14")
    assert [str(p) for p in read.problems] == [
        "line 11: 'Chiềng Chung' names several communes: Xã Chiềng Chung (04015), "
        "Xã Chiềng Chung (04129)"
    ]
    read = read_plan(write_xlsx(tmp_path / "d.xlsx", rows[:4]))
    assert read.plan is not None
    assert [e.commune_code for e in read.plan.entries] == ["03910", "03922", "03904"]
    # After the reform, Sơn La's plan of 2026: "TT. Quang Huy" is now xã Phù Yên (03910).
    read = read_plan(write_xlsx(tmp_path / "n.xlsx", rows[:3]), unit="14", year=2026)
    assert read.problems == []
    assert read.plan is not None
    assert (read.plan.unit_level, read.plan.entries[0].commune) == ("province", "xã Phù Yên")
    assert read.plan.entries[0].district_code == ""
    assert (
        8,
        "Thị trấn Quang Huy (03910) là tên trước sắp xếp 01/07/2025 của Xã Phù Yên (03910)",
    ) in read.notices


def test_a_missing_file_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A file that is not there is named in one line, exit 1, no traceback."""
    missing = tmp_path / "khong-co.xlsx"
    assert [str(p) for p in read_plan(missing).problems] == [
        f"line 0: cannot read {missing}: No such file or directory"
    ]
    url = f"sqlite:///{tmp_path / 'm.db'}"
    assert main(["--db", url, "db", "upgrade"]) == 0
    capsys.readouterr()
    assert main(["--db", url, "import-plan", str(missing)]) == 1
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    assert captured.out == ""
    assert captured.err == f"ocop-cycle: {missing}: No such file or directory\n"
