"""Any district's plan: Biểu 1 as an office publishes it (Phù Yên, Sơn La, 2024) imports, is
stored, reports, and re-imports as a no-op; the seed's own table reads as the shipped plan."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest
from openpyxl import Workbook

from ocop_cycle import Engine
from ocop_cycle.cli import main
from ocop_cycle.plan.entries import lang_giang_2024
from ocop_cycle.plan.importer import read_plan
from ocop_cycle.plan.stored import stored_plan, stored_units
from tests import plan_race_workers
from tests.plan_sheets import BODY, write_csv, write_xlsx
from tests.scenario import snapshot

SEED = Path(__file__).resolve().parents[2] / "shared" / "seeds" / "000_ffe4850c18d5b9c6.txt"


@pytest.fixture
def phu_yen(tmp_path: Path) -> Path:
    """Phù Yên's Biểu 1 as the office's workbook."""
    return write_xlsx(tmp_path / "Bieu1-PhuYen-2024.xlsx")


def test_officer_workbook_reads_every_row(phu_yen: Path) -> None:
    """Title rows, merged two-row header, sections, a blank row, a continuation row and a
    header repeated (in capitals, NFD) at a page break: nine products of Huyện Phù Yên."""
    read = read_plan(phu_yen)
    assert read.problems == []
    plan = read.plan
    assert plan is not None
    assert (plan.unit_code, plan.unit_name, plan.year, plan.province_code) == (
        "122",
        "Huyện Phù Yên",
        2024,
        "14",
    )
    assert [(r.key, r.label_vi) for r in plan.rounds] == [
        ("2024-06", "Tháng 6/2024"),
        ("2024-10", "Tháng 10/2024"),
    ]
    got = [(e.section, e.tt, e.producer, e.commune_code, e.commune, e.round) for e in plan.entries]
    assert got == [
        ("new", "1", "Hợp tác xã chè Suối Bau", "03937", "xã Suối Bau", "2024-06"),
        ("new", "2", "Hộ KD Lò Văn Minh", "03910", "thị trấn Quang Huy", "2024-10"),
        ("new", "3", "Công ty TNHH Nông sản Gia Phù", "03922", "xã Gia Phù", "2024-06"),
        ("new", "4", "Tổ hợp tác dệt thổ cẩm Mường Cơi", "03907", "xã Mường Cơi", "2024-10"),
        ("new", "5", "Nguyễn Văn Sơn", "03919", "xã Tân Lang", "2024-06"),
        ("upgrade", "1", "HTX Nông nghiệp Tường Phù", "03925", "xã Tường Phù", "2024-06"),
        ("re_evaluation", "1", "Hợp tác xã Huy Hạ", "03928", "xã Huy Hạ", "2024-06"),
        ("re_evaluation", "", "Hợp tác xã Huy Hạ", "03928", "xã Huy Hạ", "2024-10"),
        ("re_evaluation", "2", "Hội Nuôi ong xã Mường Do", "03943", "xã Mường Do", "2024-10"),
    ]
    continuation = plan.entries[7]
    assert (continuation.product, continuation.address) == (
        "Mật ong bạc hà Huy Hạ",
        "Bản Ngọc, X.Huy Hạ",
    )
    assert {e.district_code for e in plan.entries} == {"122"}
    # Nothing in the table gives the group and set: inferred only where one set's name fits.
    assert [(e.product_group, e.product_set) for e in plan.entries[:4]] == [
        ("food", "tea"),
        ("food", "honey"),
        ("food", "rice"),
        ("", ""),
    ]
    assert [e.missing for e in plan.entries if e.missing] == [
        ("nhóm sản phẩm", "bộ sản phẩm"),
        ("loại hình chủ thể", "nhóm sản phẩm", "bộ sản phẩm"),
    ]
    said = "xã lấy từ tên chủ thể 'Hội Nuôi ong xã Mường Do': Xã Mường Do (03943)"
    assert (22, said) in read.notices
    assert [(t.id, t.target, t.min_stars) for t in plan.targets] == [
        ("new_products_3_star", 5, 3),
        ("re_evaluated", 3, 3),
        ("upgraded", 1, 4),
    ]


def test_csv_saved_from_excel_gives_the_same_plan(phu_yen: Path, tmp_path: Path) -> None:
    """The same table saved as "CSV UTF-8" (BOM, merged cells blank) reads as the workbook."""
    from_csv = read_plan(write_csv(tmp_path / "Bieu1.csv"))
    assert from_csv.problems == []
    assert from_csv.plan == read_plan(phu_yen).plan


def test_optional_group_and_set_columns_complete_a_row(tmp_path: Path) -> None:
    """An office may add "Nhóm sản phẩm" / "Bộ sản phẩm" columns (by Vietnamese name or code)."""
    from tests import plan_sheets

    header = [*plan_sheets.HEADER[0], "Nhóm sản phẩm", "Bộ sản phẩm"]
    body = [list(r) for r in BODY if r != "PAGE BREAK"]
    body[5] = [*body[5], "Hàng thủ công mỹ nghệ", "textile_embroidery"]
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in [*plan_sheets.TITLE, header, plan_sheets.HEADER[1], *body]:
        sheet.append(row)
    book.save(tmp_path / "b.xlsx")
    read = read_plan(tmp_path / "b.xlsx")
    assert read.problems == []
    assert read.plan is not None
    weaving = read.plan.entries[3]
    assert (weaving.product_group, weaving.product_set, weaving.missing) == (
        "handicrafts",
        "textile_embroidery",
        (),
    )


def _with_group_column(tmp_path: Path, group: str) -> Path:
    """Phù Yên's Biểu 1 with a "Nhóm sản phẩm" column holding ``group`` on every product row."""
    from tests import plan_sheets

    header = [*plan_sheets.HEADER[0], "Nhóm sản phẩm"]
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in [*plan_sheets.TITLE, header, plan_sheets.HEADER[1]]:
        sheet.append(row)
    for row in BODY:
        if isinstance(row, list) and row and isinstance(row[0], int | None):  # a product row
            sheet.append([*row, *[None] * (8 - len(row)), group])
        elif isinstance(row, list):
            sheet.append(row)
    book.save(tmp_path / "group.xlsx")
    return tmp_path / "group.xlsx"


def test_a_group_column_alone_still_lets_the_set_be_inferred(tmp_path: Path) -> None:
    """ "Thực phẩm" on every row: "Mật ong …" is still honey, inferred within the group."""
    read = read_plan(_with_group_column(tmp_path, "Thực phẩm"))
    assert read.plan is not None, read.problems
    sets = {e.product: (e.product_group, e.product_set) for e in read.plan.entries}
    assert sets["Mật ong Tường Phù"] == ("food", "honey")
    assert sets["Chè Shan tuyết Suối Bau"] == ("food", "tea")


def test_a_set_of_another_group_is_not_inferred_against_the_given_group(tmp_path: Path) -> None:
    """ "Mật ong …" given the group "Đồ uống" keeps the office's group and no set: to complete."""
    read = read_plan(_with_group_column(tmp_path, "Đồ uống"))
    assert read.plan is not None, read.problems
    honey = next(e for e in read.plan.entries if e.product == "Mật ong Tường Phù")
    assert (honey.product_group, honey.product_set) == ("beverages", "")


def test_officer_plan_imports_stores_and_reports(
    db_url: str, phu_yen: Path, capsys: pytest.CaptureFixture[str], office_in_2024: None
) -> None:
    """Import: 7 dossiers (the 2 rows to complete wait), 4 earlier certificates; the plan is
    stored, and ``report plan --year 2024 --unit 122`` reports it."""
    assert main(["--db", db_url, "import-plan", str(phu_yen)]) == 0
    out = capsys.readouterr().out
    assert "Khăn thổ cẩm Mường Cơi: nhóm sản phẩm, bộ sản phẩm" in out
    assert "to be completed before scoring" in out
    assert "Huyện Phù Yên (122), 2024: plan created; 9 rows: 7 dossiers, 4 earlier" in out
    with Engine.open(db_url) as engine:
        assert stored_units(engine, 2024) == ["122"]
        plan = stored_plan(engine, 2024, "122")
        assert plan is not None
        assert len(plan.entries) == 9
        dossiers = engine.dossiers()
    live = [d for d in dossiers if d.state == "registered"]
    assert len(live) == 7
    assert {d.district_code for d in live} == {"122"}
    assert {d.province_code for d in live} == {"14"}
    assert sorted(d.commune_code or "" for d in live) == sorted(
        ["03937", "03910", "03922", "03925", "03928", "03928", "03943"]
    )
    assert main(["--db", db_url, "report", "plan", "--unit", "122", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert (doc["unit_code"], doc["district_code"], doc["year"]) == ("122", "122", 2024)
    assert doc["plan_vi"] == "Kế hoạch OCOP năm 2024 — Huyện Phù Yên"
    planned = {c["commune"]: c["planned"] for c in doc["communes"] if c["planned"]}
    assert planned == {
        "thị trấn Quang Huy": 1,
        "xã Gia Phù": 1,
        "xã Huy Hạ": 2,
        "xã Mường Cơi": 1,
        "xã Mường Do": 1,
        "xã Suối Bau": 1,
        "xã Tân Lang": 1,
        "xã Tường Phù": 1,
    }
    assert len(doc["communes"]) == 25  # every commune of the district on the plan's date
    assert len(doc["open_dossiers"]) == 7
    assert [t["target"] for t in doc["targets"]] == [5, 3, 1]
    # The year's only imported plan is the default unit.
    assert main(["--db", db_url, "report", "plan", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["unit_code"] == "122"


def test_reimport_says_nothing_new_was_written(
    db_url: str,
    phu_yen: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    office_in_2024: None,
) -> None:
    """The same plan again (even as CSV) writes nothing and says so."""
    assert main(["--db", db_url, "import-plan", str(phu_yen)]) == 0
    capsys.readouterr()
    with Engine.open(db_url) as engine:
        before = snapshot(engine)
        assert main(["--db", db_url, "import-plan", str(write_csv(tmp_path / "b.csv"))]) == 0
        assert snapshot(engine) == before
    out = capsys.readouterr().out
    assert "Huyện Phù Yên (122), 2024: already imported — nothing new written (9 rows)" in out


def test_a_changed_plan_replaces_the_stored_one(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], office_in_2024: None
) -> None:
    """A plan with one more row replaces the stored plan and writes only the new dossier."""
    first = write_xlsx(tmp_path / "v1.xlsx")
    assert main(["--db", db_url, "import-plan", str(first)]) == 0
    body = [*BODY, [3, "HTX Mường Bang", "Bản Bang, xã Mường Bang", "Chè Mường Bang", 1, "X"]]
    second = write_xlsx(tmp_path / "v2.xlsx", body)
    capsys.readouterr()
    assert main(["--db", db_url, "import-plan", str(second)]) == 0
    out = capsys.readouterr().out
    assert "plan replaced; 10 rows: 8 dossiers, 5 earlier certificates, 2 to complete" in out
    assert "2 new writes" in out  # the certificate history and the re-evaluation dossier
    with Engine.open(db_url) as engine:
        plan = stored_plan(engine, 2024, "122")
    assert plan is not None
    assert plan.entries[-1].commune_code == "03964"


def test_the_seeds_tables_read_as_the_shipped_plan(tmp_path: Path) -> None:
    """The seed's Biểu 1 and Biểu 2 as published (Lạng Giang 2024, one after the other on one
    sheet) read into the shipped plan's rows and requests, each request linked to its row."""
    if not SEED.exists():
        pytest.skip("../shared is not on this machine")
    lines = SEED.read_text(encoding="utf-8").split("\n")
    b1 = next(i for i, line in enumerate(lines) if "BIỂU 1" in line)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for line in lines[b1:]:
        cells = line.split("\t")
        if cells[0] == "TT" and len(cells) in {7, 9} and cells[3] == "":
            # The text copy of the seed splits "Địa chỉ" over two cells; the table has one.
            del cells[3]
        sheet.append(cells)
    book.save(tmp_path / "seed.xlsx")
    read = read_plan(tmp_path / "seed.xlsx")
    assert read.problems == []
    assert read.plan is not None
    assert read.plan.unit_code == "217"

    def key(e: object, fields: tuple[str, ...]) -> tuple[object, ...]:
        return tuple(getattr(e, f) for f in fields)

    rows = ("section", "tt", "producer", "product", "commune_code", "round")
    entries, support = lang_giang_2024()
    assert [key(e, rows) for e in read.plan.entries] == [key(e, rows) for e in entries]
    requests = ("tt", "producer", "product", "trademark", "packaging_stamps", "plan_ref")
    assert [key(r, requests) for r in read.plan.support] == [key(r, requests) for r in support]
    shipped = {e.product: e.product_set for e in entries}
    inferred = {e.product: e.product_set for e in read.plan.entries if e.product_set}
    assert len(inferred) >= 5
    assert all(shipped[p] == s for p, s in inferred.items())


BIEU2 = [
    ["BIỂU 2: Danh sách dự kiến hỗ trợ quản lý nhãn hiệu, bao bì tem truy xuất năm 2024"],
    [],
    ["TT", "Tên DN, HTX, chủ thể", "Địa chỉ", "Sản phẩm hỗ trợ", "Nội dung đề xuất", ""],
    ["", "", "", "", "Quản lý nhãn hiệu", "Bao bì, tem nhãn mác sản phẩm"],
    ["1", "HTX chè Suối Bau", "Bản Suối Bau, X. Suối Bau", "Chè Shan tuyết Suối Bau", "X", "X"],
    ["2", "Hợp tác xã Huy Hạ", "Bản Ngọc, X.Huy Hạ", "Mật ong bạc hà", "", "X"],
    ["3", "HTX Mận hậu Phù Yên", "Bản Lằn, xã Tường Phù", "Mận hậu", "x", ""],
]


def test_bieu2_from_its_own_file(
    db_url: str,
    phu_yen: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    office_in_2024: None,
) -> None:
    """Biểu 2 as a separate CSV: requests linked to Biểu 1 rows (by product, else by the
    producer's only row), stored with the plan and reported; a bad Biểu 2 stops everything."""
    import csv

    path = tmp_path / "bieu2.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(BIEU2)
    read = read_plan(phu_yen, bieu2=path)
    assert read.problems == []
    assert read.plan is not None
    assert [(r.tt, r.trademark, r.packaging_stamps, r.plan_ref) for r in read.plan.support] == [
        ("1", True, True, "new/1"),
        ("2", False, True, "re_evaluation/Mật ong bạc hà Huy Hạ"),
        ("3", True, False, ""),
    ]
    assert main(["--db", db_url, "import-plan", str(phu_yen), "--bieu2", str(path)]) == 0
    assert "3 support requests (Biểu 2)" in capsys.readouterr().out
    assert main(["--db", db_url, "report", "plan", "--unit", "122", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [r["status"] for r in doc["requests"]] == ["awaiting", "awaiting", "no_dossier"]

    bad = [*BIEU2[:4], ["1", "HTX A", "xã Gia Phù", "", "có", ""], ["2", "", "", "Chè", "", ""]]
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(bad)
    assert [str(p) for p in read_plan(phu_yen, bieu2=path).problems] == [
        "Biểu 2 line 5: empty product (Sản phẩm hỗ trợ)",
        "Biểu 2 line 5: support cell 'có' is not X",
        "Biểu 2 line 6: empty producer (Tên DN, HTX, chủ thể)",
        "Biểu 2 line 6: no support marked X",
    ]


def test_a_province_plan_after_the_reform(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Sơn La's 2026 plan (no district tier; Decision 26/2026 in force on its date): communes
    of the new map, old names accepted, dossiers under qd26-2026, reported by --unit 14."""
    body: list[list[object]] = [
        ["I", "Sản phẩm đăng ký đánh giá mới"],
        [1, "HTX Mật ong Phù Yên", "Tiểu khu 1, TT. Quang Huy", "Mật ong hoa rừng", 1, "X"],
        [2, "HTX Gia Phù", "Bản B, xã Gia Phù", "Mật ong bạc hà", 1, None, "X"],
    ]
    path = write_xlsx(tmp_path / "son-la-2026.xlsx", body)
    args = ["--db", db_url, "import-plan", str(path), "--unit", "14", "--year", "2026"]
    assert main([*args, "--plan-date", "2026-06-01", "--registered-on", "2026-06-01"]) == 0
    assert "Thị trấn Quang Huy (03910) là tên trước sắp xếp" in capsys.readouterr().out
    with Engine.open(db_url) as engine:
        dossiers = engine.dossiers()
    assert {(d.profile_id, d.district_code, d.province_code) for d in dossiers} == {
        ("qd26-2026", None, "14")
    }
    assert sorted(d.commune_code or "" for d in dossiers) == ["03910", "03922"]
    assert {d.product_set for d in dossiers} == {"honey_other_agrifood"}
    report = ["--db", db_url, "report", "plan", "--year", "2026", "--unit", "14"]
    assert main([*report, "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert (doc["unit_code"], doc["district_code"], doc["unit_name"]) == ("14", None, "Tỉnh Sơn La")
    assert len(doc["open_dossiers"]) == 2
    assert {c["commune"] for c in doc["communes"] if c["planned"]} == {"xã Phù Yên", "xã Gia Phù"}


def test_three_offices_importing_the_same_plan_at_once(db_url: str, phu_yen: Path) -> None:
    """Three processes import one plan together: it is stored once (one "created"), and each
    dossier and earlier certificate is written once."""
    from tests.test_exactly_once import in_processes

    results = in_processes(plan_race_workers.import_file, [(db_url, str(phu_yen))] * 3)
    assert sorted(r[0] for r in results) == ["created", "unchanged", "unchanged"]
    assert {r[1:] for r in results} == {(7, 4)}
    with Engine.open(db_url) as engine:
        assert stored_units(engine, 2024) == ["122"]
        kinds = sorted(d.kind for d in engine.dossiers())
    assert kinds == ["imported"] * 4 + ["new"] * 3 + ["re_evaluation"] * 3 + ["upgrade"]


def test_a_row_changed_after_its_dossier_exists_is_refused(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], office_in_2024: None
) -> None:
    """Moving a registered product to another round through the plan is refused, naming the
    row and the change, and nothing is written (the stored plan stays as it was)."""
    assert main(["--db", db_url, "import-plan", str(write_xlsx(tmp_path / "v1.xlsx"))]) == 0
    body = [list(r) if isinstance(r, list) else r for r in BODY]
    body[1] = [
        1,
        "Hợp tác xã chè Suối Bau",
        "Bản Suối Bau, X. Suối Bau",
        "Chè Shan tuyết Suối Bau",
        1,
        None,
        "X",
    ]  # June → October
    body.append([3, "HTX Mường Bang", "Bản Bang, xã Mường Bang", "Chè Mường Bang", 1, "X"])
    capsys.readouterr()
    with Engine.open(db_url) as engine:
        before = snapshot(engine)
        stored = stored_plan(engine, 2024, "122")
        assert (
            main(["--db", db_url, "import-plan", str(write_xlsx(tmp_path / "v2.xlsx", body))]) == 1
        )
        assert snapshot(engine) == before
        assert stored_plan(engine, 2024, "122") == stored
    out = capsys.readouterr().out
    assert (
        "Hợp tác xã chè Suối Bau — Chè Shan tuyết Suối Bau: changed since its dossier was "
        "registered (round 2024-06 → 2024-10); change the dossier, not the plan"
    ) in out
    assert "1 problem(s): nothing imported" in out


def test_a_quote_left_open_is_refused_not_swallowing_rows(tmp_path: Path) -> None:
    """A note cell that opens a quote and never closes it: the CSV reader would carry the next
    rows inside that cell, and the plan would lose them silently. Refused, naming the line where
    the quote opens; a note really written over two lines still reads."""
    good = write_csv(tmp_path / "good.csv").read_text(encoding="utf-8-sig").splitlines()
    at = next(i for i, line in enumerate(good) if "Mật ong" in line)
    broken = [*good[:at], good[at] + ',"đăng ký lại', *good[at + 1 :]]
    path = tmp_path / "open-quote.csv"
    path.write_text("\n".join(broken) + "\n", encoding="utf-8")
    read = read_plan(path)
    assert read.plan is None
    assert [p.line for p in read.problems] == [at + 1]
    assert "close its quote" in read.problems[0].message
    two_lines = [*good[:at], good[at] + ',"đăng ký lại\nnăm 2024"', *good[at + 1 :]]
    path.write_text("\n".join(two_lines) + "\n", encoding="utf-8")
    read = read_plan(path)
    assert read.plan is not None, read.problems
    assert len(read.plan.entries) == 9


def test_a_table_without_rows_is_refused_and_the_stored_plan_kept(
    db_url: str,
    phu_yen: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    office_in_2024: None,
) -> None:
    """The title and header without a product row (a sheet saved before it was filled in) would
    replace the stored plan with an empty one: refused, exit 1, nothing written."""
    assert main(["--db", db_url, "import-plan", str(phu_yen)]) == 0
    empty = write_csv(tmp_path / "empty.csv", body=[])
    capsys.readouterr()
    with Engine.open(db_url) as engine:
        before = snapshot(engine)
        assert main(["--db", db_url, "import-plan", str(empty)]) == 1
        assert snapshot(engine) == before
        plan = stored_plan(engine, 2024, "122")
    assert plan is not None
    assert len(plan.entries) == 9
    assert "no product rows" in capsys.readouterr().out


def test_the_same_plan_in_decomposed_unicode_is_the_same_plan(
    db_url: str,
    phu_yen: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    office_in_2024: None,
) -> None:
    """A CSV whose Vietnamese text is decomposed (NFD: as some Mac and web tools save it) reads
    as the workbook does: importing one after the other writes nothing the second time."""
    text = write_csv(tmp_path / "nfc.csv").read_text(encoding="utf-8-sig")
    nfd = tmp_path / "nfd.csv"
    nfd.write_text(unicodedata.normalize("NFD", text), encoding="utf-8")
    assert main(["--db", db_url, "import-plan", str(nfd)]) == 0
    capsys.readouterr()
    assert main(["--db", db_url, "import-plan", str(phu_yen)]) == 0
    assert "already imported — nothing new written" in capsys.readouterr().out


def test_a_row_the_engine_refuses_is_named_with_its_line(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], office_in_2024: None
) -> None:
    """A control character pasted into a product's name passes the sheet's layout and is
    refused by the engine: the line is named, and nothing is written."""
    body = [list(row) if isinstance(row, list) else row for row in BODY]
    body[1][3] = "Chè Shan tuyết\x01 Suối Bau"
    path = write_csv(tmp_path / "ctrl.csv", body)
    line = next(
        n
        for n, text in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), start=1)
        if "\x01" in text
    )
    with Engine.open(db_url) as engine:
        before = snapshot(engine)
        assert main(["--db", db_url, "import-plan", str(path)]) == 1
        assert snapshot(engine) == before
    out = capsys.readouterr().out
    assert f"line {line}: Hợp tác xã chè Suối Bau — Chè Shan tuyết\x01 Suối Bau: refused:" in out


def test_a_workbook_with_a_cover_sheet_and_bieu2_on_its_own_sheet(tmp_path: Path) -> None:
    """Offices send workbooks that open on the plan's letter, with Biểu 1 and Biểu 2 on sheets
    of their own: Biểu 1 is read from the sheet that holds its header, Biểu 2 from its sheet."""
    from openpyxl import load_workbook

    path = write_xlsx(tmp_path / "KeHoach.xlsx")
    book = load_workbook(path)
    cover = book.create_sheet("Tờ trình", 0)
    cover.append(["UBND HUYỆN PHÙ YÊN"])
    cover.append(["Kế hoạch thực hiện Chương trình OCOP năm 2024"])
    second = book.create_sheet("Biểu 2")
    for row in BIEU2:
        second.append(row)
    book.save(path)
    read = read_plan(path)
    assert read.problems == []
    assert read.plan is not None
    assert len(read.plan.entries) == 9
    assert len(read.plan.support) == 3


def test_round_headings_excel_turned_into_dates_are_months(tmp_path: Path) -> None:
    """ "6/2024" typed into a cell becomes a date in Excel (1 June 2024): the round column still
    reads as June 2024."""
    from datetime import datetime

    from openpyxl import load_workbook

    path = write_xlsx(tmp_path / "dates.xlsx")
    book = load_workbook(path)
    sheet = book.active
    assert sheet is not None
    for row in sheet.iter_rows():
        for cell in row:
            if cell.value in ("Tháng 6/2024", "Tháng 10/2024"):
                cell.value = datetime(2024, 6 if "6/" in str(cell.value) else 10, 1)
    book.save(path)
    read = read_plan(path)
    assert read.problems == []
    assert read.plan is not None
    assert [(r.key, r.label_vi) for r in read.plan.rounds] == [
        ("2024-06", "Tháng 6/2024"),
        ("2024-10", "Tháng 10/2024"),
    ]
