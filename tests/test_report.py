"""`report plan`: the plan's targets, rounds, communes, open dossiers and support, in four forms."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook

from ocop_cycle import Engine, SettableClock
from ocop_cycle.cli import main
from ocop_cycle.demo.runner import DEMO_START, run_demo
from ocop_cycle.plan.entries import lang_giang_2024
from ocop_cycle.plan.importer import import_plan
from ocop_cycle.plan.progress import plan_progress


@pytest.fixture
def imported(db_url: str) -> Engine:
    engine = Engine.open(db_url, clock=SettableClock(DEMO_START))
    import_plan(engine, list(lang_giang_2024()[0]))
    return engine


def test_right_after_import_everything_is_open(imported: Engine) -> None:
    """Before any council: nothing achieved, all 23 plan dossiers open, no support, and each
    Biểu 2 request waits for its product's result (Quyết Thắng has no Biểu 1 row)."""
    with imported:
        p = plan_progress(imported)
    assert [t.actual for t in p.targets] == [0, 0, 0, 0, 0]
    assert len(p.open_dossiers) == 23
    assert {o.state.value for o in p.open_dossiers} == {"registered"}
    assert p.support_total == 0
    status = {r.tt: r.status for r in p.requests}
    assert status.pop("10") == "no_dossier"
    assert set(status.values()) == {"awaiting"}
    assert [c.planned for c in p.communes if c.commune == "xã Xuân Hương"] == [3]


def test_open_dossiers_show_their_next_deadline(tmp_path: Path) -> None:
    """Mid-way through 2024, a dossier in a round shows the round's next deadline."""
    url = f"sqlite:///{tmp_path / 'mid.db'}"
    with Engine.open(url, clock=SettableClock(DEMO_START)) as engine:
        run_demo(engine, seed=1, until=DEMO_START.replace(month=5, day=20))
        p = plan_progress(engine)
    in_round = [o for o in p.open_dossiers if o.state.value == "commune_verified"]
    assert in_round
    assert {o.next_deadline for o in in_round} >= {"council_reminder"}
    assert all(o.next_due_at is not None and o.next_due_at.month == 6 for o in in_round)


def test_csv_and_xlsx_carry_the_same_targets(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The CSV's target rows and the workbook's targets sheet give the JSON's numbers."""
    url = f"sqlite:///{tmp_path / 'r.db'}"
    assert main(["--db", url, "demo", "--seed", "9", "--format", "json"]) == 0
    capsys.readouterr()
    assert main(["--db", url, "report", "plan", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    want = {t["id"]: str(t["actual"]) for t in doc["targets"]}
    assert main(["--db", url, "report", "plan", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    got = {
        r["item"]: r["value"] for r in rows if r["section"] == "targets" and r["field"] == "actual"
    }
    assert got == want
    book_path = tmp_path / "r.xlsx"
    assert (
        main(["--db", url, "report", "plan", "--format", "xlsx", "--output", str(book_path)]) == 0
    )
    book = load_workbook(book_path, read_only=True)
    try:
        sheet = list(book["Mục tiêu"].iter_rows(values_only=True))
    finally:
        book.close()
    assert sheet[0][:3] == ("Mục tiêu", "Chỉ tiêu", "Thực hiện")
    assert [str(r[2]) for r in sheet[1:-1]] == list(want.values())
    assert sheet[-1][0] == "Tổng cộng"
    assert sheet[-1][2] == sum(int(v) for v in want.values())


def test_table_is_vietnamese(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The table for people has Vietnamese headings and the support total in đồng."""
    url = f"sqlite:///{tmp_path / 't.db'}"
    assert main(["--db", url, "db", "upgrade"]) == 0
    capsys.readouterr()
    assert main(["--db", url, "report", "plan"]) == 0
    out = capsys.readouterr().out
    assert "Mục tiêu kế hoạch" in out
    assert "Tổng hỗ trợ: 0 đồng" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [(["report", "plan", "--year", "2023"], "no plan for 2023")],
)
def test_bad_requests_exit_1_with_a_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    """A year without a plan: a clear error, exit 1 (a workbook with nowhere to go is bad
    usage, exit 2: tests/test_plan_cli_usage.py)."""
    url = f"sqlite:///{tmp_path / 'e.db'}"
    assert main(["--db", url, "db", "upgrade"]) == 0
    assert main(["--db", url, *args]) == 1
    assert message in capsys.readouterr().err
