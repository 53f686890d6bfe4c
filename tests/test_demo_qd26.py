"""The demo from 22/05/2026 on, under Decision 26/2026 (qd26-2026): new products with product
codes in the province's round before 30/12, 2024 certificates re-evaluated in their window by
written opinions, the others flagged as having missed it; the listing and the report show each
dossier's profile and product code."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from ocop_cycle import DossierState, Engine, Level, SettableClock
from ocop_cycle.audit.auditor import Auditor
from ocop_cycle.cli import main
from ocop_cycle.demo.listing import demo_dossiers
from ocop_cycle.demo.qd26 import NEW_PRODUCTS, REEVALUATED, REEVALUATION, ROUNDS_QD26
from ocop_cycle.demo.runner import DEMO_START, DemoResult, run_demo
from ocop_cycle.workflows.events import Scored

S = DossierState
CODE_2026 = re.compile(r"^24-\d{5}-\d{3}-2026$")
CODE_2027 = re.compile(r"^24-\d{5}-\d{3}-2027$")


@pytest.fixture(scope="module")
def played(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Engine, DemoResult]]:
    """The demo (seed 2024) played to the end of 2027 into a SQLite file."""
    url = f"sqlite:///{tmp_path_factory.mktemp('qd26') / 'demo.db'}"
    engine = Engine.open(url, clock=SettableClock(DEMO_START))
    result = run_demo(engine, seed=2024)
    yield engine, result
    engine.close()


def test_new_products_of_2026_carry_codes_and_province_certificates(
    played: tuple[Engine, DemoResult],
) -> None:
    """Each 2026 product is under qd26-2026, has a code T-X-STT-2026 unique among them, was
    placed in the round before 30/12 and certified by the province at the stars its score
    gives on the official sheet."""
    engine, result = played
    codes = set()
    for p in NEW_PRODUCTS:
        d = engine.get(result.dossiers[p.ref])
        assert d.profile_id == "qd26-2026"
        assert d.product_code is not None
        assert CODE_2026.match(d.product_code)
        codes.add(d.product_code)
        assert d.certified_level is Level.PROVINCE
        assert d.certified_stars == (4 if p.score >= 70 else 3)
        assert d.round_id is not None
        assert engine.get_round(d.round_id).council_meeting_on == (
            ROUNDS_QD26[0].council_meeting_on
        )
    assert len(codes) == len(NEW_PRODUCTS)


def test_2024_certificates_are_reevaluated_in_their_window_by_written_opinions(
    played: tuple[Engine, DemoResult],
) -> None:
    """A re-evaluation filed between E−180 and E−120 days, scored by written opinions under
    qd26-2026, certified by the province: the 2024 certificate is renewed by it."""
    engine, result = played
    for ref in REEVALUATED:
        old = engine.get(result.dossiers[ref])
        new = engine.get(result.dossiers[f"{ref}/2027"])
        assert old.state is S.RENEWED
        assert old.valid_until is not None
        filed = REEVALUATION.filed
        assert old.valid_until - timedelta(days=180) <= filed <= old.valid_until - timedelta(120)
        assert (new.profile_id, new.predecessor_id) == ("qd26-2026", old.id)
        assert new.product_code is not None
        assert CODE_2027.match(new.product_code)
        scored = [e.payload for e in engine.history(new.id) if e.type == "scored"]
        assert len(scored) == 1
        assert isinstance(scored[0], Scored)
        assert scored[0].session.kind == "written_opinions"
        assert (new.state, new.certified_level, new.certified_on) == (
            S.MONITORED,
            Level.PROVINCE,
            REEVALUATION.certified,
        )


def test_window_notices_reach_the_outbox_and_a_missed_window_is_flagged(
    played: tuple[Engine, DemoResult],
) -> None:
    """Window notices go to producer and commune of the re-evaluated certificates; one not
    re-evaluated is flagged the day after its window closed; every chain verifies."""
    engine, result = played
    notes = engine.notifications(limit=100_000, include_acked=True)
    for ref in REEVALUATED:
        mine = [
            n
            for n in notes
            if n.dossier_id == result.dossiers[ref] and n.kind == "reevaluation_window_notice"
        ]
        assert {n.recipient_role for n in mine} == {"producer", "commune_officer"}
        assert mine[0].created_at.date() == date(2026, 12, 22)
    lapsed = engine.get(result.dossiers["re_evaluation/1"])
    assert lapsed.state is S.EXPIRED
    assert lapsed.valid_until == date(2027, 6, 20)
    missed = [e for e in engine.history(lapsed.id) if e.type == "reevaluation_window_missed"]
    assert [e.occurred_at.date() for e in missed] == [date(2027, 2, 21)]
    assert Auditor(engine).verify().intact


def test_listing_and_report_show_profile_and_product_code(
    played: tuple[Engine, DemoResult],
) -> None:
    """The demo's listing gives each dossier's profile and code; the plan report's rows carry
    both fields."""
    engine, result = played
    listing = {d.ref: d for d in demo_dossiers(engine, result.dossiers)}
    assert listing["new/1"].profile_id == "qd148-2023"
    assert listing["new/1"].product_code is None
    assert listing["qd26/1"].profile_id == "qd26-2026"
    assert listing["qd26/1"].product_code == engine.get(result.dossiers["qd26/1"]).product_code


def test_cli_prints_profile_and_code(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`demo` prints the listing with qd26-2026 and T-X-STT-year codes; `report plan --format
    json` rows name profile and product code."""
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    assert main(["--db", url, "demo", "--seed", "4"]) == 0
    out = capsys.readouterr().out
    assert "qd26-2026" in out
    assert re.search(r"24-\d{5}-\d{3}-2026", out)
    assert main(["--db", url, "report", "plan", "--year", "2024", "--format", "json"]) == 0
    doc: dict[str, Any] = json.loads(capsys.readouterr().out)
    assert doc["support"]
    assert all({"profile_id", "product_code"} <= row.keys() for row in doc["support"])
