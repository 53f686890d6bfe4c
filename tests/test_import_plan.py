"""`import-plan`: all rows or none, every bad row reported with its line, re-import a no-op."""

from __future__ import annotations

import unicodedata
from datetime import datetime
from importlib.resources import files
from pathlib import Path

import pytest

from ocop_cycle import VN_TZ, Engine, SettableClock
from ocop_cycle.cli import main
from ocop_cycle.plan.importer import import_plan, read_plan_csv
from ocop_cycle.plan.stored import stored_units
from tests.scenario import snapshot

SHIPPED = Path(str(files("ocop_cycle.plan") / "data" / "lang_giang_2024" / "bieu1.csv"))


def test_shipped_plan_imports_once(db_url: str) -> None:
    """The 23 products of Biểu 1 become dossiers under qd148-2023; importing again adds nothing.
    Imported in 2024: since 22/07/2026 nothing is registered under 148 (Decision 26/2026)."""
    entries, problems = read_plan_csv(SHIPPED)
    assert problems == []
    clock = SettableClock(datetime(2024, 3, 2, 9, tzinfo=VN_TZ))
    with Engine.open(db_url, clock=clock) as engine:
        report = import_plan(engine, entries)
        assert (report.registered, report.histories) == (23, 13)
        before = snapshot(engine)
        import_plan(engine, entries)
        assert snapshot(engine) == before
        registered = [d for d in engine.dossiers() if d.state == "registered"]
        assert len(registered) == 23
        assert {d.profile_id for d in registered} == {"qd148-2023"}
        assert sum(d.kind == "re_evaluation" for d in registered) == 12
        assert sum(d.kind == "upgrade" for d in registered) == 1


def test_import_reports_its_progress_row_by_row(db_url: str) -> None:
    """``progress(done, total)`` is told before each ready row and once at the end: 0..23 of 23."""
    entries, _ = read_plan_csv(SHIPPED)
    seen: list[tuple[int, int]] = []
    clock = SettableClock(datetime(2024, 3, 2, 9, tzinfo=VN_TZ))
    with Engine.open(db_url, clock=clock) as engine:
        import_plan(engine, entries, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(done, 23) for done in range(24)]


def test_bad_rows_are_all_reported_and_nothing_is_written(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Unknown commune, duplicated product, missing round, empty producer: each named with its
    line; the database is untouched."""
    lines = SHIPPED.read_text(encoding="utf-8").splitlines()
    header, rows = lines[0], lines[1:]
    bad = [
        header,
        rows[0],
        rows[1].replace("xã Nghĩa Hưng,Rượu", "xã Atlantis,Rượu"),
        rows[0],
        rows[3].replace(",2024-10,", ",,"),
        rows[4].replace("Hợp tác xã mỳ sạch JVO FOOD Thái Đào", ""),
    ]
    path = tmp_path / "bad.csv"
    path.write_text("\n".join(bad) + "\n", encoding="utf-8")
    with Engine.open(db_url) as engine:
        before = snapshot(engine)
        assert main(["--db", db_url, "import-plan", str(path)]) == 1
        assert snapshot(engine) == before
    out = capsys.readouterr().out
    assert "line 3: unknown commune 'xã Atlantis'" in out
    assert "line 4: duplicated product 'Trứng Gà núi Hương Sơn' (line 2)" in out
    assert "line 5: missing round" in out
    assert "line 6: empty producer" in out
    assert "4 problem(s): nothing imported" in out


def test_wrong_encoding_is_refused(tmp_path: Path) -> None:
    """A UTF-8 file with a line in a legacy code page (Windows-1258) pasted in is refused
    before any row is read, naming the first line that is not UTF-8."""
    lines = SHIPPED.read_text(encoding="utf-8").splitlines()
    legacy = unicodedata.normalize("NFD", lines[2]).encode("cp1258", errors="replace")
    path = tmp_path / "cp1258.csv"
    path.write_bytes("\n".join(lines[:2]).encode("utf-8") + b"\n" + legacy + b"\n")
    entries, problems = read_plan_csv(path)
    assert entries == []
    assert len(problems) == 1
    assert problems[0].line == 3
    assert "not UTF-8" in str(problems[0])


def test_xlsx_plan_is_read_like_csv(tmp_path: Path) -> None:
    """District offices work in Excel: the same plan as .xlsx gives the same entries."""
    import csv

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    with SHIPPED.open(encoding="utf-8") as handle:
        for row in csv.reader(handle):
            sheet.append(row)
    path = tmp_path / "ke-hoach.xlsx"
    book.save(path)
    from_xlsx, problems = read_plan_csv(path)
    assert problems == []
    assert from_xlsx == read_plan_csv(SHIPPED)[0]


def test_not_a_workbook(tmp_path: Path) -> None:
    """A file named .xlsx that is not a workbook is refused with a clear message."""
    path = tmp_path / "plan.xlsx"
    path.write_text("not excel", encoding="utf-8")
    _, problems = read_plan_csv(path)
    assert "not a readable .xlsx workbook" in str(problems[0])


def test_a_row_the_engine_refuses_writes_nothing_at_all(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The office registered two of the plan's products by hand before importing the plan: the
    engine refuses those rows (each product already has a dossier in evaluation), both are
    named, and the rows it accepted are rolled back with them: all rows or none."""
    from ocop_cycle import Actor, Role

    entries, _ = read_plan_csv(SHIPPED)
    taken = [e for e in entries if e.section == "new"][1:3]
    clock = SettableClock(datetime(2024, 3, 2, 9, tzinfo=VN_TZ))
    with Engine.open(db_url, clock=clock) as engine:
        for row in taken:
            assert row.producer_kind is not None
            engine.register(
                actor=Actor(role=Role.COMMUNE_OFFICER, jurisdiction=row.commune_code),
                producer={"name": row.producer, "kind": row.producer_kind.value},
                product={
                    "name": row.product,
                    "group": row.product_group,
                    "product_set": row.product_set,
                },
                commune_code=row.commune_code,
                district_code=row.district_code or None,
                province_code="24",
            )
        before = snapshot(engine)
        report = import_plan(engine, entries)
        assert snapshot(engine) == before
        assert (report.registered, report.histories, report.dossiers) == (0, 0, {})
        messages = [p.message for p in report.problems]
        assert [m.split(": refused:")[0] for m in messages] == [
            f"{row.producer} — {row.product}" for row in taken
        ]
        assert all("product.already_open" in m for m in messages)
        assert stored_units(engine, 2024) == []  # the plan is not stored either
    path = tmp_path / "plan.csv"
    path.write_text(SHIPPED.read_text(encoding="utf-8"), encoding="utf-8")
    # The CLI runs on today's clock: under Decision 26/2026 nothing registers under 148 any
    # more, which is said once for the whole plan, with nothing written either.
    assert main(["--db", db_url, "import-plan", str(path)]) == 1
    out = capsys.readouterr().out
    assert "registered on 01/03/2024, the plan's dossiers would fall under" in out
    assert "(--registered-on)" in out
    assert "1 problem(s): nothing imported" in out
    with Engine.open(db_url) as engine:
        assert snapshot(engine) == before
