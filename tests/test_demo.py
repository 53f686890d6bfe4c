"""`ocop-cycle demo`: the 2024 plan played to 2027, its report checked against the scenario."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from ocop_cycle import DossierState, Engine, Level, SettableClock
from ocop_cycle.audit.auditor import Auditor
from ocop_cycle.cli import main
from ocop_cycle.demo.qd26 import REEVALUATED
from ocop_cycle.demo.runner import DEMO_START, run_demo
from ocop_cycle.demo.scenario import (
    CARRIED,
    FORWARDED,
    NOT_RECOGNIZED,
    RETURNED,
    REVOKED,
    Fate,
    build_scenario,
)
from ocop_cycle.plan.entries import lang_giang_2024, lang_giang_communes
from ocop_cycle.plan.progress import plan_progress
from ocop_cycle.rules.units import default_unit_registry
from ocop_cycle.workflows.events import RoundAssigned
from tests.scenario import snapshot

S = DossierState
#: The communes that carry Lạng Giang district's communes after 01/07/2025.
NEW_COMMUNES = {
    u.code
    for c in lang_giang_communes().values()
    for u in default_unit_registry().successor_on(
        c.commune_code, date(2026, 1, 1), recorded_on=date(2025, 6, 30)
    )
}


def expected_targets(fates: list[Fate]) -> dict[str, tuple[int, int]]:
    """Each target's (target, actual) as the scenario implies them, computed independently of
    the report: from the plan rows' fates alone."""
    won = [f for f in fates if f.stars is not None]
    new = [f for f in won if f.section == "new"]
    return {
        "new_products_3_star": (8, len(new)),
        "re_evaluated_2021": (11, sum(f.section == "re_evaluation" for f in won)),
        "upgraded_to_4_star": (1, sum(f.section == "upgrade" and f.stars == 4 for f in won)),
        "every_commune_one_more": (len(lang_giang_communes()), len({f.commune for f in new})),
        "duong_duc_4_star": (
            1,
            sum(f.commune == "xã Dương Đức" and (f.stars or 0) >= 4 for f in won),
        ),
    }


def demo(url: str, seed: int) -> tuple[Engine, Any]:
    engine = Engine.open(url, clock=SettableClock(DEMO_START))
    return engine, run_demo(engine, seed=seed)


def test_demo_plays_every_branch_and_verifies(db_url: str) -> None:
    """Returned, carried over, not recognised, forwarded to the province, revoked, expired:
    each happens to its plan row, support is awarded, and every chain verifies."""
    engine, result = demo(db_url, seed=11)
    try:
        ids = result.dossiers

        def types(ref: str) -> list[str]:
            return [e.type for e in engine.history(ids[ref])]

        assert "returned" in types(RETURNED)
        carried = [e for e in engine.history(ids[CARRIED]) if e.type == "round_assigned"]
        last, first = carried[-1].payload, carried[0].payload
        assert isinstance(last, RoundAssigned)
        assert isinstance(first, RoundAssigned)
        assert last.carried_from == first.round_id
        assert engine.get(ids[NOT_RECOGNIZED]).state is S.NOT_RECOGNIZED
        up = engine.get(ids[FORWARDED])
        assert (up.certified_level, up.certified_stars) == (Level.PROVINCE, 4)
        assert "forwarded" in types(FORWARDED)
        assert engine.get(ids[REVOKED]).state is S.REVOKED
        kept = [ref for ref, f in ((f.ref, f) for f in result.fates) if f.path == "district"]
        assert all(
            engine.get(ids[ref]).state is S.EXPIRED
            for ref in kept
            if ref != REVOKED and ref not in REEVALUATED
        )  # nobody else renewed by the end of 2027
        assert result.deadline_kinds["renewal_notice"] > 0
        assert "support_granted" in types(FORWARDED)
        assert Auditor(engine).verify().intact
        # Across the 2025 reform: after 30/06/2025 nobody acts for district 217 or an abolished
        # commune, and nothing is addressed to them.
        reform = date(2025, 7, 1)
        late = [
            e for i in ids.values() for e in engine.history(i) if e.occurred_at.date() >= reform
        ]
        assert late
        assert not [e for e in late if e.actor.role.value.startswith("district_")]
        assert {e.actor.jurisdiction for e in late} <= {"VN", "24", "07375", *NEW_COMMUNES}
        notes = engine.notifications(limit=100_000, include_acked=True)
        after = {n.recipient_jurisdiction for n in notes if n.created_at.date() >= reform}
        assert after <= {"VN", "24", *NEW_COMMUNES}
    finally:
        engine.close()


def test_report_json_matches_the_scenario(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`report plan --format json`: per target, the target and the actual count, as the demo's
    scenario for that seed implies; support totals follow the policy for each fate."""
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    assert main(["--db", url, "demo", "--seed", "5", "--format", "json"]) == 0
    capsys.readouterr()
    assert main(["--db", url, "report", "plan", "--year", "2024", "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    fates = build_scenario(lang_giang_2024()[0], 5)
    got = {t["id"]: (t["target"], t["actual"]) for t in report["targets"]}
    assert got == expected_targets(fates)
    million = 1_000_000
    amounts = {("new", 3): 50, ("new", 4): 150, ("re_evaluation", 3): 20}
    amounts |= {("re_evaluation", 4): 150, ("upgrade", 4): 150}
    expected_total = sum(amounts[(f.section, f.stars)] for f in fates if f.stars) * million
    assert int(report["support_total"]) == expected_total


def test_rounds_and_communes_match_the_scenario(tmp_path: Path) -> None:
    """Per round: planned, carried out, certified, forwarded and not recognised; per commune:
    new products recognised — each as the scenario's fates imply."""
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    engine, result = demo(url, seed=8)
    with engine:
        p = plan_progress(engine)
    fates: list[Fate] = result.fates
    for r in p.rounds:
        mine = [f for f in fates if f.scored_round == r.number]
        assert r.planned == sum(f.plan_round == ("2024-06", "2024-10")[r.number - 1] for f in fates)
        assert r.carried_out == sum(f.carried and f.scored_round == r.number + 1 for f in fates)
        assert r.certified == sum(f.stars is not None for f in mine)
        assert r.forwarded == sum(f.path == "province" for f in mine)
        assert r.not_recognized == sum(f.path == "not_recognized" for f in mine)
    for c in p.communes:
        here = [f for f in fates if f.commune == c.commune]
        assert c.new_recognized == sum(f.section == "new" and f.stars is not None for f in here)
        assert c.planned == len(here)


def test_same_seed_same_numbers(tmp_path: Path) -> None:
    """Two runs with one seed give the same report, ids and timestamps of writing aside."""

    def numbers(name: str) -> dict[str, Any]:
        engine, _ = demo(f"sqlite:///{tmp_path / name}", seed=3)
        with engine:
            doc = json.loads(plan_progress(engine).model_dump_json())
        for row in doc["support"] + doc["open_dossiers"]:
            row.pop("dossier_id")
        return doc

    assert numbers("a.db") == numbers("b.db")


def test_seeds_change_scores_not_branches() -> None:
    """Another seed gives other scores; the regulation's branches stay on their rows."""
    entries = lang_giang_2024()[0]
    a, b = build_scenario(entries, 1), build_scenario(entries, 2)
    assert [f.district_score for f in a] != [f.district_score for f in b]
    for fates in (a, b):
        by_ref = {f.ref: f for f in fates}
        assert by_ref[NOT_RECOGNIZED].path == "not_recognized"
        assert by_ref[FORWARDED].path == "province"
        assert by_ref[CARRIED].carried
        assert by_ref[RETURNED].returned
        assert by_ref[REVOKED].revoked


def test_demo_refuses_a_database_in_use(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    """On a database that already holds dossiers the demo stops, says why, and writes nothing."""
    engine, _ = demo(db_url, seed=1)
    with engine:
        before = snapshot(engine)
        assert main(["--db", db_url, "demo"]) == 1
        assert snapshot(engine) == before
    assert "already holds" in capsys.readouterr().err


def test_reset_is_only_for_sqlite_files(capsys: pytest.CaptureFixture[str]) -> None:
    """--reset deletes a SQLite file; it never drops a server database."""
    assert main(["--db", "postgresql+psycopg://nobody@127.0.0.1:1/x", "demo", "--reset"]) == 1
    assert "only a SQLite database file" in capsys.readouterr().err


def test_reset_starts_over(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`demo --reset` on the file of an earlier run replaces it and exits 0."""
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    assert main(["--db", url, "demo", "--seed", "2"]) == 0
    assert main(["--db", url, "demo", "--seed", "2", "--reset"]) == 0
    out = capsys.readouterr().out
    assert out.count("Audit verify:") == 2
    assert "intact" in out
